"""Issue 15.6: a sitemap index of small files, lastmod on every URL, images of posts."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from cms.images.process import process
from cms.store.posts import utcnow
from cms.text import sitemap
from tests import images

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
IMAGE = "{http://www.google.com/schemas/sitemap-image/1.1}"


async def read(client, site, path):
    answer = await client.get(site, path)
    assert answer.code == 200, (path, answer.code)
    assert answer.headers["Content-Type"].startswith("application/xml")
    return ET.fromstring(answer.body)


async def every_url(client, site) -> dict[str, ET.Element]:
    """Every <url> of every file the index lists, by location."""
    index = await read(client, site, "/sitemap.xml")
    assert index.tag == SM + "sitemapindex"
    urls = {}
    for entry in index.findall(SM + "sitemap"):
        assert entry.find(SM + "lastmod") is not None
        root = "http://%s.localhost:%d" % (site, client.port)
        loc = entry.find(SM + "loc").text
        assert loc.startswith(root + "/sitemap-")
        urlset = await read(client, site, loc[len(root):])
        assert urlset.tag == SM + "urlset"
        assert len(urlset) <= sitemap.POSTS_PER_FILE + 1
        for url in urlset.findall(SM + "url"):
            urls[url.find(SM + "loc").text] = url
    return urls


@pytest.fixture
def small_files(monkeypatch):
    monkeypatch.setattr(sitemap, "POSTS_PER_FILE", 2)


async def test_the_index_splits_posts_into_files_and_lists_every_address_once(world, client, small_files):
    store = await world.site("blog")
    ada = await world.member(store, "owner", name="Ada", username="ada")
    bob = await world.member(store, "author", name="Bob", username="bob")
    now = utcnow()
    for i in range(5):
        await world.post(store, ada if i % 2 else bob, "Post %d" % i, tags=["News"] if i < 3 else ["Other"],
                         published_at=now - dt.timedelta(hours=10 - i))
    await world.post(store, ada, "Draft", status="draft")
    await world.post(store, ada, "Later", published_at=now + dt.timedelta(days=1))
    await world.post(store, ada, "About", type="page")
    index = await read(client, "blog", "/sitemap.xml")
    files = [e.find(SM + "loc").text.rsplit("/", 1)[1] for e in index.findall(SM + "sitemap")]
    assert files == ["sitemap-pages.xml", "sitemap-posts-1.xml", "sitemap-posts-2.xml", "sitemap-posts-3.xml",
                     "sitemap-tags.xml", "sitemap-authors.xml"]
    urls = await every_url(client, "blog")
    root = "http://blog.localhost:%d" % client.port
    assert set(urls) == {root + "/", root + "/about", *(root + "/posts/post-%d" % i for i in range(5)),
                         root + "/tags/news", root + "/tags/other", root + "/authors/ada", root + "/authors/bob"}
    for path in ("/sitemap-posts-4.xml", "/sitemap-posts-0.xml", "/sitemap-posts-01.xml", "/sitemap-posts-x.xml"):
        assert (await client.get("blog", path)).code == 404, path


async def test_every_url_has_a_lastmod_from_its_newest_post(world, client):
    store = await world.site("blog")
    ada = await world.member(store, "owner", name="Ada", username="ada")
    bob = await world.member(store, "author", name="Bob", username="bob")
    now = utcnow()
    old = await world.post(store, ada, "Old", tags=["News"], published_at=now - dt.timedelta(days=3))
    await world.post(store, bob, "Newer", tags=["Other"], published_at=now - dt.timedelta(days=1))
    edited = await store.posts.update(old["_id"], old["version"], title="Old", markdown="Edited.", tags=["News"],
                                      status="published")
    urls = await every_url(client, "blog")
    root = "http://blog.localhost:%d" % client.port

    def lastmod(path):
        return dt.datetime.fromisoformat(urls[root + path].find(SM + "lastmod").text.replace("Z", "+00:00"))

    assert all(url.find(SM + "lastmod") is not None for url in urls.values())
    edit_time = edited["updated_at"].replace(microsecond=0)
    assert lastmod("/posts/old").replace(microsecond=0) == edit_time
    assert lastmod("/tags/news").replace(microsecond=0) == edit_time
    assert lastmod("/authors/ada").replace(microsecond=0) == edit_time
    assert lastmod("/").replace(microsecond=0) == edit_time
    assert lastmod("/authors/bob") < lastmod("/authors/ada")


async def test_posts_with_a_featured_image_list_it(world, client):
    store = await world.site("blog")
    ada = await world.member(store, "owner", name="Ada", username="ada")
    item, _ = await store.media.add(process(images.jpeg(800, 600)), "cover.jpg", ada["_id"])
    await world.post(store, ada, "Pictured", featured_image={"url": item["files"][0]["url"], "alt": "A field"})
    await world.post(store, ada, "Plain")
    urls = await every_url(client, "blog")
    root = "http://blog.localhost:%d" % client.port
    pictured = urls[root + "/posts/pictured"].findall(IMAGE + "image")
    assert len(pictured) == 1 and pictured[0].find(IMAGE + "loc").text.startswith(root + "/media/")
    assert urls[root + "/posts/plain"].find(IMAGE + "image") is None


async def test_an_empty_site_has_a_valid_index(world, client):
    await world.site("blog")
    urls = await every_url(client, "blog")
    assert list(urls) == ["http://blog.localhost:%d/" % client.port]


async def test_another_sites_sitemap_shows_none_of_this_sites_posts(world, client):
    one, two = await world.site("one"), await world.site("two")
    await world.post(one, await world.member(one, "owner"), "Secret of one")
    await world.post(two, await world.member(two, "owner"), "Of two")
    urls = await every_url(client, "two")
    assert not any("secret-of-one" in url for url in urls)
