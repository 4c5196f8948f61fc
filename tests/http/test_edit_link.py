"""The reader's "Edit" link (issue 12): for a signed-in member who may edit the post, never in shared HTML.

Reader pages are cached and the same for everyone, so the page carries only a
script; it asks ``/admin/edit-link.json`` (uncached, per person) whether to
show the link, and only when this browser holds the member hint cookie.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from tests.admin_session import Session, signed_in


async def scene(world, client):
    store = await world.site("alpha", title="Alpha Blog")
    owner = await world.member(store, "owner")
    post = await world.post(store, owner, "Open water", slug="open-water", status="published")
    page = await world.post(store, owner, "About us", slug="about", status="published", type="page")
    return store, owner, post, page


async def check(session: Session, path: str):
    response = await session.get("/admin/edit-link.json?path=" + quote(path), follow_redirects=False)
    return response, json.loads(response.body) if response.code == 200 else None


async def test_the_reader_page_is_the_same_for_an_editor_and_carries_no_edit_link(world, client):
    store, owner, post, page = await scene(world, client)
    editor = await signed_in(client, "alpha", await world.member(store, "editor"))
    seen_by_editor = (await editor.get("/posts/open-water")).body.decode()
    assert "/admin/posts/%s" % post["_id"] not in seen_by_editor
    assert "edit-link.js" in seen_by_editor  # the script that asks
    assert seen_by_editor == (await client.get("alpha", "/posts/open-water")).body.decode()


async def test_the_check_answers_the_editor_link_to_those_who_may_edit(world, client):
    store, owner, post, page = await scene(world, client)
    editor = await signed_in(client, "alpha", await world.member(store, "editor"))
    response, answer = await check(editor, "/posts/open-water")
    assert answer == {"edit": "/admin/posts/%s" % post["_id"]}
    assert "no-store" in response.headers["Cache-Control"]
    assert (await check(editor, "/about/"))[1] == {"edit": "/admin/pages/%s" % page["_id"]}
    for path in ("/", "/posts/nope", "/tags/x", "//evil.example/posts/open-water", "x" * 3000):
        assert (await check(editor, path))[1] == {"edit": None}, path


async def test_members_who_may_not_edit_it_and_visitors_get_nothing(world, client):
    store, owner, post, page = await scene(world, client)
    contributor = await signed_in(client, "alpha", await world.member(store, "contributor"))
    assert (await check(contributor, "/posts/open-water"))[1] == {"edit": None}
    author = await signed_in(client, "alpha", await world.member(store, "author"))
    assert (await check(author, "/posts/open-water"))[1] == {"edit": None}  # someone else's post
    visitor = Session(client, "alpha")
    response, answer = await check(visitor, "/posts/open-water")
    assert response.code in (302, 403) and answer is None


async def test_another_sites_member_gets_nothing(world, client):
    store, owner, post, page = await scene(world, client)
    beta = await world.site("beta")
    stranger_user = await world.member(beta, "owner")
    stranger = await signed_in(client, "beta", stranger_user)
    assert (await check(stranger, "/posts/open-water"))[1] == {"edit": None}  # beta has no such post
    replayed = Session(client, "alpha")
    replayed.cookies = dict(stranger.cookies)
    response, answer = await check(replayed, "/posts/open-water")
    assert response.code in (302, 403) and answer is None


async def test_members_get_a_hint_cookie_scripts_can_read_and_it_names_nobody(world, client):
    store, owner, post, page = await scene(world, client)
    editor = await signed_in(client, "alpha", await world.member(store, "editor"))
    await editor.get("/admin/")
    hints = [h for h in editor.set_cookie_headers if h.startswith("cms_member=")]
    assert hints and "httponly" not in hints[-1].lower() and hints[-1].startswith("cms_member=1;")
