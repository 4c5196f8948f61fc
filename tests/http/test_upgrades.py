"""Upgrades: the schema version, the migrations, and a platform made by older code.

tests/fixtures/platform_3b094d0 is a small platform as the code of commit
3b094d0 stored it (made by tests/fixtures/make_platform_3b094d0.py). Today's
code must open it, migrate it and serve all of it, with nothing lost.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from pathlib import Path

import pytest
from bson import json_util

from cms import migrations
from cms.db import ensure_indexes
from cms.runtime import open_platform
from cms.store.platform import Platform
from tests import platform_dump
from tests.admin_session import Session
from tests.conftest import TEST_PASSWORD


async def until(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "platform_3b094d0"


def fixture_documents(name: str) -> list[dict]:
    return json_util.loads((FIXTURE / "collections" / ("%s.json" % name)).read_text(),
                           json_options=platform_dump.OPTIONS)


async def test_a_platform_made_by_3b094d0_is_migrated_and_served_with_nothing_lost(db, settings, client, caplog):
    loaded = await platform_dump.load(db, FIXTURE)
    assert await Platform(db).schema_version() == 0  # from before versions were recorded
    caplog.set_level(logging.INFO, logger="cms.migrations")
    await open_platform(db, settings)
    await ensure_indexes(db)
    assert await Platform(db).schema_version() == migrations.LATEST
    assert "to schema version 1" in caplog.text

    for name, count in loaded.items():  # migrations add, never drop
        if not name.endswith(" files"):
            assert await db[name].count_documents({}) >= count, name
    sites = {s["_id"]: s["name"] for s in fixture_documents("sites")}
    # Readers are at each site's primary address: journal's custom domain (migration 4).
    primary = {"journal": "journal.example.org"}

    async def read(site: str, path: str = "/"):
        return await client.fetch(primary.get(site, site + ".localhost"), path)

    users = {u["_id"]: u for u in fixture_documents("users")}
    now = dt.datetime.now(dt.timezone.utc)
    for post in fixture_documents("posts"):
        site = sites[post["site_id"]]
        path = "/%s" % post["slug"] if post["type"] == "page" else "/posts/%s" % post["slug"]
        response = await read(site, path)
        visible = post["status"] == "published" and post["published_at"].replace(tzinfo=dt.timezone.utc) <= now
        if visible:
            assert response.code == 200, (site, path)
            assert post["title"].encode() in response.body
            if post["type"] == "post":
                assert users[post["author_id"]]["name"].encode() in response.body
        else:
            assert response.code == 404, (site, path)
    for site in sites.values():
        for path in ("/", "/feed.xml", "/rss.xml", "/sitemap.xml", "/search?q=the", "/robots.txt"):
            assert (await read(site, path)).code == 200, (site, path)
    home = (await read("journal")).body
    assert b"Field Journal" in home and b"First light, again" in home and b'href="/about"' in home
    assert (await read("journal", "/tags/sky")).code == 200
    assert (await read("journal", "/authors/ben")).code == 200
    moved = await client.get("journal", "/tags/sky")  # its platform address leads to its domain
    assert moved.code == 301 and moved.headers["Location"] == "http://journal.example.org:%d/tags/sky" % client.port

    # Media: the image and its copies come back byte for byte, shown by the post.
    first = (await read("journal", "/posts/first-light")).body
    stored = {f["_id"]: bytes(f["data"]) for f in json_util.loads(
        (FIXTURE / "gridfs" / "media.json").read_text(), json_options=platform_dump.OPTIONS)}
    item = fixture_documents("media_items")[0]
    for file in item["files"]:
        response = await client.get("journal", file["url"])
        assert response.code == 200 and response.body in stored.values(), file["url"]
    assert item["files"][0]["url"].encode() in first

    # People sign in with their old passwords and find their history whole,
    # including the version whose revision a crash had lost (migration 1).
    session = Session(client, "journal")
    assert (await session.login("ben@example.com")).code == 303
    half = next(p for p in fixture_documents("posts") if p["slug"] == "half-saved")
    history = await session.get("/admin/posts/%s/history" % half["_id"])
    assert history.code == 200
    revision = await db.revisions.find_one({"post_id": half["_id"], "version": 2})
    assert revision is not None and revision["markdown"] == "Version two, readers see it."
    other_site = await Session(client, "garden").login("ana@example.com")
    assert other_site.code != 303  # a member of journal only


async def test_migrations_run_once_in_order_and_are_idempotent(db, world, caplog):
    store = await world.site("old")
    author = await world.member(store)
    post = await world.post(store, author, "A post")
    await db.revisions.delete_many({"post_id": post["_id"]})  # as a crash left it
    assert await Platform(db).schema_version() == 0
    caplog.set_level(logging.INFO, logger="cms.migrations")

    ran = await migrations.migrate(db)
    assert [step.version for step in ran] == list(range(1, migrations.LATEST + 1))
    assert await Platform(db).schema_version() == migrations.LATEST
    assert await db.revisions.count_documents({"post_id": post["_id"]}) == 1
    assert caplog.text.count("migrating database") == migrations.LATEST
    assert await migrations.migrate(db) == []  # done: nothing runs again
    for step in migrations.steps():  # and a step run twice (a crash before its version was kept) is harmless
        await step.up(db)
    assert await db.revisions.count_documents({"post_id": post["_id"]}) == 1


async def test_a_new_platform_starts_at_the_latest_version_without_steps(db):
    assert await migrations.migrate(db) == []
    assert await Platform(db).schema_version() == migrations.LATEST


async def test_a_database_newer_than_the_code_is_refused(db, world):
    await world.site("future")
    await Platform(db).set_schema_version(migrations.LATEST + 1)
    with pytest.raises(migrations.SchemaTooNew, match="newer than this code"):
        await migrations.migrate(db)
    assert await Platform(db).schema_version() == migrations.LATEST + 1


async def test_under_gunicorn_the_worker_migrates_and_refuses_a_newer_database(db, world, settings):
    """The worker's database monitor (which makes the indexes there) upgrades first, or says why not."""
    from cms.app import make_app

    store = await world.site("old")
    post = await world.post(store, await world.member(store), "A post")
    await db.revisions.delete_many({"post_id": post["_id"]})
    app = make_app(settings, db)
    app.monitor.start(ensure_indexes=True)
    try:
        await until(lambda: app.monitor.indexes_ready)
        assert await app.monitor.readiness() is None
        assert await Platform(db).schema_version() == migrations.LATEST
        assert await db.revisions.count_documents({"post_id": post["_id"]}) == 1
    finally:
        await app.monitor.stop()

    await Platform(db).set_schema_version(migrations.LATEST + 1)
    app = make_app(settings, db)
    app.monitor.start(ensure_indexes=True)
    try:
        await until(lambda: app.monitor.refused)
        assert "newer than this code" in (await app.monitor.readiness() or "")
        assert not app.monitor.indexes_ready
    finally:
        await app.monitor.stop()


async def test_a_failing_step_is_one_clear_error_and_keeps_the_versions_before_it(db, world, monkeypatch):
    await world.site("old")

    async def broken(db) -> None:
        await db.scratch.insert_one({"half": "done"})
        raise ValueError("no such field")

    real = migrations.steps()
    monkeypatch.setattr(migrations, "steps", lambda: real + [migrations.Step(len(real) + 1, "m999_x", "x", broken)])
    monkeypatch.setattr(migrations, "LATEST", len(real) + 1)
    with pytest.raises(migrations.MigrationFailed, match="failed: no such field.*still at version %d" % len(real)):
        await migrations.migrate(db)
    assert await Platform(db).schema_version() == len(real)  # the steps before it are kept


async def test_excerpts_saved_before_are_cut_from_paragraphs_by_the_upgrade(db, world, client):
    store = await world.site("old")
    author = await world.member(store)
    plain = await world.post(store, author, "Plain", "Opening words.\n\n## A heading\n\n```\nimport asyncio\n```\n\nMore.")
    custom = await world.post(store, author, "Custom", "## Heading\n\nBody.", custom_excerpt="The author's own")
    other = await world.site("other")
    elsewhere = await world.post(other, await world.member(other), "Elsewhere", "Its words.\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    # As code before paragraph-only excerpts stored them:
    await db.posts.update_one({"_id": plain["_id"]}, {"$set": {"excerpt": "Opening words. A heading import asyncio More."}})
    await db.posts.update_one({"_id": elsewhere["_id"]}, {"$set": {"excerpt": "Its words. a b 1 2"}})
    await migrations.migrate(db)
    assert (await db.posts.find_one({"_id": plain["_id"]}))["excerpt"] == "Opening words. More."
    assert (await db.posts.find_one({"_id": custom["_id"]}))["excerpt"] == "The author's own"
    assert (await db.posts.find_one({"_id": elsewhere["_id"]}))["excerpt"] == "Its words."
    home = (await client.get("old")).body
    assert b"Opening words. More." in home and b"import asyncio" not in home


async def test_accounts_from_before_confirmations_are_confirmed_by_the_upgrade(db, world, client):
    store = await world.site("old")
    old = await world.member(store)
    await db.users.update_one({"_id": old["_id"]}, {"$unset": {"email_confirmed": ""}})  # as code before stored it
    unconfirmed = await world.users.create("new@example.com", TEST_PASSWORD, email_confirmed=False)
    await migrations.migrate(db)
    assert (await db.users.find_one({"_id": old["_id"]}))["email_confirmed"]
    assert (await db.users.find_one({"_id": unconfirmed["_id"]}))["email_confirmed"] is False  # an inserted False
    assert (await Session(client, "old").login(old["email"])).code == 303


async def test_tag_addresses_made_before_transliteration_move_with_a_redirect(db, world, client):
    store = await world.site("old")
    author = await world.member(store)
    post = await world.post(store, author, "Trip", tags=["Łódź", "Straße", "Garden"])
    other = await world.site("other")
    theirs = await world.post(other, await world.member(other), "Theirs", tags=["Łódź"])
    # As code before cms/text/slugs.py used anyascii stored them (NFKD, non-ASCII dropped):
    await db.posts.update_one({"_id": post["_id"]}, {"$set": {"tag_slugs": ["odz", "strae", "garden"]}})
    await db.posts.update_one({"_id": theirs["_id"]}, {"$set": {"tag_slugs": ["odz"]}})
    await migrations.migrate(db)
    assert (await db.posts.find_one({"_id": post["_id"]}))["tag_slugs"] == ["lodz", "strasse", "garden"]
    assert (await db.posts.find_one({"_id": theirs["_id"]}))["tag_slugs"] == ["lodz"]
    moved = await client.get("old", "/tags/strae")
    assert moved.code == 301 and moved.headers["Location"] == "/tags/strasse"
    assert (await client.get("old", "/tags/lodz")).code == 200
    assert (await client.get("other", "/tags/strae")).code == 404  # old's redirect is old's alone


async def test_code_blocks_saved_before_become_keyboard_focusable_by_the_upgrade(db, world, client):
    store = await world.site("old")
    author = await world.member(store)
    post = await world.post(store, author, "Code", "```python\nimport asyncio\n```\n\n    indented = 1\n")
    other = await world.site("other")
    elsewhere = await world.post(other, await world.member(other), "Elsewhere", "    x = 1\n")
    for saved in (post, elsewhere):  # as code before focusable code blocks stored them
        stored = await db.posts.find_one({"_id": saved["_id"]})
        await db.posts.update_one({"_id": saved["_id"]}, {"$set": {"html": stored["html"].replace(' tabindex="0"', "")}})
    await migrations.migrate(db)
    for saved, count in ((post, 2), (elsewhere, 1)):
        assert (await db.posts.find_one({"_id": saved["_id"]}))["html"].count('<pre tabindex="0"') == count
    page = (await client.get("old", "/posts/code")).body.decode()
    assert page.count('<pre tabindex="0"') == 2


async def test_free_text_site_languages_become_the_nearest_supported_one_by_the_upgrade(db, world, client):
    typed = {"wien": "de-AT", "lisboa": "pt-BR", "tehran": "fa", "shtetl": "yi", "plain": "en", "bare": None}
    for name, language in typed.items():
        store = await world.site(name)
        await world.post(store, await world.member(store), "Post")
        # As the free-text field stored them (or, for "bare", a site from before languages):
        change = {"$set": {"language": language}} if language else {"$unset": {"language": ""}}
        await db.sites.update_one({"_id": store.site["_id"]}, change)
    await migrations.migrate(db)
    languages = {site["name"]: site["language"] async for site in db.sites.find({}, {"name": 1, "language": 1})}
    assert languages == {"wien": "de", "lisboa": "en", "tehran": "ar", "shtetl": "he", "plain": "en", "bare": "en"}
    home = (await client.get("wien", "/")).body.decode()
    assert '<html lang="de"' in home and "Min. Lesezeit" in home
    assert 'dir="rtl"' in (await client.get("tehran", "/")).body.decode()  # still right to left
