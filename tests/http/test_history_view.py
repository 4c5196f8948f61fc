"""History: an old version of a post seen rendered, as its readers saw it (issue 16.19)."""

from __future__ import annotations

import html

from tests.admin_session import form, post_id_of, signed_in


async def two_versions(world, client, role: str = "editor"):
    store = await world.site("alpha", title="Alpha Blog")
    editor = await world.member(store, role, name="Eda Editor")
    session = await signed_in(client, "alpha", editor)
    post_id = post_id_of(await session.post("/admin/posts/new", form(
        title="Old title", markdown="## Old heading\n\nSome **bold** words.<script>alert(1)</script>")))
    await session.post("/admin/posts/%s" % post_id, form(title="New title", markdown="New text.", version="1"))
    return store, editor, session, post_id


def frame_of(body: bytes) -> str:
    """The rendered page inside the view's sandboxed frame (its srcdoc), unescaped."""
    text = body.decode()
    start = text.index('srcdoc="') + len('srcdoc="')
    return html.unescape(text[start:text.index('"', start)])


async def test_an_old_version_is_shown_rendered_in_the_sites_theme_and_sanitised(world, client):
    store, editor, session, post_id = await two_versions(world, client)
    page = await session.get("/admin/posts/%s/history/1" % post_id)
    assert page.code == 200
    shown = frame_of(page.body)
    assert "Old title" in shown and "<strong>bold</strong>" in shown and "Alpha Blog" in shown
    assert "Old heading" in shown and "New text." not in shown
    assert "<script>alert" not in shown and "alert(1)" not in shown
    assert b"Version 1" in page.body and b"Eda Editor" in page.body
    history = await session.get("/admin/posts/%s/history" % post_id)
    assert ('href="/admin/posts/%s/history/1"' % post_id).encode() in history.body


async def test_a_version_that_does_not_exist_or_a_bad_number_is_a_404(world, client):
    store, editor, session, post_id = await two_versions(world, client)
    assert (await session.get("/admin/posts/%s/history/3" % post_id)).code == 404
    assert (await session.get("/admin/posts/%s/history/x1" % post_id)).code == 404
    assert (await session.get("/admin/posts/%s/history/99999999999999999999999" % post_id)).code == 404


async def test_another_sites_member_or_a_contributor_not_its_author_cannot_see_old_versions(world, client):
    store, editor, session, post_id = await two_versions(world, client)
    beta = await world.site("beta")
    stranger = await world.member(beta, "owner")
    other = await signed_in(client, "beta", stranger)
    assert (await other.get("/admin/posts/%s/history/1" % post_id)).code == 404
    contributor = await signed_in(client, "alpha", await world.member(store, "contributor"))
    assert (await contributor.get("/admin/posts/%s/history/1" % post_id)).code == 403
