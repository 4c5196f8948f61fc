"""Multi-tenancy: the Host picks the site, and no site ever shows another's content."""

import asyncio
import time
import xml.etree.ElementTree as ET

import pytest

from cms import db as database
from cms.store import Duplicate, Sites
from cms.store.domains import SiteDomains
from cms.tenancy import PLATFORM_SITE, SiteResolver

READER_PATHS = [
    "/", "/posts/hello", "/tags/shared", "/authors/writer", "/search?q=hello",
    "/feed.xml", "/rss.xml", "/sitemap.xml", "/hello",
]


async def two_sites(world):
    """Two sites whose posts, page, tag and author share every slug."""
    stores = {}
    for name in ("ruby", "jade"):
        store = await world.site(name, title="%s site" % name.title())
        author = await world.member(store, "owner", username="%s-writer" % name)
        await world.post(store, author, "Hello", markdown="%s-post-body hello" % name, tags=["Shared"])
        await world.post(store, author, "Hello", markdown="%s-page-body" % name, type="page")
        stores[name] = (store, author)
    # One person writing for both sites.
    shared = await world.users.create("writer@example.com", "correct horse battery staple", username="writer")
    for name, (store, _) in stores.items():
        await store.members.add(shared["_id"], "author")
        await world.post(store, shared, "By writer on %s" % name, markdown="%s-writer-body" % name)
    return stores


@pytest.mark.parametrize("path", READER_PATHS)
async def test_each_site_shows_only_its_own_content(world, client, path):
    await two_sites(world)
    for name, other in (("ruby", "jade"), ("jade", "ruby")):
        response = await client.get(name, path)
        assert response.code == 200, (name, path)
        assert name.encode() in response.body, (name, path)
        assert other.encode() not in response.body, (name, path)


async def test_post_of_another_site_is_404(world, client):
    stores = await two_sites(world)
    store, author = stores["ruby"]
    await world.post(store, author, "Only on ruby")
    assert (await client.get("ruby", "/posts/only-on-ruby")).code == 200
    assert (await client.get("jade", "/posts/only-on-ruby")).code == 404


async def test_author_of_another_site_is_404(world, client):
    await two_sites(world)
    assert (await client.get("ruby", "/authors/ruby-writer")).code == 200
    assert (await client.get("jade", "/authors/ruby-writer")).code == 404


async def test_unknown_host_is_404_and_names_no_site(world, client):
    await two_sites(world)
    for host in ["green.localhost", "example.org", "ruby.localhost.evil.com", "a.ruby.localhost"]:
        response = await client.fetch(host, "/")
        assert response.code == 404, host
        assert b"ruby" not in response.body.lower() and b"jade" not in response.body.lower(), host


async def test_unknown_host_gets_a_404_on_every_reader_url(world, client):
    await two_sites(world)
    for path in READER_PATHS:
        assert (await client.fetch("nobody.localhost", path)).code == 404, path


async def test_bare_base_domain_is_the_platform_landing_page(world, client):
    await two_sites(world)
    response = await client.fetch("localhost", "/")
    assert response.code == 200
    assert b"Start your blog" in response.body
    assert b"Ruby site" not in response.body and b"writer" not in response.body
    assert (await client.fetch("localhost", "/posts/hello")).code == 404


async def test_custom_domain_resolves_to_its_site(world, client):
    stores = await two_sites(world)
    jade = stores["jade"][0].site_id
    await world.sites.set_domains(jade, ["blog.example.com"])
    # Not the primary address yet: it answers for jade, with a 301 to jade's address.
    response = await client.fetch("blog.example.com", "/rss.xml")
    assert response.code == 301
    assert response.headers["Location"] == "http://jade.localhost:%d/rss.xml" % client.port
    await SiteDomains(world.db, jade).make_primary("blog.example.com")
    response = await client.fetch("blog.example.com", "/")
    assert response.code == 200 and b"Jade site" in response.body
    # Absolute URLs are the primary address's, whatever the host asked.
    feed = ET.fromstring((await client.fetch("blog.example.com", "/rss.xml")).body)
    assert feed.find("channel/link").text == "http://blog.example.com:%d/" % client.port


async def test_a_domain_belongs_to_one_site_only(world):
    stores = await two_sites(world)
    await world.sites.set_domains(stores["jade"][0].site_id, ["blog.example.com"])
    with pytest.raises(Duplicate):
        await world.sites.set_domains(stores["ruby"][0].site_id, ["blog.example.com"])


async def test_host_matching_ignores_case_port_and_trailing_dot(world, client):
    await two_sites(world)
    for host in ["RUBY.LOCALHOST", "ruby.localhost."]:
        response = await client.fetch(host, "/")
        # Ruby's, at its one address (tests/http/test_canonical.py).
        assert response.code == 301, host
        assert response.headers["Location"] == "http://ruby.localhost:%d/" % client.port, host


async def test_resolver_does_not_cache_misses(db):
    resolver = SiteResolver(db, "localhost")
    assert await resolver.resolve("late.localhost") is None
    await Sites(db).create("late")
    site = await resolver.resolve("late.localhost")
    assert site is not None and site["name"] == "late"
    assert await resolver.resolve("localhost:8888") is PLATFORM_SITE


async def test_resolver_cache_is_dropped_when_another_process_changes_sites(db, settings):
    # The reader is "another process": its own client on the same database.
    other = database.connect(settings.mongodb_uri)
    reader = SiteResolver(other[settings.database_name], "localhost")
    try:
        sites = Sites(db)
        site = await sites.create("moving")
        assert (await reader.resolve("moving.localhost"))["name"] == "moving"
        await sites.set_domains(site["_id"], ["moving.example.com"])
        await sites.update_settings(site["_id"], title="Moved")
        # Its watcher sees the platform counter move within its poll interval.
        deadline = time.monotonic() + 1.0
        while (await reader.resolve("moving.localhost"))["title"] != "Moved":
            assert time.monotonic() < deadline, "the other process still shows the old site after 1 s"
            await asyncio.sleep(0.02)
        assert (await reader.resolve("moving.example.com"))["name"] == "moving"
    finally:
        reader.watcher.stop()
        other.close()
