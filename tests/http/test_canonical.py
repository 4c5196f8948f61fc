"""One address per page (issue 15 findings 1, 2, 4, 5): every other host, spelling,
trailing slash or ``?page=1`` answers 301 to it, and every absolute URL a page,
feed, sitemap or robots.txt carries is built from the site's primary address,
never from the Host the request came with."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def canonical_of(body: bytes) -> str:
    return re.search(rb'<link rel="canonical" href="([^"]*)"', body).group(1).decode()


def og_url_of(body: bytes) -> str:
    return re.search(rb'<meta property="og:url" content="([^"]*)"', body).group(1).decode()


def json_ld_of(body: bytes) -> dict:
    return json.loads(re.search(rb'<script type="application/ld\+json">(.*?)</script>', body, re.S).group(1))


async def magazine(world, **site):
    store = await world.site("mag", title="The Magazine", **site)
    ada = await world.member(store, "owner", name="Ada", username="ada")
    for n in range(1, 4):
        await world.post(store, ada, "Story %d" % n, tags=["Python"])
    await world.post(store, ada, "About", type="page")
    return store, ada


@pytest.mark.parametrize("host", ["MAG.LOCALHOST", "mag.localhost.", "Mag.Localhost."])
async def test_another_spelling_of_the_host_answers_301_to_the_primary_address(world, client, host):
    await magazine(world)
    response = await client.fetch(host, "/posts/story-2?utm_source=feed")
    assert response.code == 301
    assert response.headers["Location"] == "http://mag.localhost:%d/posts/story-2?utm_source=feed" % client.port
    assert b"Story 2" not in response.body


async def test_the_page_cache_never_keeps_the_hosts_spelling(world, client):
    """15.2: after one request with ``Host: MAG.LOCALHOST`` later visitors got its spelling."""
    await magazine(world)
    await client.fetch("MAG.LOCALHOST", "/posts/story-3")
    await client.fetch("mag.localhost.", "/posts/story-3")
    for _ in range(2):  # the first renders and keeps it, the second is the kept copy
        page = await client.get("mag", "/posts/story-3")
        assert page.code == 200
        assert canonical_of(page.body) == "http://mag.localhost:%d/posts/story-3" % client.port
        assert b"MAG.LOCALHOST" not in page.body and b"localhost.:" not in page.body


@pytest.mark.parametrize("path", ["/", "/tags/python", "/authors/ada", "/about", "/feed.xml", "/rss.xml",
                                  "/feed.json", "/sitemap.xml", "/robots.txt"])
async def test_no_reader_url_keeps_or_shows_another_spelling_of_the_host(world, client, path):
    await magazine(world)
    for host in ("MAG.LOCALHOST", "mag.localhost."):
        odd = await client.fetch(host, path)
        assert odd.code == 301 and odd.headers["Location"] == "http://mag.localhost:%d%s" % (client.port, path)
    for _ in range(2):
        page = await client.get("mag", path)
        assert page.code == 200, path
        assert b"MAG.LOCALHOST" not in page.body and b"localhost.:" not in page.body
        assert ("http://mag.localhost:%d/" % client.port).encode() in page.body, path


@pytest.mark.parametrize("path, bare", [
    ("/posts/story-2/", "/posts/story-2"), ("/tags/python/", "/tags/python"),
    ("/authors/ada/", "/authors/ada"), ("/about/", "/about"), ("/about/?x=1", "/about?x=1"),
])
async def test_a_trailing_slash_answers_301_to_the_url_without_it(world, client, path, bare):
    await magazine(world)
    response = await client.get("mag", path)
    assert response.code == 301
    assert response.headers["Location"] == "http://mag.localhost:%d%s" % (client.port, bare)
    page = await client.get("mag", bare)
    assert page.code == 200 and canonical_of(page.body) == "http://mag.localhost:%d%s" % (
        client.port, bare.split("?")[0])


async def test_the_admin_health_and_sign_in_answer_on_any_spelling_of_the_host(world, client):
    """Only reader pages move: an owner must reach the admin at any host of the site."""
    await magazine(world)
    for path, code in [("/healthz", 200), ("/readyz", 200), ("/login", 200), ("/admin/", 302)]:
        response = await client.fetch("MAG.LOCALHOST", path)
        assert response.code == code, path


async def test_absolute_urls_of_feeds_sitemap_and_robots_are_the_primary_address(world, client):
    await magazine(world)
    base = "http://mag.localhost:%d" % client.port
    atom = ET.fromstring((await client.get("mag", "/feed.xml")).body)
    assert atom.find(ATOM + "link[@rel='self']").get("href") == base + "/feed.xml"
    rss = ET.fromstring((await client.get("mag", "/rss.xml")).body)
    assert rss.find("channel/link").text == base + "/"
    sitemap = ET.fromstring((await client.get("mag", "/sitemap.xml")).body)
    locations = [loc.text for loc in sitemap.iter(SITEMAP + "loc")]
    assert locations and all(loc.startswith(base + "/") for loc in locations)
    robots = (await client.get("mag", "/robots.txt")).body.decode()
    assert "Sitemap: %s/sitemap.xml" % base in robots
    post = await client.get("mag", "/posts/story-1")
    assert og_url_of(post.body) == base + "/posts/story-1"
    assert json_ld_of(post.body)["url"] == base + "/posts/story-1"


async def test_a_trailing_slash_on_a_missing_page_is_a_plain_404(world, client):
    await magazine(world)
    for path in ["/posts/missing/", "/tags/nothing/", "/posts/", "/nowhere/"]:
        assert (await client.get("mag", path)).code == 404, path


def title_of(body: bytes) -> str:
    return re.search(rb"<title>(.*?)</title>", body, re.S).group(1).decode()


async def paged_magazine(world):
    """Two pages of everything: the theme's 10 posts a page, 12 posts of one tag and author."""
    store = await world.site("mag", title="The Magazine")
    ada = await world.member(store, "owner", name="Ada", username="ada")
    for n in range(1, 13):
        await world.post(store, ada, "Story %d" % n, tags=["Python"])
    return store


@pytest.mark.parametrize("path", ["/", "/tags/python", "/authors/ada"])
async def test_each_page_of_a_list_is_canonical_to_itself_with_its_number_in_the_title(world, client, path):
    """15.4: ``?page=2`` was canonical to page 1 and repeated its title."""
    await paged_magazine(world)
    base = "http://mag.localhost:%d" % client.port
    first, second = await client.get("mag", path), await client.get("mag", path + "?page=2")
    assert first.code == second.code == 200
    assert canonical_of(first.body) == base + path
    assert canonical_of(second.body) == base + path + "?page=2"
    assert og_url_of(second.body) == base + path + "?page=2"
    assert "Page 2" in title_of(second.body) and "Page" not in title_of(first.body)
    assert title_of(first.body) != title_of(second.body)


@pytest.mark.parametrize("asked, bare", [
    ("/?page=1", "/"), ("/tags/python?page=1", "/tags/python"), ("/authors/ada?page=1", "/authors/ada"),
    ("/tags/python/?page=1", "/tags/python"), ("/search?q=story&page=1", "/search?q=story"),
])
async def test_page_one_asked_by_number_answers_301_to_the_bare_url(world, client, asked, bare):
    await paged_magazine(world)
    response = await client.get("mag", asked)
    assert response.code == 301
    assert response.headers["Location"] == "http://mag.localhost:%d%s" % (client.port, bare)


async def test_a_sites_domain_never_shows_another_sites_pages_or_urls(world, client):
    """Cross-site: at A's primary domain, B's slugs are 404 and A's sitemap lists A alone."""
    from cms.store.domains import SiteDomains

    alpha, _ = await magazine(world)
    beta = await world.site("beta", title="Beta")
    await world.post(beta, await world.member(beta, "owner"), "Only on beta")
    await world.sites.set_domains(alpha.site_id, ["blog.example.org"])
    await SiteDomains(world.db, alpha.site_id).make_primary("blog.example.org")
    assert (await client.fetch("blog.example.org", "/posts/only-on-beta")).code == 404
    assert (await client.get("beta", "/posts/only-on-beta")).code == 200
    # Beta's own address stays beta's, not redirected to alpha's domain.
    beta_page = await client.get("beta", "/posts/only-on-beta")
    assert canonical_of(beta_page.body) == "http://beta.localhost:%d/posts/only-on-beta" % client.port
    sitemap = (await client.fetch("blog.example.org", "/sitemap.xml")).body
    assert b"beta" not in sitemap.lower() and b"http://blog.example.org:" in sitemap


async def test_a_kept_post_page_moves_when_the_primary_address_does(world, client):
    from cms.store.domains import SiteDomains

    alpha, _ = await magazine(world)
    for _ in range(2):  # rendered, then kept
        assert (await client.get("mag", "/posts/story-1")).code == 200
    await world.sites.set_domains(alpha.site_id, ["blog.example.org"])
    domains = SiteDomains(world.db, alpha.site_id)
    await domains.make_primary("blog.example.org")
    moved = await client.get("mag", "/posts/story-1")
    assert moved.code == 301 and moved.headers["Location"] == "http://blog.example.org:%d/posts/story-1" % client.port
    for _ in range(2):
        page = await client.fetch("blog.example.org", "/posts/story-1")
        assert canonical_of(page.body) == "http://blog.example.org:%d/posts/story-1" % client.port
    await domains.make_primary(None)
    moved = await client.fetch("blog.example.org", "/posts/story-1")
    assert moved.code == 301 and moved.headers["Location"] == "http://mag.localhost:%d/posts/story-1" % client.port
