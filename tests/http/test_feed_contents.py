"""Issue 15.7 and issue 12's JSON Feed: ids that never change, dates that follow edits,
the featured image, the feed's author; JSON Feed 1.1 beside Atom and RSS."""

from __future__ import annotations

import datetime as dt
import json
import uuid
import xml.etree.ElementTree as ET

import feedparser

from cms.images.process import process
from cms.store.posts import utcnow
from tests import images

ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"


def strict(body: bytes):
    ET.fromstring(body)
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


async def blog(world, count=2):
    store = await world.site("blog", title="The Blog", tagline="Notes")
    author = await world.member(store, "owner", name="Ada", username="ada")
    now = utcnow()
    posts = [await world.post(store, author, "Post %d" % i, markdown="Body %d." % i, tags=["News"],
                              published_at=now - dt.timedelta(hours=count - i)) for i in range(count)]
    return store, author, posts


async def rename(store, post, slug, editor, **changes):
    fields = dict(title=post["title"], markdown=post["markdown"], slug=slug, tags=post["tags"],
                  status=post["status"], editor_id=editor["_id"])
    fields.update(changes)
    return await store.posts.update(post["_id"], post["version"], **fields)


def is_urn_uuid(value: str) -> bool:
    assert value.startswith("urn:uuid:"), value
    return uuid.UUID(value[len("urn:uuid:"):]).version == 5


async def test_entry_ids_are_urn_uuids_that_survive_a_slug_change(world, client):
    store, author, posts = await blog(world)
    atom = ET.fromstring((await client.get("blog", "/feed.xml")).body)
    rss = ET.fromstring((await client.get("blog", "/rss.xml")).body)
    atom_ids = [e.find(ATOM + "id").text for e in atom.findall(ATOM + "entry")]
    guids = rss.findall("channel/item/guid")
    assert all(is_urn_uuid(i) for i in atom_ids) and len(set(atom_ids)) == 2
    assert is_urn_uuid(atom.find(ATOM + "id").text) and atom.find(ATOM + "id").text not in atom_ids
    assert [g.text for g in guids] == atom_ids and all(g.get("isPermaLink") == "false" for g in guids)
    await rename(store, posts[1], "a-new-address", author)
    again = ET.fromstring((await client.get("blog", "/feed.xml")).body)
    assert [e.find(ATOM + "id").text for e in again.findall(ATOM + "entry")] == atom_ids
    assert again.find(ATOM + "entry/" + ATOM + "link").get("href").endswith("/posts/a-new-address")
    other = await world.site("other")
    await world.post(other, await world.member(other, "owner"), "Post 1", markdown="Body.")
    elsewhere = ET.fromstring((await client.get("other", "/feed.xml")).body)
    assert elsewhere.find(ATOM + "entry/" + ATOM + "id").text not in atom_ids


async def test_updated_and_last_build_date_follow_an_edit_of_an_older_post(world, client):
    store, author, posts = await blog(world)
    edited = await rename(store, posts[0], posts[0]["slug"], author, markdown="Edited body.")
    atom = strict((await client.get("blog", "/feed.xml")).body)
    rss = strict((await client.get("blog", "/rss.xml")).body)
    edit_time = edited["updated_at"].replace(microsecond=0)  # both posts were published an hour or more before
    feed_updated = dt.datetime(*atom.feed.updated_parsed[:6], tzinfo=dt.timezone.utc)
    assert feed_updated == edit_time
    entry = next(e for e in atom.entries if e.title == "Post 0")
    assert dt.datetime(*entry.updated_parsed[:6], tzinfo=dt.timezone.utc) == edit_time
    assert dt.datetime(*rss.feed.updated_parsed[:6], tzinfo=dt.timezone.utc) == edit_time


async def test_feeds_carry_the_featured_image_and_atom_has_a_feed_author(world, client):
    store, author, _ = await blog(world, 1)
    item, _ = await store.media.add(process(images.jpeg(800, 600)), "cover.jpg", author["_id"])
    await world.post(store, author, "Pictured", markdown="Body.",
                     featured_image={"url": item["files"][0]["url"], "alt": "An orange field"})
    root = "http://blog.localhost:%d" % client.port
    rss = ET.fromstring((await client.get("blog", "/rss.xml")).body)
    content = rss.find("channel/item/" + MEDIA + "content")
    assert content is not None and content.get("url").startswith(root + "/media/")
    assert content.get("medium") == "image" and content.get("type") == "image/jpeg"
    assert int(content.get("width")) > 0 and int(content.get("height")) > 0
    assert content.find(MEDIA + "description").text == "An orange field"
    atom_body = (await client.get("blog", "/feed.xml")).body
    atom = ET.fromstring(atom_body)
    enclosure = [link for link in atom.find(ATOM + "entry").findall(ATOM + "link") if link.get("rel") == "enclosure"]
    assert len(enclosure) == 1 and enclosure[0].get("href") == content.get("url")
    assert enclosure[0].get("type") == "image/jpeg"
    assert atom.find(ATOM + "author/" + ATOM + "name").text == "The Blog"
    parsed = strict(atom_body)
    assert parsed.feed.author == "The Blog"
    # The post without one has none.
    assert [e for e in rss.findall("channel/item") if e.find(MEDIA + "content") is None]


async def test_json_feed_1_1_has_every_required_field(world, client):
    store, author, posts = await blog(world, 3)
    item, _ = await store.media.add(process(images.jpeg(640, 480)), "cover.jpg", author["_id"])
    await world.post(store, author, "Pictured", markdown="Body <b>bold</b>.", tags=["News"],
                     featured_image={"url": item["files"][0]["url"]})
    await world.post(store, author, "Draft", markdown="Secret.", status="draft")
    answer = await client.get("blog", "/feed.json")
    assert answer.code == 200 and answer.headers["Content-Type"].startswith("application/feed+json")
    feed = json.loads(answer.body)
    root = "http://blog.localhost:%d" % client.port
    # https://www.jsonfeed.org/version/1.1/: version and title are required; items is required.
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "The Blog" and feed["home_page_url"] == root + "/"
    assert feed["feed_url"] == root + "/feed.json" and feed["description"] == "Notes"
    assert feed["authors"] == [{"name": "The Blog", "url": root + "/"}]
    assert feed["language"] == "en"
    items = feed["items"]
    assert [i["title"] for i in items] == ["Pictured", "Post 2", "Post 1", "Post 0"]
    for entry in items:
        assert isinstance(entry["id"], str) and is_urn_uuid(entry["id"])  # required, a string
        assert entry["url"].startswith(root + "/posts/")
        assert "content_html" in entry or "content_text" in entry  # one of them is required
        for date in ("date_published", "date_modified"):
            assert dt.datetime.fromisoformat(entry[date].replace("Z", "+00:00")).tzinfo is not None  # RFC 3339
        assert entry["authors"][0]["name"] == "Ada" and entry["tags"] == ["News"]
    assert "<b>bold</b>" in items[0]["content_html"] and items[0]["image"].startswith(root + "/media/")
    assert "image" not in items[1]
    atom_ids = [e.find(ATOM + "id").text for e in ET.fromstring((await client.get("blog", "/feed.xml")).body)
                .findall(ATOM + "entry")]
    assert [i["id"] for i in items] == atom_ids


async def test_every_theme_announces_the_json_feed(world, client):
    for theme in ("journal", "magazine", "dusk"):
        store = await world.site(theme, theme=theme)
        await world.post(store, await world.member(store, "owner"), "Post", markdown="Body.")
        home = (await client.get(theme, "/")).body
        assert b'<link rel="alternate" type="application/feed+json" title="JSON Feed" href="/feed.json">' in home
