"""Reader pages are kept once rendered, and never shown stale: a write in any
process, a theme switch or a scheduled post's time drops them."""

import asyncio
import datetime as dt

from cms import db as database
from cms.store import Sites, SiteStore
from cms.store.posts import utcnow


async def sneak_title(db, post, title):
    """Change a title behind the application's back (no counter moves): only a
    page rendered afresh can show it, so seeing the old title proves a cached copy."""
    await db.posts.update_one({"_id": post["_id"]}, {"$set": {"title": title}})


async def test_a_page_is_served_from_the_cache_until_the_site_changes(world, db, client, app):
    store = await world.site("blog")
    author = await world.member(store, "owner")
    post = await world.post(store, author, "Original title")
    assert b"Original title" in (await client.get("blog", "/posts/original-title")).body
    await sneak_title(db, post, "Sneaked title")
    assert b"Original title" in (await client.get("blog", "/posts/original-title")).body  # the kept copy
    assert app.page_cache.hits >= 1
    # A real write through the stores: every kept page of the site is dropped.
    await world.post(store, author, "Another post")
    page = (await client.get("blog", "/posts/original-title")).body
    assert b"Sneaked title" in page


async def test_a_write_in_another_process_is_seen_at_once(world, db, client, settings):
    store = await world.site("blog")
    author = await world.member(store, "owner")
    post = await world.post(store, author, "First")
    assert b"First" in (await client.get("blog", "/")).body
    # "Another process": its own client and stores on the same database.
    other = database.connect(settings.mongodb_uri)
    try:
        other_store = SiteStore(other[settings.database_name], await Sites(other[settings.database_name]).by_name("blog"))
        await other_store.posts.update(post["_id"], post["version"], title="Edited elsewhere", markdown="Body text.",
                                       status="published", published_at=post["published_at"])
    finally:
        other.close()
    assert b"Edited elsewhere" in (await client.get("blog", "/")).body


async def test_a_scheduled_post_appears_on_a_cached_page_at_its_time(world, client):
    store = await world.site("blog")
    author = await world.member(store, "owner")
    await world.post(store, author, "Already out")
    when = (utcnow() + dt.timedelta(seconds=2)).replace(microsecond=0) + dt.timedelta(seconds=1)
    await world.post(store, author, "Coming soon", published_at=when)
    assert b"Coming soon" not in (await client.get("blog", "/")).body  # kept, but only until `when`
    await asyncio.sleep(max(0.0, (when - utcnow()).total_seconds()) + 0.2)
    assert b"Coming soon" in (await client.get("blog", "/")).body


async def test_sites_do_not_share_kept_pages(world, client):
    for name in ("ruby", "jade"):
        store = await world.site(name, title="%s site" % name.title())
        await world.post(store, await world.member(store, "owner"), "Hello from %s" % name, slug="hello")
    for _ in range(2):
        assert b"Hello from ruby" in (await client.get("ruby", "/posts/hello")).body
        assert b"Hello from jade" in (await client.get("jade", "/posts/hello")).body


async def test_the_host_and_scheme_of_the_request_are_part_of_the_key(world, client):
    store = await world.site("blog")
    await world.post(store, await world.member(store, "owner"), "Hello")
    await world.sites.set_domains(store.site_id, ["blog.example.com"])
    first = (await client.fetch("blog.example.com", "/feed.xml")).body
    second = (await client.get("blog", "/feed.xml")).body
    assert b"http://blog.example.com:" in first and b"http://blog.localhost:" in second


async def test_search_is_always_fresh(world, db, client):
    store = await world.site("blog")
    author = await world.member(store, "owner")
    post = await world.post(store, author, "Findable words")
    assert b"Findable words" in (await client.get("blog", "/search?q=findable")).body
    await sneak_title(db, post, "Findable renamed")
    assert b"Findable renamed" in (await client.get("blog", "/search?q=findable")).body


async def test_errors_are_not_kept(world, client):
    store = await world.site("blog")
    author = await world.member(store, "owner")
    assert (await client.get("blog", "/posts/later")).code == 404
    await store.posts.create(title="Later", markdown="Now here.", author_id=author["_id"])
    assert (await client.get("blog", "/posts/later")).code == 200


async def test_a_kept_page_still_answers_if_none_match_with_304(world, client):
    store = await world.site("blog")
    await world.post(store, await world.member(store, "owner"), "Hello")
    first = await client.get("blog", "/posts/hello")
    again = await client.get("blog", "/posts/hello", headers={"If-None-Match": first.headers["Etag"]})
    assert again.code == 304


async def test_a_new_name_shows_at_once_on_every_site_of_the_person(world, client):
    ruby = await world.site("ruby")
    jade = await world.site("jade")
    writer = await world.member(ruby, "owner", name="Old Name", username="writer")
    await jade.members.add(writer["_id"], "author")
    await world.post(ruby, writer, "On ruby")
    await world.post(jade, writer, "On jade")
    for site, path in (("ruby", "/posts/on-ruby"), ("jade", "/authors/writer")):
        assert b"Old Name" in (await client.get(site, path)).body  # now kept
    await world.users.update_profile(writer["_id"], name="New Name", username="writer", bio="")
    for site, path in (("ruby", "/posts/on-ruby"), ("jade", "/authors/writer")):
        body = (await client.get(site, path)).body
        assert b"New Name" in body and b"Old Name" not in body, (site, path)
