"""Saves that race for one slug: new posts get the next free slug, a rename gets a clear answer."""

from __future__ import annotations

import asyncio

from tests.admin_session import form, post_id_of, signed_in


async def test_twenty_new_posts_with_one_title_at_once_all_get_their_own_slug(world, client):
    store = await world.site("alpha")
    people = [await world.member(store, role) for role in ("owner", "editor", "editor")]
    sessions = [await signed_in(client, "alpha", person) for person in people]
    # Tornado's client sends 10 at a time (max_clients): 10 inserts race for each free slug.
    # The saves come from three people in turn: one person may have only 8 renders
    # waiting (PER_OWNER in cms/render_pool.py, a deliberate 503 "busy"), and on a
    # loaded machine 10 saves of one person can all be waiting at once.
    responses = await asyncio.gather(*[
        sessions[n % 3].post("/admin/posts/new", form(title="Same Title", markdown="body %d" % n)) for n in range(20)
    ])
    assert [r.code for r in responses] == [303] * 20, [r.body[:300] for r in responses if r.code != 303]
    posts = [await store.posts.get(post_id_of(r)) for r in responses]
    slugs = sorted(p["slug"] for p in posts)
    assert len(set(slugs)) == 20
    assert set(slugs) == {"same-title"} | {"same-title-%d" % n for n in range(2, 21)}
    for post in posts:  # each one with its first revision
        assert [r["version"] for r in await store.revisions.list(post["_id"], current=post)] == [1]


async def test_a_slug_taken_on_another_site_is_free_here(world):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    mine = await world.post(alpha, await world.member(alpha, "owner"), "Hello")
    theirs = await world.post(beta, await world.member(beta, "owner"), "Hello")
    assert mine["slug"] == theirs["slug"] == "hello"


async def test_two_posts_renamed_to_one_slug_at_once_one_wins_the_other_hears_the_slug_is_taken(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    editor = await world.member(store, "editor")
    for round in range(5):
        first = await world.post(store, owner, "First %d" % round)
        second = await world.post(store, owner, "Second %d" % round)
        wanted = "wanted-%d" % round
        sessions = [await signed_in(client, "alpha", person) for person in (owner, editor)]
        responses = await asyncio.gather(*[
            session.post("/admin/posts/%s" % post["_id"], form(
                title=post["title"], slug=wanted, markdown="renamed", state="published", version="1"))
            for session, post in zip(sessions, (first, second))
        ])
        codes = sorted(r.code for r in responses)
        assert codes == [303, 400], codes
        refused = next(r for r in responses if r.code == 400)
        assert b"already used" in refused.body and b"someone else saved" not in refused.body
        after = [await store.posts.get(post["_id"]) for post in (first, second)]
        assert sum(p["slug"] == wanted for p in after) == 1
        assert sorted(p["version"] for p in after) == [1, 2]  # the refused one is unchanged


async def test_two_new_posts_given_one_slug_at_once_one_is_saved_and_no_revision_is_left_of_the_other(world, db):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    for round in range(3):
        results = await asyncio.gather(*[
            store.posts.create(title="Mine %d" % n, slug="chosen-%d" % round, markdown="words", author_id=owner["_id"])
            for n in range(2)
        ], return_exceptions=True)
        saved = [r for r in results if not isinstance(r, Exception)]
        assert len(saved) == 1 and "already used" in str(next(r for r in results if isinstance(r, Exception)))
    posts = {p["_id"] async for p in db.posts.find({"site_id": store.site_id})}
    revisions = {r["post_id"] async for r in db.revisions.find({"site_id": store.site_id})}
    assert revisions == posts and len(posts) == 3
