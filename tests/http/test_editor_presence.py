"""The editor's live channel (issue 12): who else has a post open, and their saves.

Only signed-in members of the site who may edit the post open it; its events
never reach a reader's socket nor another site; a tab that closes or goes
silent stops counting.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from cms.store.presence import TTL
from tests.admin_session import form, signed_in
from tests.http.test_live import DEADLINE, connect, next_message, quiet


async def editor_socket(client, session, post_id: str, tab: str, origin: str = ""):
    """An editor tab's socket, with the session's cookies, from a page of the site itself."""
    host = "%s:%d" % (session.host, client.port)
    headers = {"Host": host, "Origin": origin or "http://" + host}
    if session.cookies:
        headers["Cookie"] = "; ".join("%s=%s" % item for item in session.cookies.items())
    request = HTTPRequest("ws://127.0.0.1:%d/admin/live?post=%s&tab=%s" % (client.port, post_id, tab), headers=headers)
    socket = await websocket_connect(request)
    assert (await next_message(socket))["kind"] == "hello"
    return socket


async def editors_seen(socket) -> list:
    """The next list of other editors the socket is sent (other messages are skipped)."""
    while True:
        message = await next_message(socket)
        if message["kind"] == "editors":
            return message["editors"]


async def scene(world, client):
    store = await world.site("alpha")
    ana = await world.member(store, "editor", name="Ana")
    bob = await world.member(store, "author", name="Bob")
    post = await world.post(store, bob, "Shared", markdown="First.", status="published")
    return store, ana, bob, post, await signed_in(client, "alpha", ana), await signed_in(client, "alpha", bob)


async def test_two_editors_see_each_other_and_the_others_save_at_once(world, client, app):
    store, ana, bob, post, ana_session, bob_session = await scene(world, client)
    reader = await connect(client, "alpha", "post:%s" % post["_id"])
    ana_tab = await editor_socket(client, ana_session, post["_id"], "tab-of-ana")
    assert await editors_seen(ana_tab) == []
    bob_tab = await editor_socket(client, bob_session, post["_id"], "tab-of-bob")
    assert await editors_seen(bob_tab) == [{"name": "Ana", "you": False}]
    assert await editors_seen(ana_tab) == [{"name": "Bob", "you": False}]

    saved = await bob_session.post("/admin/posts/%s" % post["_id"], form(
        title="Shared", markdown="Second.", state="published", version="1", tab="tab-of-bob"))
    assert saved.code == 303
    message = await next_message(ana_tab)
    assert message == {"kind": "saved", "version": 2, "by": "Bob", "you": False}
    assert await quiet(bob_tab, app)  # not told of his own save
    assert await quiet(reader, app)  # a reader of the post hears nothing of the editors

    bob_tab.close()
    assert await editors_seen(ana_tab) == []
    ana_tab.close()
    reader.close()


async def test_readers_cannot_follow_the_editors_channel(world, client):
    store, ana, bob, post, ana_session, bob_session = await scene(world, client)
    for channel in ("admin:post:%s" % post["_id"], "admin:post"):
        with pytest.raises(HTTPClientError) as refused:
            await connect(client, "alpha", channel)
        assert refused.value.code == 400
        answer = await client.get("alpha", "/live.json?channel=%s&since=0" % channel)
        assert answer.code == 400


@pytest.mark.parametrize("who", ["nobody", "contributor", "other site's member", "bad origin"])
async def test_only_someone_who_may_edit_the_post_opens_its_channel(world, client, who):
    store, ana, bob, post, ana_session, bob_session = await scene(world, client)
    session, origin, code = ana_session, "", 403
    if who == "nobody":
        session = type(ana_session)(client, "alpha")
    elif who == "contributor":  # may edit their own drafts only, not Bob's published post
        session = await signed_in(client, "alpha", await world.member(store, "contributor"))
    elif who == "other site's member":
        beta = await world.site("beta")
        session = await signed_in(client, "beta", await world.member(beta, "owner"))
        code = 404  # alpha's post is not beta's: missing
    else:
        origin = "http://evil.localhost:%d" % client.port
    with pytest.raises(HTTPClientError) as refused:
        await editor_socket(client, session, post["_id"], "a-tab-name", origin=origin)
    assert refused.value.code == code
    assert await store.presence.here(post["_id"]) == []


async def test_another_sites_save_never_reaches_this_sites_editors(world, client, app):
    store, ana, bob, post, ana_session, bob_session = await scene(world, client)
    beta = await world.site("beta")
    olga = await world.member(beta, "owner", name="Olga")
    theirs = await world.post(beta, olga, "Theirs", markdown="Beta.")
    ana_tab = await editor_socket(client, ana_session, post["_id"], "tab-of-ana")
    assert await editors_seen(ana_tab) == []
    olga_session = await signed_in(client, "beta", olga)
    olga_tab = await editor_socket(client, olga_session, theirs["_id"], "tab-of-olga")
    saved = await olga_session.post("/admin/posts/%s" % theirs["_id"], form(title="Theirs", markdown="B.", version="1"))
    assert saved.code == 303
    assert await quiet(ana_tab, app)
    ana_tab.close()
    olga_tab.close()


async def test_a_tab_that_goes_silent_stops_counting(world, client):
    store, ana, bob, post, ana_session, bob_session = await scene(world, client)
    await store.presence.beat(post["_id"], "silent-tab", bob)
    now = dt.datetime.now(dt.timezone.utc)
    assert [t["name"] for t in await store.presence.here(post["_id"], now)] == ["Bob"]
    assert await store.presence.here(post["_id"], now + dt.timedelta(seconds=TTL + 2)) == []
    # And another site's tabs are never this site's.
    beta = await world.site("beta")
    assert await beta.presence.here(post["_id"], now) == []


async def test_signed_out_the_socket_is_closed_at_the_next_beat(world, client):
    store, ana, bob, post, ana_session, bob_session = await scene(world, client)
    ana_tab = await editor_socket(client, ana_session, post["_id"], "tab-of-ana")
    await ana_session.post("/admin/sessions", {})  # "sign out everywhere"
    ana_tab.write_message("beat")
    deadline = asyncio.get_running_loop().time() + DEADLINE
    while (message := await asyncio.wait_for(ana_tab.read_message(), DEADLINE)) is not None:
        assert json.loads(message)["kind"] != "saved"
        assert asyncio.get_running_loop().time() < deadline
    assert ana_tab.close_code == 4003


# --- where WebSockets are blocked: the page beats by POST /admin/live/beat ------------------

async def beat(session, post_id: str, tab: str, since: str = "") -> dict:
    answer = await session.post("/admin/live/beat", {"post": post_id, "tab": tab, "since": since})
    assert answer.code == 200, answer.body
    assert answer.headers["Cache-Control"] == "no-store"
    return json.loads(answer.body)


async def test_without_websockets_the_beat_tells_who_else_is_editing_and_their_saves(world, client):
    store, ana, bob, post, ana_session, bob_session = await scene(world, client)
    first = await beat(ana_session, post["_id"], "tab-of-ana")
    assert first["editors"] == [] and first["saved"] == []
    ana_tab = await editor_socket(client, ana_session, post["_id"], "socket-of-ana")  # both ways at once
    assert await editors_seen(ana_tab) == [{"name": "Ana", "you": True}]
    bob_first = await beat(bob_session, post["_id"], "tab-of-bob")
    assert bob_first["editors"] == [{"name": "Ana", "you": False}]
    assert await editors_seen(ana_tab) == [{"name": "Ana", "you": True}, {"name": "Bob", "you": False}]

    saved = await bob_session.post("/admin/posts/%s" % post["_id"], form(
        title="Shared", markdown="Second.", state="published", version="1", tab="tab-of-bob"))
    assert saved.code == 303
    again = await beat(ana_session, post["_id"], "tab-of-ana", str(first["seq"]))
    assert again["editors"] == [{"name": "Ana", "you": True}, {"name": "Bob", "you": False}]  # her socket too
    assert again["saved"] == [{"version": 2, "by": "Bob", "you": False}]
    assert (await beat(bob_session, post["_id"], "tab-of-bob", str(bob_first["seq"])))["saved"] == []  # his own
    assert (await beat(ana_session, post["_id"], "tab-of-ana", str(again["seq"])))["saved"] == []  # told once
    ana_tab.close()


@pytest.mark.parametrize("who", ["nobody", "contributor", "other site's member"])
async def test_only_someone_who_may_edit_the_post_beats_for_it(world, client, who):
    store, ana, bob, post, ana_session, bob_session = await scene(world, client)
    code = 403
    if who == "nobody":
        session = type(ana_session)(client, "alpha")
    elif who == "contributor":
        session = await signed_in(client, "alpha", await world.member(store, "contributor"))
    else:
        beta = await world.site("beta")
        session = await signed_in(client, "beta", await world.member(beta, "owner"))
        code = 404
    answer = await session.post("/admin/live/beat", {"post": post["_id"], "tab": "a-tab-name"})
    assert answer.code in ((code, 302) if who == "nobody" else (code,))
    assert await store.presence.here(post["_id"]) == []


@pytest.mark.parametrize("fields", [{"post": "not-a-post-id"}, {"post": ""}, {"tab": "no"}, {"tab": ""},
                                    {"since": "x"}, {"since": "9" * 13}])
async def test_a_beat_that_names_nothing_right_is_refused_and_counts_nobody(world, client, fields):
    store, ana, bob, post, ana_session, bob_session = await scene(world, client)
    sent = {"post": post["_id"], "tab": "a-tab-name", "since": "", **fields}
    answer = await ana_session.post("/admin/live/beat", sent)
    assert answer.code == 400
    assert await store.presence.here(post["_id"]) == []
