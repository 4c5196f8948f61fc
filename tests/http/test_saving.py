"""What the editor's script is told when it saves (issue 16 points 7, 8).

The script saves by fetch and asks for JSON: a save answers where the saved
page is; a person signed out meanwhile gets a 403 that says so, a stale XSRF
token a 403 that says that instead, and neither changes anything. A plain
form post (no JavaScript) is answered as always: a redirect, or an HTML page.
"""

from __future__ import annotations

import json

from tests.admin_session import form, signed_in

JSON = {"Accept": "application/json"}


async def editor_scene(world, client):
    store = await world.site("alpha")
    ana = await world.member(store, "editor", name="Ana")
    post = await world.post(store, ana, "Harbour", markdown="Boats.")
    return store, ana, post, await signed_in(client, "alpha", ana)


async def test_a_save_by_script_answers_where_the_saved_page_is(world, client):
    store, ana, post, session = await editor_scene(world, client)
    answer = await session.post("/admin/posts/%s" % post["_id"], form(title="Harbour", markdown="Sails.", version="1"),
                                headers=JSON)
    assert answer.code == 200
    assert json.loads(answer.body) == {"url": "/admin/posts/%s?saved=1" % post["_id"], "version": 2}
    assert (await store.posts.get(post["_id"]))["markdown"] == "Sails."


async def test_a_plain_form_save_is_still_a_redirect(world, client):
    store, ana, post, session = await editor_scene(world, client)
    answer = await session.post("/admin/posts/%s" % post["_id"], form(title="Harbour", markdown="Sails.", version="1"))
    assert answer.code == 303 and answer.headers["Location"] == "/admin/posts/%s?saved=1" % post["_id"]


async def test_signed_out_meanwhile_the_script_is_told_so_and_nothing_changes(world, client):
    store, ana, post, session = await editor_scene(world, client)
    await session.post("/admin/sessions", {})  # "sign out everywhere" (another tab, another device)
    for path, fields in (("/admin/posts/%s" % post["_id"], form(title="Harbour", markdown="Lost?", version="1")),
                         ("/admin/posts/%s/autosave" % post["_id"], {"markdown": "Lost?"})):
        answer = await session.post(path, fields, headers=JSON)
        assert answer.code == 403, path
        assert answer.headers["Content-Type"].startswith("application/json")
        body = json.loads(answer.body)
        assert body["code"] == "signed_out" and "signed out" in body["error"]
    assert (await store.posts.get(post["_id"]))["markdown"] == "Boats."
    assert await store.autosaves.get(post["_id"], ana["_id"]) is None


async def test_a_stale_xsrf_token_is_told_apart_from_being_signed_out(world, client):
    store, ana, post, session = await editor_scene(world, client)
    fields = form(title="Harbour", markdown="Forged?", version="1", _xsrf="2|00000000|0000|1")
    answer = await session.post("/admin/posts/%s" % post["_id"], fields, headers=JSON)
    assert answer.code == 403
    body = json.loads(answer.body)
    assert body["code"] == "xsrf" and "security token" in body["error"]
    assert (await store.posts.get(post["_id"]))["markdown"] == "Boats."
    # Without the token at all: refused the same, still a JSON answer for the script.
    answer = await session.post("/admin/posts/%s/autosave" % post["_id"], {"markdown": "Forged?"}, xsrf=False,
                                headers=JSON)
    assert answer.code == 403 and json.loads(answer.body)["code"] == "xsrf"
    assert await store.autosaves.get(post["_id"], ana["_id"]) is None


async def test_a_plain_form_signed_out_gets_the_error_page_as_before(world, client):
    store, ana, post, session = await editor_scene(world, client)
    await session.post("/admin/sessions", {})
    answer = await session.post("/admin/posts/%s" % post["_id"], form(title="Harbour", markdown="Lost?", version="1"))
    assert answer.code == 403 and answer.headers["Content-Type"].startswith("text/html")
