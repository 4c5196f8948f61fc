"""Issue 9, finding 1: no author's Markdown can freeze the platform.

Rendering runs in worker processes (`cms.render_pool`), so while one author's
text renders, every other site keeps answering; a render past its budget is
refused with a message and saves nothing; previews are rate-limited per person
and site. And finding 7 (second half): the preview of a saved post needs the
right to edit it.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from cms import render_pool
from cms.handlers.admin import PreviewSocket
from cms.ratelimit import RateLimiter
from tests import images
from tests.admin_session import form, signed_in
from tests.waiting import LONG_BODY, until


@pytest.fixture
def budget():
    """Set the render budget for a test (the one pool of the test process), then put it back."""
    pool = render_pool.pool()
    kept = pool.budget

    def set_budget(seconds: float) -> None:
        pool.budget = seconds

    yield set_budget
    pool.budget = kept


async def two_sites(world, client, role: str = "author"):
    alpha = await world.site("alpha")
    await world.site("beta")
    writer = await world.member(alpha, role, name="Wren Writer")
    return alpha, writer, await signed_in(client, "alpha", writer)


def ws_request(client, session) -> HTTPRequest:
    headers = {"Host": "%s:%d" % (session.host, client.port),
               "Cookie": "; ".join("%s=%s" % kv for kv in session.cookies.items()),
               "Origin": "http://%s:%d" % (session.host, client.port)}
    return HTTPRequest("ws://127.0.0.1:%d/admin/preview" % client.port, headers=headers)


async def test_another_sites_healthz_answers_while_a_save_renders(world, client, budget):
    budget(300)  # however busy the machine running the test, the render finishes
    alpha, _, session = await two_sites(world, client)
    save = asyncio.ensure_future(session.post("/admin/posts/new", form(title="Long", markdown=LONG_BODY)))
    await until(lambda: render_pool.pool().waiting > 0 or save.done(), what="the render to start")
    assert not save.done(), "the save finished without its render ever being seen in the pool"
    health = await client.get("beta", "/healthz")
    assert health.code == 200
    assert not save.done()  # answered while the render was still running
    assert (await save).code == 303


async def test_another_sites_healthz_answers_while_a_preview_renders(world, client, budget):
    budget(300)
    _, _, session = await two_sites(world, client)
    socket = await websocket_connect(ws_request(client, session))
    try:
        socket.write_message(json.dumps({"seq": 1, "title": "Long", "markdown": LONG_BODY}))
        answer = asyncio.ensure_future(socket.read_message())
        await until(lambda: render_pool.pool().waiting > 0 or answer.done(), what="the render to start")
        assert not answer.done()
        assert (await client.get("beta", "/healthz")).code == 200
        assert not answer.done()
        assert "<em>ordinary</em>" in json.loads(await answer)["html"]
    finally:
        socket.close()


async def test_a_save_past_the_render_budget_is_refused_with_a_message_and_saves_nothing(world, client, budget):
    alpha, _, session = await two_sites(world, client)
    budget(0.2)
    refused = await session.post("/admin/posts/new", form(title="Too long", markdown=LONG_BODY))
    assert refused.code == 422
    assert b"takes too long to render" in refused.body
    assert b'value="Too long"' in refused.body  # the author's text is shown back, not lost
    assert (await alpha.posts.admin_list("post")).total == 0
    budget(render_pool.BUDGET)  # the pool has replaced the killed worker: the next save works
    assert (await session.post("/admin/posts/new", form(title="Short", markdown="*Short*"))).code == 303
    assert (await alpha.posts.admin_list("post")).total == 1


async def test_an_edit_past_the_budget_keeps_the_saved_version(world, client, budget):
    alpha, writer, session = await two_sites(world, client)
    post = await world.post(alpha, writer, "Kept", "The *first* body.", status="draft")
    budget(0.2)
    refused = await session.post("/admin/posts/%s" % post["_id"], form(title="Kept", markdown=LONG_BODY, version="1"))
    assert refused.code == 422 and b"takes too long to render" in refused.body
    stored = await alpha.posts.get(post["_id"])
    assert stored["version"] == 1 and stored["html"] == "<p>The <em>first</em> body.</p>"


async def test_a_preview_past_the_budget_shows_the_message_in_the_pane(world, client, budget):
    _, _, session = await two_sites(world, client)
    budget(0.2)
    socket = await websocket_connect(ws_request(client, session))
    try:
        socket.write_message(json.dumps({"seq": 4, "title": "Long", "markdown": LONG_BODY}))
        answer = json.loads(await socket.read_message())
        assert answer["seq"] == 4 and "takes too long to render" in answer["html"]
        assert "takes too long to render" in answer["error"]
        budget(render_pool.BUDGET)
        socket.write_message(json.dumps({"seq": 5, "title": "Short", "markdown": "*fine*"}))
        answer = json.loads(await socket.read_message())
        assert answer["seq"] == 5 and "<em>fine</em>" in answer["html"] and "error" not in answer
    finally:
        socket.close()


async def test_previews_are_rate_limited_per_person_and_site_without_queueing_renders(world, client, monkeypatch):
    # The production limit (a burst of 20, then 5 a second) with almost no refill, so
    # that the test does not depend on how fast it runs.
    monkeypatch.setattr(PreviewSocket, "limiter", RateLimiter(rate=0.001, burst=20))
    _, _, session = await two_sites(world, client)
    socket = await websocket_connect(ws_request(client, session))
    pool = render_pool.pool()
    started = pool.started
    try:
        count = 60
        for seq in range(1, count + 1):
            socket.write_message(json.dumps({"seq": seq, "title": "T", "markdown": "*%d*" % seq}))
        refusals = []
        while True:
            answer = json.loads(await socket.read_message())
            if "error" in answer:
                refusals.append(answer)
            if answer["seq"] == count:
                break
        assert refusals and "too many previews" in refusals[0]["html"]
        assert pool.started - started < count - len(refusals) + 1  # a refused preview is never rendered
    finally:
        socket.close()
    # A second socket of the same person and site shares the limit.
    again = await websocket_connect(ws_request(client, session))
    try:
        again.write_message(json.dumps({"seq": 1, "title": "T", "markdown": "x"}))
        assert "too many previews" in json.loads(await again.read_message()).get("error", "")
    finally:
        again.close()


async def upload(session, data: bytes, name: str) -> dict:
    body, content_type = images.multipart([(name, data, "image/jpeg")])
    response = await session.fetch("/admin/media", "POST", body=body, headers={
        "Content-Type": content_type, "X-XSRFToken": session.xsrf, "Accept": "application/json"})
    assert response.code == 201, response.body
    return json.loads(response.body)["items"][0]


async def test_a_contributor_cannot_preview_someone_elses_draft(world, client):
    alpha = await world.site("alpha")
    owner = await world.member(alpha, "owner", name="Olive Owner")
    contributor = await world.member(alpha, "contributor", name="Cole Contributor")
    owner_session = await signed_in(client, "alpha", owner)
    item = await upload(owner_session, images.jpeg(90, 60), "secret.jpg")
    theirs = await alpha.posts.create(title="Embargoed", markdown="x", author_id=owner["_id"], status="draft",
                                      featured_image={"url": item["url"], "alt": "Secret alt", "caption": "Secret caption"})
    mine = await alpha.posts.create(title="Mine", markdown="x", author_id=contributor["_id"], status="draft",
                                    featured_image={"url": item["url"], "alt": "My alt", "caption": "My caption"})
    session = await signed_in(client, "alpha", contributor)
    socket = await websocket_connect(ws_request(client, session))
    try:
        async def preview(post_id: str, **extra) -> dict:
            socket.write_message(json.dumps({"seq": 1, "title": "T", "markdown": "x", "post_id": post_id, **extra}))
            return json.loads(await socket.read_message())

        answer = await preview(theirs["_id"])
        for secret in ("Secret alt", "Secret caption", "Olive Owner", item["url"]):
            assert secret not in answer["html"]
        assert "may not edit" in answer["error"]
        # Their own draft previews with its picture; picking another author is an editor's right.
        answer = await preview(mine["_id"], author_id=owner["_id"])
        assert "My caption" in answer["html"] and "Cole Contributor" in answer["html"]
        assert "Olive Owner" not in answer["html"]
    finally:
        socket.close()


@pytest.mark.parametrize("body", ["[" * 8000, "[a](" * 5000, "![" * 10000])
async def test_the_inputs_that_froze_the_process_save_as_their_text(world, client, body):
    alpha, _, session = await two_sites(world, client)
    saved = await session.post("/admin/posts/new", form(title="Odd", markdown=body, state="published"))
    assert saved.code == 303
    page = await client.get("alpha", "/posts/odd")
    assert page.code == 200 and body.encode() in page.body


async def test_too_much_markup_in_one_paragraph_is_refused_in_the_preview_and_on_save(world, client):
    alpha, _, session = await two_sites(world, client)
    body = "*a* " * 10000
    refused = await session.post("/admin/posts/new", form(title="Dense", markdown=body))
    assert refused.code == 422 and b"split it into shorter paragraphs" in refused.body
    assert (await alpha.posts.admin_list("post")).total == 0
    socket = await websocket_connect(ws_request(client, session))
    try:
        socket.write_message(json.dumps({"seq": 1, "title": "Dense", "markdown": body}))
        assert "split it into shorter paragraphs" in json.loads(await socket.read_message())["error"]
    finally:
        socket.close()


async def test_another_sites_post_previews_as_a_new_one_without_its_picture(world, client):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    editor = await world.member(alpha, "editor", name="Eddie Editor")
    stranger = await world.member(beta, "owner", name="Sam Stranger")
    item = await upload(await signed_in(client, "beta", stranger), images.jpeg(90, 60), "theirs.jpg")
    theirs = await beta.posts.create(title="Beta's", markdown="x", author_id=stranger["_id"], status="draft",
                                     featured_image={"url": item["url"], "alt": "Beta alt", "caption": "Beta caption"})
    session = await signed_in(client, "alpha", editor)
    socket = await websocket_connect(ws_request(client, session))
    try:
        socket.write_message(json.dumps({"seq": 1, "title": "T", "markdown": "x", "post_id": theirs["_id"]}))
        answer = json.loads(await socket.read_message())
    finally:
        socket.close()
    assert "error" not in answer and "Eddie Editor" in answer["html"]  # a new post of the one typing
    for secret in ("Beta alt", "Beta caption", "Sam Stranger", item["url"]):
        assert secret not in answer["html"]
