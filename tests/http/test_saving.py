"""What the editor's script is told when it saves (issue 16 points 7, 8).

The script saves by fetch and asks for JSON: a save answers where the saved
page is; a person signed out meanwhile gets a 403 that says so, a stale XSRF
token a 403 that says that instead, and neither changes anything. A plain
form post (no JavaScript) is answered as always: a redirect, or an HTML page.
"""

from __future__ import annotations

import json

import pytest

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


# --- the autosave kept current by small patches (issue 16.4) -------------------------------


def splice(at: int, cut: int, put: str, length: int) -> str:
    return json.dumps({"at": at, "cut": cut, "put": put, "length": length})


async def test_a_patch_against_the_servers_copy_changes_only_what_it_says(world, client):
    store, ana, post, session = await editor_scene(world, client)
    path = "/admin/posts/%s/autosave" % post["_id"]
    long_text = "word " * 20_000
    whole = await session.post(path, {"title": "Harbour", "markdown": long_text, "rev": "r1"}, headers=JSON)
    assert whole.code == 200 and json.loads(whole.body)["rev"] == "r1"
    # The last words typed: a few bytes, whatever the length of the post.
    patch = splice(len(long_text), 0, "and the last words.", len(long_text) + 19)
    answer = await session.post(path, {"title": "Harbour!", "base": "r1", "patch": patch, "rev": "r2"}, headers=JSON)
    assert answer.code == 200 and json.loads(answer.body)["rev"] == "r2"
    kept = await store.autosaves.get(post["_id"], ana["_id"])
    assert kept["fields"]["markdown"] == long_text + "and the last words."
    assert kept["fields"]["title"] == "Harbour!"
    # A cut in the middle, with a character beyond the BMP before it (one character, as in Python).
    await session.post(path, {"markdown": "A 🚢 sails\r\nhome.", "rev": "r3"}, headers=JSON)  # a form's CRLF
    answer = await session.post(path, {"base": "r3", "patch": splice(4, 5, "drifts", 16), "rev": "r4"}, headers=JSON)
    assert answer.code == 200
    assert (await store.autosaves.get(post["_id"], ana["_id"]))["fields"]["markdown"] == "A 🚢 drifts\nhome."


async def test_the_first_patch_may_be_against_the_saved_post(world, client):
    store, ana, post, session = await editor_scene(world, client)
    path = "/admin/posts/%s/autosave" % post["_id"]
    answer = await session.post(path, {"base": "v1", "patch": splice(6, 0, " Sails.", 13), "rev": "r1"}, headers=JSON)
    assert answer.code == 200
    assert (await store.autosaves.get(post["_id"], ana["_id"]))["fields"]["markdown"] == "Boats. Sails."
    # Against a version that is no longer the saved one: sent again whole.
    answer = await session.post(path, {"base": "v7", "patch": splice(6, 0, "!", 7), "rev": "r2"}, headers=JSON)
    assert answer.code == 409 and json.loads(answer.body)["code"] == "stale"


async def test_a_patch_against_another_copy_is_refused_and_changes_nothing(world, client):
    store, ana, post, session = await editor_scene(world, client)
    path = "/admin/posts/%s/autosave" % post["_id"]
    await session.post(path, {"markdown": "Kept text.", "rev": "r1"}, headers=JSON)
    for base, patch in (("r0", splice(0, 0, "x", 11)),  # another tab's copy since
                        ("r1", splice(0, 0, "x", 99)),  # the length the client expects is not the result's
                        ("r1", splice(8, 9, "", 8))):  # a cut past the end: not the text the server has
        answer = await session.post(path, {"base": base, "patch": patch, "rev": "r2"}, headers=JSON)
        assert answer.code == 409, patch
        assert json.loads(answer.body)["code"] == "stale"
    assert (await store.autosaves.get(post["_id"], ana["_id"]))["fields"]["markdown"] == "Kept text."


@pytest.mark.parametrize("patch", [
    "not json", "[1, 2]", json.dumps({"at": 0, "cut": 0, "put": "x"}),
    json.dumps({"at": -1, "cut": 0, "put": "x", "length": 1}), json.dumps({"at": "0", "cut": 0, "put": "x", "length": 1}),
    json.dumps({"at": 0, "cut": 0, "put": 5, "length": 1}), json.dumps({"at": 0, "cut": 0, "put": "x" * 500_001, "length": 1}),
    json.dumps({"at": True, "cut": 0, "put": "x", "length": 11}),
])
async def test_a_malformed_patch_is_a_clear_400_and_changes_nothing(world, client, patch):
    store, ana, post, session = await editor_scene(world, client)
    path = "/admin/posts/%s/autosave" % post["_id"]
    await session.post(path, {"markdown": "Kept text.", "rev": "r1"}, headers=JSON)
    answer = await session.post(path, {"base": "r1", "patch": patch, "rev": "r2"}, headers=JSON)
    assert answer.code == 400
    assert "patch" in json.loads(answer.body)["error"]
    assert (await store.autosaves.get(post["_id"], ana["_id"]))["fields"]["markdown"] == "Kept text."
    answer = await session.post(path, {"base": "r1", "patch": splice(0, 0, "", 10), "rev": "bad rev!"}, headers=JSON)
    assert answer.code == 400


async def test_a_patch_to_another_sites_post_is_a_404(world, client):
    store, ana, post, session = await editor_scene(world, client)
    other = await world.site("beta")
    bob = await world.member(other, "owner")
    theirs = await world.post(other, bob, "Theirs", markdown="Private.")
    answer = await session.post("/admin/posts/%s/autosave" % theirs["_id"],
                                {"base": "v1", "patch": splice(0, 0, "x", 9), "rev": "r1"}, headers=JSON)
    assert answer.code == 404
    assert await other.autosaves.get(theirs["_id"], ana["_id"]) is None
    assert (await other.posts.get(theirs["_id"]))["markdown"] == "Private."
