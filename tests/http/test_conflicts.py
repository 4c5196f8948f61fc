"""The conflict view (issue 16.12): both versions side by side, paragraph by paragraph, to merge."""

from __future__ import annotations

import html
import re

from tests.admin_session import form, signed_in


async def test_a_conflict_pairs_the_differing_paragraphs_with_a_choice_each(world, client):
    store = await world.site("alpha")
    ann = await world.member(store, "editor", name="Ann")
    bob = await world.member(store, "editor", name="Bob")
    post = await world.post(store, ann, "Shared", markdown="First.\n\nMiddle.\n\nLast.", status="draft")
    ann_s, bob_s = await signed_in(client, "alpha", ann), await signed_in(client, "alpha", bob)
    await ann_s.post("/admin/posts/%s" % post["_id"], form(title="Shared", markdown="First, by Ann.\n\nMiddle.\n\nLast.",
                                                           version="1"))
    conflict = await bob_s.post("/admin/posts/%s" % post["_id"], form(
        title="Shared", markdown="First.\n\nMiddle.\n\nLast, <by> Bob.", version="1"))
    assert conflict.code == 409
    page = conflict.body.decode()
    merge = page[page.index('id="merge"'):]
    blocks = re.findall(r'data-block="(same|differ)"', merge)
    assert blocks == ["differ", "same", "differ"]
    assert html.escape("Last, <by> Bob.", quote=False) in merge and "First, by Ann." in merge
    for n in range(len(blocks)):
        if blocks[n] == "differ":
            for choice in ("mine", "theirs", "both"):
                assert re.search(r'name="merge-%d" value="%s"' % (n, choice), merge)
    assert 'name="version" value="2"' in page  # the merged text is saved against the newest version
    assert (await store.posts.get(post["_id"]))["markdown"] == "First, by Ann.\n\nMiddle.\n\nLast."


async def test_the_autosave_offer_says_when_in_the_sites_time_and_shows_what_would_come_back(world, client):
    store = await world.site("alpha", timezone="Europe/Berlin")
    owner = await world.member(store, "owner")
    post = await world.post(store, owner, "Boats", markdown="Boats in the harbour.")
    session = await signed_in(client, "alpha", owner)
    await session.post("/admin/posts/%s/autosave" % post["_id"], {
        "title": "Boats at dawn", "markdown": "Boats in the old harbour."})
    page = (await session.get("/admin/posts/%s" % post["_id"])).body.decode()
    offer = page[page.index('id="autosave-offer"'):page.index('id="editor"')]
    assert "less than a minute ago" in offer and "Europe/Berlin" in offer
    assert "<ins>old </ins>" in offer and "Title" in offer  # the text's change, and which other fields change
    assert "Restore them" in offer
