"""The admin's Redirects page (/admin/redirects): editors and up list, add and delete
the site's redirects; bad input is refused with a message and stores nothing."""

from __future__ import annotations

from tests.admin_session import signed_in


async def site_with_editor(world, client):
    store = await world.site("blog")
    editor = await world.member(store, "editor")
    return store, editor, await signed_in(client, "blog", editor)


async def test_an_editor_adds_a_redirect_that_readers_follow_then_deletes_it(world, client):
    store, editor, session = await site_with_editor(world, client)
    await store.redirects.moved("/posts/old-slug", "/posts/new-slug", source="slug")
    page = await session.get("/admin/redirects")
    assert page.code == 200 and b"/posts/old-slug" in page.body and b"renamed slug" in page.body
    added = await session.post("/admin/redirects", {"from": "/summer-sale/", "to": "/posts/new-slug", "code": "302"})
    assert added.code == 303 and added.headers["Location"] == "/admin/redirects?done=redirect-added"
    listed = await session.get(added.headers["Location"])
    assert b"Redirect added." in listed.body and b"/summer-sale" in listed.body
    answer = await client.get("blog", "/summer-sale")
    assert answer.code == 302 and answer.headers["Location"] == "/posts/new-slug"
    added_id = next(r["_id"] for r in await store.redirects.all() if r["from"] == "/summer-sale")
    gone = await session.post("/admin/redirects/%s/delete" % added_id)
    assert gone.code == 303 and gone.headers["Location"] == "/admin/redirects?done=redirect-deleted"
    assert (await client.get("blog", "/summer-sale")).code == 404


async def test_bad_redirects_get_a_message_and_change_nothing(world, client):
    store, editor, session = await site_with_editor(world, client)
    await store.redirects.add("/a", "/b")
    for form, words in [
        ({"from": "/admin/posts", "to": "/x", "code": "301"}, b"address of the platform"),
        ({"from": "/healthz", "to": "/x", "code": "301"}, b"address of the platform"),
        ({"from": "/b", "to": "/a", "code": "301"}, b"loop"),
        ({"from": "/x", "to": "javascript:alert(1)", "code": "301"}, b"must be a path"),
        ({"from": "/x", "to": "/y", "code": "307"}, b"301"),
        ({"from": "/x", "to": "/y", "code": "abc"}, b"301"),
        ({"from": "", "to": "/y", "code": "301"}, b"empty"),
        ({"from": "/a", "to": "/c", "code": "301"}, b"already redirects"),
    ]:
        answer = await session.post("/admin/redirects", form)
        assert answer.code == 400 and words in answer.body, (form, answer.body[-600:])
    assert [(r["from"], r["to"]) for r in await store.redirects.all()] == [("/a", "/b")]


async def test_only_editors_and_up_and_only_with_xsrf(world, client):
    store = await world.site("blog")
    author = await world.member(store, "author")
    editor = await world.member(store, "editor")
    kept = await store.redirects.add("/a", "/b")
    as_author = await signed_in(client, "blog", author)
    assert (await as_author.get("/admin/redirects")).code == 403
    assert (await as_author.post("/admin/redirects", {"from": "/x", "to": "/y", "code": "301"})).code == 403
    assert (await as_author.post("/admin/redirects/%s/delete" % kept["_id"])).code == 403
    as_editor = await signed_in(client, "blog", editor)
    forged = await as_editor.post("/admin/redirects", {"from": "/x", "to": "/y", "code": "301"}, xsrf=False)
    assert forged.code == 403
    assert await store.redirects.count() == 1
    nav = await as_editor.get("/admin/")
    assert b'href="/admin/redirects"' in nav.body
    assert b'href="/admin/redirects"' not in (await as_author.get("/admin/")).body


async def test_another_sites_redirect_cannot_be_deleted_from_here(world, client):
    store, editor, session = await site_with_editor(world, client)
    other = await world.site("other")
    theirs = await other.redirects.add("/a", "/b")
    answer = await session.post("/admin/redirects/%s/delete" % theirs["_id"])
    assert answer.code == 404
    assert await other.redirects.count() == 1
    assert (await session.post("/admin/redirects/not-an-id/delete")).code == 404
