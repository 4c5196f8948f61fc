"""A save is one step: what readers and the history show stays consistent when the
database dies between the writes of a save, and a retried save is recognised as done.

The crash tests run their own embedded server (not the session's) and kill it
with SIGKILL at a hook point of the save, between two of its writes; then a
fresh server and a fresh application (as after a restart) open the same files.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
import uuid

import pytest
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer

from cms import db as database
from cms.app import make_app
from cms.config import Settings
from cms.store import Changes, Conflict, SiteStore
from cms.store.saving import Saver
from tests.admin_session import Session, form, signed_in
from tests.conftest import Client, World


@dataclasses.dataclass
class Platform:
    """An application on its own embedded server, which a test may kill and bring back."""

    server: database.EmbeddedServer
    settings: Settings
    client: Client
    db: database.Database
    _closers: list

    async def close(self) -> None:
        for close in reversed(self._closers):
            with contextlib.suppress(Exception):
                await close()
        self._closers.clear()


async def open_platform(directory, settings: Settings) -> Platform:
    server = database.EmbeddedServer(directory)
    uri = server.start()
    # A short server selection: a write to a dead server fails in half a second, not five.
    mongo = database.connect(uri, serverSelectionTimeoutMS=500)
    db = mongo[settings.database_name]
    await database.ensure_indexes(db)
    http_server = HTTPServer(make_app(settings, db))
    port = database.free_port()
    http_server.listen(port, "127.0.0.1")
    http = AsyncHTTPClient(force_instance=True)

    async def stop_http() -> None:
        http.close()
        http_server.stop()
        await http_server.close_all_connections()

    async def stop_db() -> None:
        mongo.close()
        server.stop()

    return Platform(server, settings, Client(port, http), db, [stop_db, stop_http])


@pytest.fixture
async def platform(tmp_path):
    settings = Settings(mongodb_uri="unused", database_name="saves", data_dir=tmp_path, base_domain="localhost",
                        cookie_secret="test-cookie-secret-" + uuid.uuid4().hex)
    opened = [await open_platform(tmp_path / "db", settings)]
    yield opened
    for each in opened:
        await each.close()


def kill_after(monkeypatch, platform: Platform, step: str) -> None:
    """SIGKILL the database once the save has done ``step`` ("revision" or "post")."""

    async def hook(done: str) -> None:
        if done == step:
            platform.server.process.kill()
            platform.server.process.wait()

    monkeypatch.setattr(Saver, "between_writes", hook)


async def restart(opened: list, monkeypatch) -> tuple[Platform, SiteStore]:
    """The database and the application come back on the same files (the hook is gone)."""
    monkeypatch.setattr(Saver, "between_writes", None)
    old = opened[-1]
    await old.close()
    new = await open_platform(old.server.directory, old.settings)
    opened.append(new)
    site = await new.db.sites.find_one({"name": "alpha"})
    return new, SiteStore(new.db, site)


def carry(session: Session, platform: Platform) -> Session:
    """The same browser (same cookies) talking to the restarted application."""
    again = Session(platform.client, "alpha")
    again.cookies = dict(session.cookies)
    return again


async def history_of(store: SiteStore, post_id: str) -> list[tuple[int, str]]:
    post = await store.posts.get(post_id)
    return [(r["version"], (await store.revisions.get(post_id, r["version"], current=post))["markdown"])
            for r in await store.revisions.list(post_id, current=post)]


async def a_post(platform: Platform):
    world = World(platform.db)
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    post = await world.post(store, owner, "Kept", markdown="first words")
    session = await signed_in(platform.client, "alpha", owner)
    return store, post, session


SAVE = form(title="Kept", markdown="second words", state="draft", version="1")


async def test_database_killed_after_the_revision_write_the_post_and_history_are_as_before(platform, monkeypatch):
    store, post, session = await a_post(platform[0])
    kill_after(monkeypatch, platform[0], "revision")
    response = await session.post("/admin/posts/%s" % post["_id"], SAVE)
    assert response.code == 503, response.code
    assert b"try again in a moment" in response.body and response.headers["Retry-After"]

    platform_, store = await restart(platform, monkeypatch)
    assert (await store.posts.get(post["_id"]))["markdown"] == "first words"
    assert await history_of(store, post["_id"]) == [(1, "first words")]  # the stray version 2 is not shown

    session = carry(session, platform_)
    retried = await session.post("/admin/posts/%s" % post["_id"], SAVE)
    assert retried.code == 303
    saved = await store.posts.get(post["_id"])
    assert (saved["version"], saved["markdown"]) == (2, "second words")
    assert await history_of(store, post["_id"]) == [(2, "second words"), (1, "first words")]


async def test_database_killed_after_the_post_write_the_retry_is_recognised_as_done(platform, monkeypatch):
    store, post, session = await a_post(platform[0])
    before = await Changes(platform[0].db).current(store.site_id)
    kill_after(monkeypatch, platform[0], "post")
    response = await session.post("/admin/posts/%s" % post["_id"], SAVE)
    assert response.code == 503, response.code

    platform_, store = await restart(platform, monkeypatch)
    saved = await store.posts.get(post["_id"])
    assert (saved["version"], saved["markdown"]) == (2, "second words")
    assert await history_of(store, post["_id"]) == [(2, "second words"), (1, "first words")]
    assert await Changes(platform_.db).current(store.site_id) == before  # the counter step never ran

    session = carry(session, platform_)
    retried = await session.post("/admin/posts/%s" % post["_id"], SAVE)
    assert retried.code == 303 and "saved=1" in retried.headers["Location"]  # done, not a conflict
    assert (await store.posts.get(post["_id"]))["version"] == 2
    assert await Changes(platform_.db).current(store.site_id) > before  # kept pages everywhere are dropped now
    page = await session.get("/admin/posts/%s/history" % post["_id"])
    assert page.code == 200 and b'aria-label="to version 2"' in page.body


async def test_a_new_post_is_saved_with_its_first_revision(world):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    post = await world.post(store, owner, "Fresh", markdown="hello")
    assert await history_of(store, post["_id"]) == [(1, "hello")]


async def test_a_retried_save_with_the_same_content_is_done_and_other_content_conflicts(world):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    post = await world.post(store, owner, "Same", markdown="one")
    fields = dict(title="Same", markdown="two", status="draft", editor_id=owner["_id"])
    first = await store.posts.update(post["_id"], 1, **fields)
    again = await store.posts.update(post["_id"], 1, **fields)
    assert again["version"] == first["version"] == 2 and again["markdown"] == "two"
    with pytest.raises(Conflict):
        await store.posts.update(post["_id"], 1, **{**fields, "markdown": "three"})
    assert await history_of(store, post["_id"]) == [(2, "two"), (1, "one")]


async def test_a_stray_revision_is_hidden_then_overwritten_by_the_next_save(world, db):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    post = await world.post(store, owner, "Stray", markdown="one")
    # What a crash between the revision write and the post write leaves behind.
    await db.revisions.insert_one({"_id": "stray", "site_id": store.site_id, "post_id": post["_id"], "version": 2,
                                   "markdown": "never saved", "title": "Stray", "save_id": "lost"})
    assert await history_of(store, post["_id"]) == [(1, "one")]
    assert await store.revisions.get(post["_id"], 2, current=post) is None
    await store.posts.update(post["_id"], 1, title="Stray", markdown="two", status="draft", editor_id=owner["_id"])
    assert await history_of(store, post["_id"]) == [(2, "two"), (1, "one")]


async def test_concurrent_saves_of_one_version_leave_the_history_matching_the_post(world):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    post = await world.post(store, owner, "Race", markdown="v1")
    for version in range(1, 6):
        results = await asyncio.gather(*[
            store.posts.update(post["_id"], version, title="Race", markdown="v%d by %d" % (version + 1, who),
                               status="draft", editor_id=owner["_id"])
            for who in range(4)
        ], return_exceptions=True)
        assert sum(not isinstance(r, Exception) for r in results) == 1
        assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))
    current = await store.posts.get(post["_id"])
    history = await history_of(store, post["_id"])
    assert history[0] == (6, current["markdown"])
    raw = {r["version"]: r["markdown"] async for r in store.db.revisions.find({"post_id": post["_id"]})}
    assert raw[6] == current["markdown"]


async def test_the_history_of_another_sites_post_is_missing(world, client):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    owner = await world.member(alpha, "owner")
    theirs = await world.post(beta, await world.member(beta, "owner"), "Theirs", markdown="secret")
    session = await signed_in(client, "alpha", owner)
    assert (await session.get("/admin/posts/%s/history" % theirs["_id"])).code == 404
    assert await alpha.revisions.list(theirs["_id"]) == []


def new_post_form(body: bytes, markdown: str) -> dict:
    """The new-post editor's form as a browser submits it (its hidden fields included)."""
    found = re.search(rb'name="new_id" value="([0-9a-f]{24})"', body)
    assert found, "the new-post form carries no id of its own"
    return form(title="Brand new", markdown=markdown, state="published", new_id=found.group(1).decode())


@pytest.mark.parametrize("step", ["revision", "post"])
async def test_a_new_post_whose_save_was_cut_short_is_saved_once_when_sent_again(platform, monkeypatch, step):
    store, _, session = await a_post(platform[0])
    fields = new_post_form((await session.get("/admin/posts/new")).body, "new words")
    kill_after(monkeypatch, platform[0], step)
    assert (await session.post("/admin/posts/new", fields)).code == 503

    platform_, store = await restart(platform, monkeypatch)
    session = carry(session, platform_)
    retried = await session.post("/admin/posts/new", fields)
    assert retried.code == 303 and retried.headers["Location"] == "/admin/posts/%s?saved=1" % fields["new_id"]
    again = await session.post("/admin/posts/new", fields)  # a third time: still the one post
    assert again.code == 303 and again.headers["Location"] == retried.headers["Location"]
    created = [p async for p in platform_.db.posts.find({"title": "Brand new"})]
    assert [(p["_id"], p["slug"], p["version"]) for p in created] == [(fields["new_id"], "brand-new", 1)]
    assert await history_of(store, fields["new_id"]) == [(1, "new words")]
    assert (await platform_.client.get("alpha", "/posts/brand-new")).code == 200


async def test_a_new_post_form_sent_again_with_other_words_is_a_conflict_not_a_second_post(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    session = await signed_in(client, "alpha", owner)
    body = (await session.get("/admin/posts/new")).body
    assert (await session.post("/admin/posts/new", new_post_form(body, "first"))).code == 303
    other = await session.post("/admin/posts/new", new_post_form(body, "second"))
    assert other.code == 409 and b"someone else saved" in other.body
    assert await world.db.posts.count_documents({"title": "Brand new"}) == 1


async def test_a_new_post_form_cannot_take_the_id_of_another_sites_post(world, client):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    owner = await world.member(alpha, "owner")
    theirs = await world.post(beta, await world.member(beta, "owner"), "Theirs", markdown="secret")
    session = await signed_in(client, "alpha", owner)
    for bad in (theirs["_id"], "not-an-id", "0" * 25):
        fields = form(title="Brand new", markdown="words", state="draft", new_id=bad)
        response = await session.post("/admin/posts/new", fields)
        assert response.code == 400, (bad, response.code)
    assert await world.db.posts.count_documents({"title": "Brand new"}) == 0
    assert (await beta.posts.get(theirs["_id"]))["markdown"] == "secret"


async def test_a_newest_version_left_without_its_revision_is_shown_and_mended_by_the_next_save(world, db, client):
    """What the old order of writes left behind after a crash: the post at version 2, no revision 2."""
    store = await world.site("alpha")
    owner = await world.member(store, "owner", name="Olga Owner")
    post = await world.post(store, owner, "Old", markdown="one")
    post = await store.posts.update(post["_id"], 1, title="Old", markdown="two", status="draft",
                                    editor_id=owner["_id"])
    await db.revisions.delete_one({"post_id": post["_id"], "version": 2})
    assert await history_of(store, post["_id"]) == [(2, "two"), (1, "one")]
    session = await signed_in(client, "alpha", owner)
    page = await session.get("/admin/posts/%s/history?a=1&b=2" % post["_id"])
    assert page.code == 200 and b"Olga Owner" in page.body
    await store.posts.update(post["_id"], 2, title="Old", markdown="three", status="draft", editor_id=owner["_id"])
    stored = {r["version"]: r["markdown"] async for r in db.revisions.find({"post_id": post["_id"]})}
    assert stored == {1: "one", 2: "two", 3: "three"}
