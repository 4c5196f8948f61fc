"""Reader pages are kept once rendered, and never shown stale: a write in any
process, a theme switch or a scheduled post's time drops them. A kept page
costs no database query: each process follows the change counters in one
background poll (cms/changewatch.py)."""

import asyncio
import contextlib
import datetime as dt
import gzip
import time

from pymongo import monitoring
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer

from cms import db as database
from cms.app import make_app
from cms.store import Sites, SiteStore
from cms.store.domains import SiteDomains
from cms.store.posts import utcnow
from tests.conftest import Client


class Commands(monitoring.CommandListener):
    """Every command a client sends, as (name, collection, filter)."""

    def __init__(self) -> None:
        self.seen: list[tuple] = []

    def started(self, event) -> None:
        command = event.command
        self.seen.append((event.command_name, command.get(event.command_name), command.get("filter")))

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


@contextlib.asynccontextmanager
async def process(settings, **client_options):
    """Another application ("process") on the same database, with its own client, listening."""
    mongo = database.connect(settings.mongodb_uri, **client_options)
    app = make_app(settings, mongo[settings.database_name])
    app.page_cache.render_budget = 30.0  # as the app fixture (tests/conftest.py)
    server = HTTPServer(app)
    port = database.free_port()
    server.listen(port, "127.0.0.1")
    http = AsyncHTTPClient(force_instance=True)
    try:
        yield app, Client(port, http)
    finally:
        http.close()
        server.stop()
        app.changes.stop()
        mongo.close()


async def eventually(check, seconds: float = 1.0):
    """Wait until ``check()`` (a coroutine function) is true, failing after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "not within %.1f s" % seconds
        await asyncio.sleep(0.02)


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


async def test_a_write_is_seen_at_once_by_its_process_and_within_a_second_by_another(world, settings, client):
    store = await world.site("blog")
    author = await world.member(store, "owner")
    post = await world.post(store, author, "First")
    async with process(settings) as (other_app, other):
        for reader in (client, other):
            assert b"First" in (await reader.get("blog", "/")).body  # now kept by both
        # The write is made by the other process (its own client and stores).
        other_db = other_app.db
        other_store = SiteStore(other_db, await Sites(other_db).by_name("blog"))
        await other_store.posts.update(post["_id"], post["version"], title="Edited elsewhere", markdown="Body text.",
                                       status="published", published_at=post["published_at"])
        assert b"Edited elsewhere" in (await other.get("blog", "/")).body  # at once where it was made

        async def seen_here():
            return b"Edited elsewhere" in (await client.get("blog", "/")).body

        await eventually(seen_here, 1.0)


async def test_a_kept_page_is_served_without_a_database_query(world, settings):
    store = await world.site("blog")
    author = await world.member(store, "owner")
    await world.post(store, author, "Hello")
    commands = Commands()
    async with process(settings, event_listeners=[commands]) as (app, reader):
        assert (await reader.get("blog", "/posts/hello")).code == 200  # rendered and kept
        commands.seen.clear()
        for _ in range(20):
            response = await reader.get("blog", "/posts/hello")
            assert response.code == 200 and b"Hello" in response.body
        assert app.page_cache.hits >= 20
        # Only the background poll of the change counters talks to the database.
        assert [c for c in commands.seen if c != ("find", "changes", {})] == []


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


async def test_a_kept_page_follows_the_sites_primary_address(world, client):
    store = await world.site("blog")
    await world.post(store, await world.member(store, "owner"), "Hello")
    await world.sites.set_domains(store.site_id, ["blog.example.com"])
    assert b"http://blog.localhost:" in (await client.get("blog", "/feed.xml")).body
    await SiteDomains(world.db, store.site_id).make_primary("blog.example.com")
    first = (await client.fetch("blog.example.com", "/feed.xml")).body
    assert b"http://blog.example.com:" in first and b"http://blog.localhost:" not in first
    assert (await client.get("blog", "/feed.xml")).code == 301


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


# --- what a write drops: only what readers can see changed ------------------------------


async def kept_home(world, client, name="blog"):
    """A site with one published post whose home and post page are now kept."""
    store = await world.site(name)
    author = await world.member(store, "owner")
    post = await world.post(store, author, "Shown")
    for path in ("/", "/posts/shown"):
        assert b"Shown" in (await client.get(name, path)).body
    return store, author, post


async def test_drafts_and_autosaves_drop_no_kept_page(world, db, client):
    store, author, post = await kept_home(world, client)
    await sneak_title(db, post, "Sneaked")  # visible only if a page renders afresh
    draft = await world.post(store, author, "Draft", status="draft")
    draft = await store.posts.update(draft["_id"], draft["version"], title="Draft 2", markdown="More.", status="draft")
    await store.autosaves.save(draft["_id"], author["_id"], {"title": "Draft 3", "markdown": "Typing"})
    for path in ("/", "/posts/shown"):
        assert b"Sneaked" not in (await client.get("blog", path)).body, path  # still the kept copy
    # Publishing the draft shows it, on a freshly rendered page.
    await store.posts.update(draft["_id"], draft["version"], title="Draft 2", markdown="More.", status="published")
    home = (await client.get("blog", "/")).body
    assert b"Draft 2" in home and b"Sneaked" in home


async def test_unpublishing_and_scheduling_drop_kept_pages(world, client, app):
    store, author, post = await kept_home(world, client)
    await store.posts.update(post["_id"], post["version"], title="Shown", markdown="Body text.", status="draft")
    assert (await client.get("blog", "/posts/shown")).code == 404
    assert b"Shown" not in (await client.get("blog", "/")).body
    later = utcnow() + dt.timedelta(hours=1)
    await world.post(store, author, "Scheduled", published_at=later)
    # The kept home page now expires when the scheduled post goes live.
    await client.get("blog", "/")
    (entry,) = [e for key, e in app.page_cache._entries.items() if key[-1] == "/"]
    assert entry.expires <= later.timestamp()


async def test_an_upload_drops_no_kept_page_and_a_deletion_does(world, db, client, tmp_path):
    from cms.images import Limits
    from cms.store.media import process_upload
    from tests.images import jpeg

    store, author, post = await kept_home(world, client)
    await sneak_title(db, post, "Sneaked")
    upload = tmp_path / "photo.jpg"
    upload.write_bytes(jpeg())
    item, _ = await store.media.add(await process_upload(str(upload), Limits()), "photo.jpg", author["_id"])
    await store.media.set_alt(item["_id"], "A photo")
    assert b"Sneaked" not in (await client.get("blog", "/")).body
    await store.media.delete(item["_id"])
    assert b"Sneaked" in (await client.get("blog", "/")).body


async def test_a_sites_settings_drop_only_its_own_pages(world, db, client):
    ruby, _, _ = await kept_home(world, client, "ruby")
    jade, _, jade_post = await kept_home(world, client, "jade")
    await sneak_title(db, jade_post, "Sneaked")
    await world.sites.update_theme(ruby.site_id, "magazine", {})
    await world.sites.update_settings(ruby.site_id, title="Ruby renamed")
    assert b"Ruby renamed" in (await client.get("ruby", "/")).body
    assert b"theme-magazine" in (await client.get("ruby", "/posts/shown")).body
    assert b"Sneaked" not in (await client.get("jade", "/")).body  # jade's pages stay kept


async def test_a_new_name_drops_the_pages_of_the_persons_sites_only(world, db, client):
    ruby, writer, _ = await kept_home(world, client, "ruby")
    jade, _, jade_post = await kept_home(world, client, "jade")
    await sneak_title(db, jade_post, "Sneaked")
    await world.users.update_profile(writer["_id"], name="New Name", username="writer", bio="")
    assert b"New Name" in (await client.get("ruby", "/posts/shown")).body
    assert b"Sneaked" not in (await client.get("jade", "/")).body  # not a site of theirs


# --- a change never makes readers queue: one render per page, stale copies meanwhile ---------


def renders_of(commands, slug):
    """How many times the post page of ``slug`` was rendered: its lookup by slug."""
    return sum(1 for name, collection, filter in commands.seen
               if name == "find" and collection == "posts" and (filter or {}).get("slug") == slug)


async def test_concurrent_requests_for_a_page_render_it_once(world, settings):
    store = await world.site("blog")
    await world.post(store, await world.member(store, "owner"), "Hello")
    commands = Commands()
    async with process(settings, event_listeners=[commands]) as (app, reader):
        responses = await asyncio.gather(*[reader.get("blog", "/posts/hello") for _ in range(20)])
        assert all(r.code == 200 and b"Hello" in r.body for r in responses)
        assert renders_of(commands, "hello") == 1


async def test_a_changed_page_is_rendered_once_in_the_background_while_readers_get_the_previous_one(
        world, settings):
    store = await world.site("blog")
    author = await world.member(store, "owner")
    post = await world.post(store, author, "Before")
    commands = Commands()
    async with process(settings, event_listeners=[commands]) as (app, reader):
        app.page_cache.render_budget = 0  # no reader waits for the new page at all
        assert b"Before" in (await reader.get("blog", "/posts/before")).body
        writer = SiteStore(app.db, store.site)  # a write of this process: seen at once
        post = await writer.posts.update(post["_id"], post["version"], title="After", markdown="Body text.",
                                         slug="before", status="published", published_at=post["published_at"])
        commands.seen.clear()
        bodies = [r.body for r in await asyncio.gather(*[reader.get("blog", "/posts/before") for _ in range(20)])]
        assert all(b"Before" in body for body in bodies)  # the previous page, at once

        async def rendered_once_and_shown():
            return b"After" in (await reader.get("blog", "/posts/before")).body

        await eventually(rendered_once_and_shown, 5.0)
        assert renders_of(commands, "before") == 1
        # A reload that says no-cache (or a signed-in member) waits for the new page.
        await writer.posts.update(post["_id"], post["version"], title="Again", markdown="Body text.",
                                  slug="before", status="published", published_at=post["published_at"])
        reload = await reader.get("blog", "/posts/before", headers={"Cache-Control": "no-cache"})
        assert b"Again" in reload.body


async def test_kept_pages_are_gzipped_for_clients_that_take_it_with_an_etag_each(world, client):
    store = await world.site("blog")
    await world.post(store, await world.member(store, "owner"), "Hello", markdown="Words. " * 200)
    plain = await client.get("blog", "/posts/hello", decompress_response=False, headers={"Accept-Encoding": "identity"})
    for _ in range(2):  # the first answer (rendered) and a kept one
        packed = await client.get("blog", "/posts/hello", decompress_response=False,
                                  headers={"Accept-Encoding": "br, gzip;q=0.8"})
        assert packed.headers["Content-Encoding"] == "gzip" and packed.headers["Vary"] == "Accept-Encoding"
        assert gzip.decompress(packed.body) == plain.body and len(packed.body) < len(plain.body) / 2
    refused = await client.get("blog", "/posts/hello", decompress_response=False,
                               headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers and refused.body == plain.body
    assert plain.headers["Etag"] != packed.headers["Etag"]
    for response in (plain, packed):
        again = await client.get("blog", "/posts/hello", decompress_response=False, headers={
            "If-None-Match": response.headers["Etag"],
            "Accept-Encoding": response.headers.get("Content-Encoding", "identity")})
        assert again.code == 304 and again.body == b""


async def test_reader_pages_say_how_a_cdn_may_keep_them_and_search_does_not(world, client):
    store = await world.site("blog")
    await world.post(store, await world.member(store, "owner"), "Hello")
    for path in ("/", "/posts/hello", "/feed.xml"):
        control = (await client.get("blog", path)).headers["Cache-Control"]
        assert "s-maxage=10" in control and "stale-while-revalidate" in control and "max-age=0" in control
    assert "s-maxage" not in (await client.get("blog", "/search?q=hello")).headers.get("Cache-Control", "")


async def test_a_kept_page_is_answered_with_the_headers_it_was_rendered_with(world, client, app):
    store = await world.site("blog")
    await world.post(store, await world.member(store, "owner"), "Hello", markdown="Words. " * 100)
    rendered = await client.get("blog", "/posts/hello")
    hits = app.page_cache.hits
    kept = await client.get("blog", "/posts/hello")
    assert app.page_cache.hits == hits + 1 and kept.body == rendered.body

    def comparable(response):
        return sorted((k, v) for k, v in response.headers.get_all() if k not in ("Date", "Connection", "X-Request-Id"))

    assert comparable(kept) == comparable(rendered)
    assert kept.headers["X-Request-ID"] != rendered.headers["X-Request-ID"]  # each request its own (cms.requestid)
    assert "Content-Security-Policy" in kept.headers and kept.headers["X-Content-Type-Options"] == "nosniff"
    head = await client.fetch("blog.localhost", "/posts/hello", method="HEAD", decompress_response=False,
                              headers={"Accept-Encoding": "identity"})
    assert head.code == 200 and head.body == b"" and int(head.headers["Content-Length"]) == len(rendered.body)


async def test_an_edit_of_one_posts_content_keeps_the_other_posts_pages(world, db, client):
    store, author, first = await kept_home(world, client)
    second = await world.post(store, author, "Second")
    for path in ("/posts/shown", "/posts/second", "/"):
        assert (await client.get("blog", path)).code == 200  # all kept now
    await sneak_title(db, first, "Sneaked")  # shown only by a page rendered afresh
    second = await store.posts.update(second["_id"], second["version"], title="Second", slug="second",
                                      markdown="New words.", status="published", published_at=second["published_at"])
    assert b"New words." in (await client.get("blog", "/posts/second")).body  # its own page
    assert b"Sneaked" in (await client.get("blog", "/")).body  # the lists show its excerpt: rendered afresh
    assert b"Sneaked" not in (await client.get("blog", "/posts/shown")).body  # another post's page: kept
    # A new title shows on the other posts' pages too (their neighbour links).
    await store.posts.update(second["_id"], second["version"], title="Second renamed", slug="second",
                             markdown="New words.", status="published", published_at=second["published_at"])
    assert b"Second renamed" in (await client.get("blog", "/posts/shown")).body
