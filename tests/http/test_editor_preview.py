"""The editor's live preview socket shows what is typed but not saved yet (issue 16, point 13)."""

from __future__ import annotations

import json

from tornado.websocket import websocket_connect

from cms.images.process import process
from tests import images
from tests.admin_session import signed_in
from tests.http.test_admin_revisions import ws_request


async def pictured_site(world, name: str, filename: str):
    store = await world.site(name, title=name.title())
    owner = await world.member(store, "owner", name="Owner of " + name)
    item, _ = await store.media.add(process(images.jpeg(120, 80)), filename, owner["_id"])
    return store, owner, item["files"][0]["url"]


async def test_preview_shows_the_unsaved_featured_image_alt_and_caption(world, client):
    store, owner, url = await pictured_site(world, "alpha", "harbour.jpg")
    post = await world.post(store, owner, "Harbour", markdown="Boats.")  # saved without an image
    session = await signed_in(client, "alpha", owner)
    socket = await websocket_connect(ws_request(client, session))
    try:
        socket.write_message(json.dumps({
            "seq": 1, "title": "Harbour", "markdown": "Boats.", "post_id": post["_id"],
            "featured_image": url, "featured_alt": "Boats at dawn", "featured_caption": "At six in the morning"}))
        html = json.loads(await socket.read_message())["html"]
    finally:
        socket.close()
    assert "/media/" in html and 'alt="Boats at dawn"' in html
    assert "<figcaption>At six in the morning</figcaption>" in html


async def test_preview_follows_a_removed_or_changed_featured_image_of_a_saved_post(world, client):
    store, owner, url = await pictured_site(world, "alpha", "harbour.jpg")
    post = await world.post(store, owner, "Harbour", markdown="Boats.",
                            featured_image={"url": url, "alt": "Old alt", "caption": "Old caption"})
    session = await signed_in(client, "alpha", owner)
    socket = await websocket_connect(ws_request(client, session))
    try:
        async def preview(seq: int, **fields):
            socket.write_message(json.dumps({"seq": seq, "title": "Harbour", "markdown": "Boats.",
                                             "post_id": post["_id"], **fields}))
            return json.loads(await socket.read_message())

        changed = (await preview(1, featured_image=url, featured_alt="New alt", featured_caption=""))["html"]
        assert 'alt="New alt"' in changed and "Old caption" not in changed and "<figcaption>" not in changed
        for seq, nothing in enumerate(("", None), 2):  # cleared in the form: no image, not the saved one
            removed = (await preview(seq, featured_image=nothing, featured_alt=nothing, featured_caption=nothing))
            assert "error" not in removed and "/media/" not in removed["html"] and "Old alt" not in removed["html"]
    finally:
        socket.close()


async def test_preview_refuses_a_featured_image_of_another_site_or_none_at_all(world, client):
    store, owner, _ = await pictured_site(world, "alpha", "harbour.jpg")
    _, _, foreign_url = await pictured_site(world, "beta", "secret.jpg")
    session = await signed_in(client, "alpha", owner)
    socket = await websocket_connect(ws_request(client, session))
    try:
        for seq, bad in enumerate((foreign_url, "/media/nothing-here.jpg", "https://elsewhere.example/x.jpg", 42), 1):
            socket.write_message(json.dumps({"seq": seq, "title": "T", "markdown": "x", "featured_image": bad}))
            answer = json.loads(await socket.read_message())
            assert answer["seq"] == seq
            assert "media library" in answer["error"], answer  # the reason Save would give, in the pane
            assert "/media/" not in answer["html"] and "elsewhere" not in answer["html"]
        # and the socket still previews afterwards
        socket.write_message(json.dumps({"seq": 9, "title": "T", "markdown": "Fine *now*", "featured_image": ""}))
        answer = json.loads(await socket.read_message())
        assert answer["seq"] == 9 and "<em>now</em>" in answer["html"] and "error" not in answer
    finally:
        socket.close()
