"""Revisions, history diffs, restore, autosave and the live preview socket."""

from __future__ import annotations

import datetime as dt
import json

import pymongo
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from tests.admin_session import form, post_id_of, signed_in


async def test_every_save_keeps_a_revision_with_author_and_time(world, client):
    store = await world.site("alpha")
    ann = await world.member(store, "editor", name="Ann Able")
    session = await signed_in(client, "alpha", ann)
    created = await session.post("/admin/posts/new", form(title="Notes", markdown="alpha\nbeta\ngamma\n"))
    post_id = post_id_of(created)
    await session.post("/admin/posts/%s" % post_id, form(title="Notes", markdown="alpha\nBETA\ngamma\n", version="1"))
    await session.post("/admin/posts/%s" % post_id, form(title="Notes v3", markdown="alpha\nBETA\n", version="2"))
    revisions = await store.revisions.list(post_id)
    assert [r["version"] for r in revisions] == [3, 2, 1]
    assert all(r["saved_by"] == ann["_id"] and isinstance(r["saved_at"], dt.datetime) for r in revisions)
    history = await session.get("/admin/posts/%s/history" % post_id)
    assert history.code == 200 and b"Ann Able" in history.body and b"Notes v3" in history.body
    diff = (await session.get("/admin/posts/%s/history?a=1&b=2" % post_id)).body.decode()
    assert '<div class="diff-change"><del>beta</del><ins>BETA</ins></div>' in diff
    assert "@@" not in diff and "diff-mark" not in diff
    assert (await session.get("/admin/posts/%s/history?a=1&b=9" % post_id)).code == 404


async def test_restore_brings_back_old_text_as_a_new_version_without_publishing(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    session = await signed_in(client, "alpha", owner)
    post_id = post_id_of(await session.post("/admin/posts/new", form(title="Draft", markdown="first words")))
    await session.post("/admin/posts/%s" % post_id, form(title="Draft", markdown="second words", version="1"))
    response = await session.post("/admin/posts/%s/restore" % post_id, {"revision": "1", "version": "2"})
    assert response.code == 303
    post = await store.posts.get(post_id)
    assert post["markdown"] == "first words" and post["version"] == 3 and post["status"] == "draft"
    assert [r["version"] for r in await store.revisions.list(post_id)] == [3, 2, 1]
    stale = await session.post("/admin/posts/%s/restore" % post_id, {"revision": "2", "version": "2"})
    assert stale.code == 409 and (await store.posts.get(post_id))["version"] == 3


async def test_revision_versions_are_unique_per_post(db, world):
    store = await world.site("alpha")
    await db.revisions.insert_one({"_id": "r1", "site_id": store.site_id, "post_id": "p", "version": 1})
    try:
        await db.revisions.insert_one({"_id": "r2", "site_id": store.site_id, "post_id": "p", "version": 1})
    except pymongo.errors.DuplicateKeyError:
        pass
    else:
        raise AssertionError("a second revision 1 of the same post was accepted")


async def test_embedded_server_stores_set_datetimes_as_strings(db):
    """Why `Posts.update` replaces documents: nx-27017 differs from MongoDB here.

    MongoDB keeps a datetime written with ``$set`` a BSON date; nx-27017 0.8
    returns it as a string. If this starts failing, the server was fixed and
    `Posts.update` could go back to ``$set``/``$inc``.
    """
    when = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    await db.scratch.insert_one({"_id": "x", "at": when})
    await db.scratch.update_one({"_id": "x"}, {"$set": {"at": when}})
    assert isinstance((await db.scratch.find_one({"_id": "x"}))["at"], str)
    await db.scratch.find_one_and_replace({"_id": "x"}, {"at": when})
    assert (await db.scratch.find_one({"_id": "x"}))["at"] == when


async def test_autosave_keeps_typing_without_touching_or_publishing_the_post(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    post = await world.post(store, owner, "Live post", markdown="public text")
    session = await signed_in(client, "alpha", owner)
    response = await session.post("/admin/posts/%s/autosave" % post["_id"], {
        "title": "Live post", "markdown": "half-typed  \nthoughts", "state": "published"},
        headers={"X-XSRFToken": session.xsrf})
    assert response.code == 200 and "saved_at" in json.loads(response.body)
    stored = await store.posts.get(post["_id"])
    assert stored["markdown"] == "public text" and stored["version"] == 1
    assert b"public text" in (await client.get("alpha", "/posts/live-post")).body
    page = await session.get("/admin/posts/%s" % post["_id"])
    assert b"You have unsaved changes" in page.body
    restored = await session.get("/admin/posts/%s?restore=1" % post["_id"])
    assert b"half-typed  \nthoughts</textarea>" in restored.body
    discard = await session.post("/admin/posts/%s/autosave" % post["_id"], {"action": "discard"})
    assert discard.code == 303
    assert b"You have unsaved changes" not in (await session.get("/admin/posts/%s" % post["_id"])).body


async def test_autosave_of_a_new_post_is_offered_back_and_dropped_on_save(world, client):
    store = await world.site("alpha")
    author = await world.member(store, "contributor")
    session = await signed_in(client, "alpha", author)
    await session.post("/admin/posts/new/autosave", {"title": "Unfinished", "markdown": "so far"})
    assert (await store.posts.admin_list("post")).total == 0  # nothing created, nothing published
    page = await session.get("/admin/posts/new?restore=1")
    assert b'value="Unfinished"' in page.body and b"so far</textarea>" in page.body
    await session.post("/admin/posts/new", form(title="Unfinished", markdown="so far"))
    assert b"You have unsaved changes" not in (await session.get("/admin/posts/new")).body


async def test_autosave_of_someone_elses_post_is_refused(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    other = await world.member(store, "author")
    post = await world.post(store, owner, "Owner's")
    session = await signed_in(client, "alpha", other)
    assert (await session.post("/admin/posts/%s/autosave" % post["_id"], {"markdown": "x"})).code == 403


def ws_request(client, session, origin: str | None = None) -> HTTPRequest:
    headers = {"Host": "%s:%d" % (session.host, client.port),
               "Cookie": "; ".join("%s=%s" % kv for kv in session.cookies.items())}
    headers["Origin"] = origin or "http://%s:%d" % (session.host, client.port)
    return HTTPRequest("ws://127.0.0.1:%d/admin/preview" % client.port, headers=headers)


async def test_live_preview_renders_markdown_in_the_sites_theme(world, client):
    store = await world.site("alpha", title="Alpha Blog")
    owner = await world.member(store, "owner", name="Olive")
    session = await signed_in(client, "alpha", owner)
    socket = await websocket_connect(ws_request(client, session))
    try:
        socket.write_message(json.dumps({"seq": 7, "title": "Draft <b>title</b>", "markdown": "Some *emphasis*\n\n<script>x()</script>",
                                         "tags": "Garden"}))
        answer = json.loads(await socket.read_message())
    finally:
        socket.close()
    assert answer["seq"] == 7
    html = answer["html"]
    assert '<article class="post">' in html and "Alpha Blog" in html  # the theme's own page
    assert "<em>emphasis</em>" in html and "<script>x()" not in html
    assert "Draft &lt;b&gt;title&lt;/b&gt;" in html


async def test_live_preview_of_a_post_shows_its_author_and_date(world, client):
    import datetime as dt

    store = await world.site("alpha", timezone="Europe/Paris")
    editor = await world.member(store, "editor", name="Eddie Editor")
    writer = await world.member(store, "author", name="Wren Writer")
    post = await world.post(store, writer, "Hers", published_at=dt.datetime(2024, 5, 4, 10, 0, tzinfo=dt.timezone.utc))
    other_site = await world.site("beta")
    foreign = await world.post(other_site, await world.member(other_site, "owner", name="Fay Foreign"), "Theirs")
    session = await signed_in(client, "alpha", editor)
    socket = await websocket_connect(ws_request(client, session))
    try:
        async def preview(**message):
            socket.write_message(json.dumps({"seq": 1, "title": "T", "markdown": "x", **message}))
            return json.loads(await socket.read_message())["html"]

        html = await preview(post_id=post["_id"])
        assert "Wren Writer" in html and "Eddie Editor" not in html
        assert "4 May 2024" in html
        # A new publication time typed in the form, in the site's time zone.
        assert "1 June 2031" in await preview(post_id=post["_id"], publish_at="2031-06-01T00:30")
        # Another site's post is nobody's here: the preview falls back to the one typing.
        html = await preview(post_id=foreign["_id"])
        assert "Fay Foreign" not in html and "Eddie Editor" in html
    finally:
        socket.close()


async def test_live_preview_needs_a_member_and_the_sites_own_origin(world, client):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    owner = await world.member(alpha, "owner")
    outsider = await world.member(beta, "owner")
    session = await signed_in(client, "alpha", owner)
    for request in (ws_request(client, session, origin="http://evil.localhost:%d" % client.port),):
        try:
            await websocket_connect(request)
        except HTTPClientError as error:
            assert error.code == 403
        else:
            raise AssertionError("a foreign origin got a preview socket")
    anonymous = type(session)(client, "alpha")
    foreign = await signed_in(client, "beta", outsider)
    foreign.host = "alpha.localhost"
    for who in (anonymous, foreign):
        try:
            await websocket_connect(ws_request(client, who))
        except HTTPClientError as error:
            assert error.code == 403
        else:
            raise AssertionError("a non-member got a preview socket")
