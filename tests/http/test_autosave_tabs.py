"""Two tabs of one person never overwrite each other's autosave (issue 16.12).

Each editor page is given its own ``tab``; the server keeps one autosave per
person, post and tab. Opening the editor offers the newest; saving or
discarding ends every copy of that person's for the post.
"""

from __future__ import annotations

import json
import re

from tests.admin_session import form, signed_in


async def two_tabs(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    post = await world.post(store, owner, "Harbour", markdown="Boats.")
    session = await signed_in(client, "alpha", owner)
    page = (await session.get("/admin/posts/%s" % post["_id"])).body.decode()
    again = (await session.get("/admin/posts/%s" % post["_id"])).body.decode()
    tabs = [re.search(r'name="tab" value="([0-9a-f]+)"', text).group(1) for text in (page, again)]
    assert tabs[0] != tabs[1]  # each editor page is its own tab
    return store, owner, post, session, tabs


async def autosave(session, post, **fields):
    response = await session.post("/admin/posts/%s/autosave" % post["_id"], fields)
    assert response.code == 200, response.body
    return json.loads(response.body)


async def test_each_tab_keeps_its_own_copy_and_patches_it(world, client):
    store, owner, post, session, (a, b) = await two_tabs(world, client)
    first = await autosave(session, post, tab=a, rev="ra1", title="Harbour", markdown="Boats from tab A.")
    await autosave(session, post, tab=b, rev="rb1", title="Harbour", markdown="Boats from tab B.")
    assert (await store.autosaves.get(post["_id"], owner["_id"], tab=a))["fields"]["markdown"] == "Boats from tab A."
    assert (await store.autosaves.get(post["_id"], owner["_id"], tab=b))["fields"]["markdown"] == "Boats from tab B."
    # Tab A's patch still finds its own copy, though tab B wrote since.
    patch = json.dumps({"at": 17, "cut": 0, "put": " Still A.", "length": 26})
    await autosave(session, post, tab=a, rev="ra2", base=first["rev"], patch=patch)
    assert (await store.autosaves.get(post["_id"], owner["_id"], tab=a))["fields"]["markdown"] == \
        "Boats from tab A. Still A."
    page = (await session.get("/admin/posts/%s" % post["_id"])).body.decode()
    assert "Still A." in page[page.index('id="autosave-offer"'):page.index('id="editor"')]  # the newest


async def test_saving_ends_every_copy_of_that_person_and_a_bad_tab_is_refused(world, client):
    store, owner, post, session, (a, b) = await two_tabs(world, client)
    await autosave(session, post, tab=a, markdown="A.")
    await autosave(session, post, tab=b, markdown="B.")
    bad = await session.post("/admin/posts/%s/autosave" % post["_id"], {"tab": "../../x", "markdown": "C."})
    assert bad.code == 400
    assert await store.autosaves.get(post["_id"], owner["_id"], tab="../../x") is None
    saved = await session.post("/admin/posts/%s" % post["_id"], form(title="Harbour", markdown="B.", version="1", tab=b))
    assert saved.code == 303
    assert await store.autosaves.get(post["_id"], owner["_id"], tab=a) is None
    assert await store.autosaves.get(post["_id"], owner["_id"], tab=b) is None


async def test_upgrading_drops_the_one_copy_per_person_index_so_a_second_tab_is_kept(db, world):
    from cms import db as database
    from cms.migrations import m008_autosaves_per_tab

    await db.autosaves.drop_indexes()
    await db.autosaves.create_index([("site_id", 1), ("post_id", 1), ("user_id", 1)], unique=True)  # as before
    await database.ensure_indexes(db)
    await m008_autosaves_per_tab.up(db)
    await m008_autosaves_per_tab.up(db)  # idempotent
    store = await world.site("alpha")
    await store.autosaves.save("p1", "u1", {"markdown": "tab one"}, tab="one")
    await store.autosaves.save("p1", "u1", {"markdown": "tab two"}, tab="two")
    assert (await store.autosaves.get("p1", "u1", tab="one"))["fields"]["markdown"] == "tab one"
    assert (await store.autosaves.get("p1", "u1"))["fields"]["markdown"] == "tab two"
