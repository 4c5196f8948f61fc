"""Live updates (issue 12, "Live"): events reach readers' sockets over ``/live``, from
any process on the database, and never another site's; ``/live.json`` is the fallback."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time

import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.httpserver import HTTPServer
from tornado.websocket import websocket_connect

from cms import db as database
from cms.app import make_app
from cms.store import events

DEADLINE = 10.0  # seconds a test waits for a message on a loaded machine; never a fixed sleep


async def connect(client, site: str, channel: str = "posts", port: int | None = None, origin: str | None = ""):
    """A reader's socket to ``<site>.localhost``; ``origin=""``: the site's own page."""
    port = port or client.port
    host = "%s.localhost:%d" % (site, port)
    headers = {"Host": host}
    if origin is not None:
        headers["Origin"] = origin or "http://" + host
    request = HTTPRequest("ws://127.0.0.1:%d/live?channel=%s" % (port, channel), headers=headers)
    socket = await websocket_connect(request, max_message_size=1 << 16)
    hello = json.loads(await asyncio.wait_for(socket.read_message(), DEADLINE))
    assert hello["subscribed"] == [channel]
    return socket


async def next_message(socket, timeout: float = DEADLINE) -> dict:
    message = await asyncio.wait_for(socket.read_message(), timeout)
    assert message is not None, "the socket was closed"
    return json.loads(message)


async def quiet(socket, app, polls: int = 3) -> bool:
    """True when nothing arrives while this process's poll runs ``polls`` more times."""
    start = app.live.polls
    deadline = time.monotonic() + DEADLINE
    read = asyncio.ensure_future(socket.read_message())
    try:
        while app.live.polls < start + polls and time.monotonic() < deadline:
            done, _ = await asyncio.wait([read], timeout=0.05)
            if done:
                return False
        return not read.done()
    finally:
        read.cancel()


async def blog(world, name="blog"):
    store = await world.site(name)
    author = await world.member(store, "author")
    return store, author


async def test_a_published_post_reaches_a_reader_of_the_home_page(world, client, app):
    store, author = await blog(world)
    socket = await connect(client, "blog")
    post = await world.post(store, author, "Fresh news", tags=["Town"])
    event = await next_message(socket)
    assert event["kind"] == "published" and event["title"] == "Fresh news" and event["url"] == "/posts/fresh-news"
    assert event["tags"] == ["town"] and event["author"] == author["username"] and event["id"] == str(post["_id"])
    assert "site_id" not in event and "_id" not in event
    # A draft is no news; its publication later is.
    draft = await world.post(store, author, "Later", status="draft")
    assert await quiet(socket, app)
    await store.posts.update(draft["_id"], 1, title="Later", markdown="Now.", status="published")
    assert (await next_message(socket))["title"] == "Later"
    socket.close()


async def test_an_event_written_by_this_process_is_sent_at_once_not_at_the_next_poll(world, client, app):
    store, author = await blog(world)
    app.live.interval = 3600.0  # the poll's own turns would come far past the deadline
    socket = await connect(client, "blog")
    polls = app.live.polls
    await world.post(store, author, "Straight away")
    assert (await next_message(socket))["title"] == "Straight away"
    assert app.live.polls == polls + 1


async def test_an_approved_comment_reaches_the_readers_of_its_post_only(world, client, app):
    store, author = await blog(world)
    post = await world.post(store, author, "Hello")
    other = await world.post(store, author, "Other")
    on_post = await connect(client, "blog", "post:%s" % post["_id"])
    on_other = await connect(client, "blog", "post:%s" % other["_id"])
    comment = await store.comments.add(post, "Nice.", status="pending", name="Ada", email="ada@example.org")
    await store.comments.moderate(comment["_id"], "approved")
    event = await next_message(on_post)
    assert event == {"seq": event["seq"], "channel": "post:%s" % post["_id"], "kind": "comment",
                     "post": str(post["_id"]), "id": str(comment["_id"])}
    assert await quiet(on_other, app)


async def test_an_event_of_one_site_never_reaches_another(world, client, app):
    store_a, author_a = await blog(world, "alpha")
    store_b, _ = await blog(world, "beta")
    post_a = await world.post(store_a, author_a, "Alpha's post")
    reader_b = await connect(client, "beta")
    await world.post(store_a, author_a, "Only for alpha")
    comment = await store_a.comments.add(post_a, "Hi.", status="approved", name="Ada", email="ada@example.org")
    assert comment["status"] == "approved"
    assert await quiet(reader_b, app)
    # Beta cannot follow alpha's post: it is not beta's (a 404, as its page would be).
    with pytest.raises(HTTPClientError) as refused:
        await connect(client, "beta", "post:%s" % post_a["_id"])
    assert refused.value.code == 404
    answer = await client.get("beta", "/live.json?channel=post:%s&since=0" % post_a["_id"])
    assert answer.code == 404


async def test_two_applications_on_one_database_both_deliver(world, client, app, settings, db):
    """Events go through the database: a post published through one process reaches
    the readers of another (here: a second application with its own poll)."""
    store, author = await blog(world)
    second = make_app(settings, db)
    server = HTTPServer(second)
    port = database.free_port()
    server.listen(port, "127.0.0.1")
    try:
        here = await connect(client, "blog")
        there = await connect(client, "blog", port=port)
        await world.post(store, author, "Everywhere")
        assert (await next_message(here))["title"] == "Everywhere"
        assert (await next_message(there))["title"] == "Everywhere"
        assert second.live.delivered == 1 and app.live.delivered == 1
    finally:
        second.live.stop()
        second.changes.stop()
        server.stop()
        await server.close_all_connections()


async def test_a_scheduled_post_is_announced_when_its_time_comes(world, client, app):
    store, author = await blog(world)
    socket = await connect(client, "blog")
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
    await world.post(store, author, "Soon", published_at=soon)
    event = await next_message(socket)
    assert event["title"] == "Soon"
    assert dt.datetime.now(dt.timezone.utc) >= soon  # not before readers can open it


@pytest.mark.parametrize("query, code", [
    ("", 400),
    ("?channel=comments", 400),
    ("?channel=post:nothex", 400),
    ("?channel=post:0123456789abcdef01234567", 404),
    ("?channel=posts&since=-1", 400),
    ("?channel=posts&since=" + "9" * 40, 400),
])
async def test_bad_channels_and_since_are_refused_with_a_message(world, client, query, code):
    await blog(world)
    answer = await client.get("blog", "/live.json" + query)
    assert answer.code == code
    assert b"Traceback" not in answer.body
    if code == 400:
        assert b"channel" in answer.body or b"since" in answer.body


async def test_a_plain_request_to_the_socket_address_is_a_clear_400(world, client, app):
    await blog(world)
    app.live.max_per_address = 1
    for _ in range(2):
        answer = await client.get("blog", "/live?channel=posts")
        assert answer.code == 400 and b"WebSocket" in answer.body
    await connect(client, "blog")  # those held no place under the address's cap


async def test_the_fallback_answers_events_after_since_and_may_be_cached(world, client):
    store, author = await blog(world)
    first = json.loads((await client.get("blog", "/live.json?channel=posts")).body)
    assert first["events"] == [] and first["poll"] == 30
    await world.post(store, author, "One")
    await world.post(store, author, "Two")
    answer = await client.get("blog", "/live.json?channel=posts&since=%d" % first["seq"])
    assert answer.code == 200 and "public, max-age=" in answer.headers["Cache-Control"]
    found = json.loads(answer.body)
    assert [e["title"] for e in found["events"]] == ["One", "Two"] and found["seq"] == first["seq"] + 2


async def test_another_origin_cannot_open_a_readers_socket(world, client):
    await blog(world)
    await blog(world, "other")
    with pytest.raises(HTTPClientError) as refused:
        await connect(client, "blog", origin="http://other.localhost:%d" % client.port)
    assert refused.value.code == 403


async def test_the_platform_host_has_no_live_socket(client):
    with pytest.raises(HTTPClientError) as refused:
        request = HTTPRequest("ws://127.0.0.1:%d/live?channel=posts" % client.port,
                              headers={"Host": "localhost:%d" % client.port})
        await websocket_connect(request)
    assert refused.value.code == 404


async def test_connections_per_address_are_capped(world, client, app):
    store, _ = await blog(world)
    app.live.max_per_address = 2
    sockets = [await connect(client, "blog"), await connect(client, "blog")]
    with pytest.raises(HTTPClientError) as refused:
        await connect(client, "blog")
    assert refused.value.code == 429
    sockets[0].close()
    deadline = time.monotonic() + DEADLINE
    while app.live.count(store.site_id, "posts") > 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    sockets.append(await connect(client, "blog"))  # one closed: room for one more
    assert app.live.count(store.site_id, "posts") == 2


async def test_a_reader_sending_a_large_message_is_disconnected(world, client):
    await blog(world)
    socket = await connect(client, "blog")
    await socket.write_message("x" * 10_000)
    assert await asyncio.wait_for(socket.read_message(), DEADLINE) is None
    assert socket.close_code == 1009


@pytest.mark.parametrize("theme", ["journal", "magazine", "dusk"])
async def test_reader_pages_carry_the_banner_and_the_script_as_a_file(world, client, theme):
    store = await world.site("blog", theme=theme)
    author = await world.member(store, "author")
    post = await world.post(store, author, "Hello", tags=["Town"])
    for path in ("/", "/tags/town", "/authors/%s" % author["username"]):
        page = (await client.get("blog", path)).body.decode()
        assert 'data-live="posts"' in page and 'src="/modules/live.js?v=' in page, path
    page = (await client.get("blog", "/posts/hello")).body.decode()
    assert 'data-live="post:%s"' % post["_id"] in page
    assert 'data-live="posts"' not in (await client.get("blog", "/search?q=hello")).body.decode()
    script = await client.get("blog", "/modules/live.js")
    assert script.code == 200 and b"/live.json" in script.body


async def test_the_fallback_does_not_step_over_a_scheduled_post(world, client, monkeypatch):
    store, author = await blog(world)
    first = json.loads((await client.get("blog", "/live.json?channel=posts")).body)
    # An hour ahead, so that no slowness of the machine lets it come out early; then the
    # clock the events store and the live hub read is moved past it.
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    await world.post(store, author, "Scheduled", published_at=later)
    await world.post(store, author, "Now")
    answer = json.loads((await client.get("blog", "/live.json?channel=posts&since=%d" % first["seq"])).body)
    assert [e["title"] for e in answer["events"]] == ["Now"]

    monkeypatch.setattr(events, "utcnow", lambda: later + dt.timedelta(seconds=1))
    deadline, seen = time.monotonic() + DEADLINE, []
    while "Scheduled" not in seen and time.monotonic() < deadline:  # the hub's next poll (0.25 s) sees it out
        found = json.loads((await client.get("blog", "/live.json?channel=posts&since=%d" % answer["seq"])).body)
        seen = [e["title"] for e in found["events"]]
        await asyncio.sleep(0.05)
    assert "Scheduled" in seen
