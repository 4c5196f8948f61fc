"""``/admin/tags.json?q=``: the editor's tag suggestions, from this site's posts only.

Drafts' tags are suggested too (an editor's list is every tag in use, not
only what readers see); another site's tags never appear.
"""

from __future__ import annotations

import json

from tests.admin_session import Session, signed_in


async def suggestions(session: Session, q: str) -> list[tuple[str, int]]:
    response = await session.get("/admin/tags.json?q=" + q)
    assert response.code == 200 and response.headers["Content-Type"].startswith("application/json")
    return [(tag["name"], tag["count"]) for tag in json.loads(response.body)["tags"]]


async def test_suggestions_are_this_sites_tags_drafts_included_best_first(world, client):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    owner = await world.member(alpha, "owner")
    contributor = await world.member(alpha, "contributor")
    await world.post(alpha, owner, "One", tags=["Garden", "Gardening tips"])
    await world.post(alpha, owner, "Two", tags=["Gardening tips", "Kitchen"])
    await world.post(alpha, owner, "Three", tags=["Secret garden plans"], status="draft")
    await world.post(alpha, owner, "About", type="page", tags=["Garnish"])  # a page's tags are not post tags
    stranger = await world.member(beta, "owner")
    await world.post(beta, stranger, "Elsewhere", tags=["Garden party", "Gazebo"], status="draft")
    session = await signed_in(client, "alpha", contributor)  # contributors write too
    # Starting with what is typed first (most used first), then containing it.
    assert await suggestions(session, "gar") == [("Gardening tips", 2), ("Garden", 1), ("Secret garden plans", 1)]
    assert await suggestions(session, "GARDEN") == [("Gardening tips", 2), ("Garden", 1), ("Secret garden plans", 1)]
    assert await suggestions(session, "plans") == [("Secret garden plans", 1)]  # a draft's tag
    assert await suggestions(session, "ga") == [("Gardening tips", 2), ("Garden", 1), ("Secret garden plans", 1)]
    assert await suggestions(session, "gazebo") == []  # another site's tag, even a draft's
    assert await suggestions(session, "party") == []
    assert await suggestions(session, "") == [("Gardening tips", 2), ("Garden", 1), ("Kitchen", 1),
                                              ("Secret garden plans", 1)]
    # The other site's people get their own tags only.
    theirs = await signed_in(client, "beta", stranger)
    assert await suggestions(theirs, "ga") == [("Garden party", 1), ("Gazebo", 1)]


async def test_suggestions_are_capped_and_need_a_member(world, client):
    alpha = await world.site("alpha")
    owner = await world.member(alpha, "owner")
    for n in range(3):
        await world.post(alpha, owner, "Post %d" % n, tags=["tag %02d" % (n * 10 + i) for i in range(10)])
    session = await signed_in(client, "alpha", owner)
    assert len(await suggestions(session, "tag")) == 10
    visitor = Session(client, "alpha")
    response = await visitor.get("/admin/tags.json?q=tag")
    assert response.code == 302 and response.headers["Location"].startswith("/login?next=")
    other_site = await world.site("beta")
    foreign = await signed_in(client, "beta", await world.member(other_site, "owner"))
    replayed = Session(client, "alpha")
    replayed.cookies = dict(foreign.cookies)
    assert (await replayed.get("/admin/tags.json?q=tag")).code == 302


async def test_the_editor_offers_the_suggestions_accessibly(world, client):
    alpha = await world.site("alpha")
    author = await world.member(alpha, "author")
    session = await signed_in(client, "alpha", author)
    page = (await session.get("/admin/posts/new")).body.decode()
    field = page.split('name="tags"')[1].split(">")[0]
    for attribute in ('role="combobox"', 'aria-autocomplete="list"', 'aria-controls="tag-suggestions"',
                      'data-suggest="/admin/tags.json"', 'autocomplete="off"'):
        assert attribute in field
    assert 'id="tag-suggestions"' in page and 'role="listbox"' in page
    assert "/admin/static/tags.js?v=" in page
    assert (await session.get("/admin/static/tags.js")).code == 200
