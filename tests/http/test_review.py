"""Submit for review (issue 16.9): a contributor's post waits "in review" for an editor.

Roles are checked on the server: a contributor never publishes, whatever the
form says; editors see the queue, are told by e-mail, publish or send back
with a note, and the author is told. Another site's people see nothing.
"""

from __future__ import annotations

from tests.admin_session import form, post_id_of, signed_in


async def submitted(world, client):
    """alpha with an owner, an editor, an author and a contributor whose post is in review."""
    store = await world.site("alpha", title="Alpha Blog")
    people = {role: await world.member(store, role, name="%s person" % role.title(), email="%s@example.com" % role)
              for role in ("owner", "editor", "author", "contributor")}
    writer = await signed_in(client, "alpha", people["contributor"])
    post_id = post_id_of(await writer.post("/admin/posts/new", form(
        title="My first piece", slug="first-piece", markdown="Please read me.", state="pending")))
    return store, people, writer, post_id


async def mail_to(db, address: str) -> list[dict]:
    return [m async for m in db.outbox.find({"to": address, "kind": "review"})]


async def test_a_contributors_submit_for_review_makes_it_pending_and_tells_the_editors(db, world, client):
    store, people, writer, post_id = await submitted(world, client)
    post = await store.posts.get(post_id)
    assert post["status"] == "pending" and post["version"] == 1
    assert (await client.get("alpha", "/posts/first-piece")).code == 404  # readers never see it
    for role in ("owner", "editor"):
        [notice] = await mail_to(db, people[role]["email"])
        assert "My first piece" in notice["subject"] and "Contributor person" in notice["text"]
        assert "/admin/posts/%s" % post_id in notice["text"]
    assert await mail_to(db, people["author"]["email"]) == []  # authors do not review
    assert await mail_to(db, people["contributor"]["email"]) == []
    editor_page = (await writer.get("/admin/posts/%s" % post_id)).body.decode()
    assert "in review" in editor_page
    # Saving it again while in review tells nobody twice.
    await writer.post("/admin/posts/%s" % post_id, form(title="My first piece", slug="first-piece",
                                                         markdown="Please read me, now.", state="pending", version="1"))
    assert len(await mail_to(db, people["editor"]["email"])) == 1


async def test_a_contributor_cannot_publish_by_forging_the_status(db, world, client):
    store, people, writer, post_id = await submitted(world, client)
    for state in ("published", "scheduled"):
        refused = await writer.post("/admin/posts/%s" % post_id, form(
            title="Sneaky", markdown="x", state=state, publish_at="2031-01-01T10:00", version="1"))
        assert refused.code == 403
    assert (await writer.post("/admin/posts/%s/review" % post_id, {"action": "publish", "version": "1"})).code == 403
    post = await store.posts.get(post_id)
    assert post["status"] == "pending" and post["title"] == "My first piece" and post["version"] == 1


async def test_editors_see_the_queue_on_the_dashboard_and_the_posts_list(world, client):
    store, people, writer, post_id = await submitted(world, client)
    await world.post(store, people["editor"], "Already out")
    editor = await signed_in(client, "alpha", people["editor"])
    dashboard = (await editor.get("/admin/")).body.decode()
    assert 'data-count="pending">1<' in dashboard and "/admin/posts?status=pending" in dashboard
    queue = (await editor.get("/admin/posts?status=pending")).body.decode()
    assert "My first piece" in queue and "Already out" not in queue
    contributor_dashboard = (await writer.get("/admin/")).body.decode()
    assert 'id="review-queue"' not in contributor_dashboard and 'id="review-queue"' in dashboard


async def test_an_editor_publishes_it_and_the_author_is_told(db, world, client):
    store, people, writer, post_id = await submitted(world, client)
    editor = await signed_in(client, "alpha", people["editor"])
    assert (await editor.post("/admin/posts/%s/review" % post_id, {"action": "publish", "version": "1"})).code == 303
    post = await store.posts.get(post_id)
    assert post["status"] == "published" and post["author_id"] == people["contributor"]["_id"]
    assert (await client.get("alpha", "/posts/first-piece")).code == 200
    [notice] = await mail_to(db, people["contributor"]["email"])
    assert "published" in notice["subject"] and "/posts/first-piece" in notice["text"]
    # Not in review any more: a second publish or send-back is refused and changes nothing.
    again = await editor.post("/admin/posts/%s/review" % post_id, {"action": "send-back", "note": "x", "version": "2"})
    assert again.code == 409 and (await store.posts.get(post_id))["status"] == "published"


async def test_an_editor_sends_it_back_with_a_note_the_author_reads(db, world, client):
    store, people, writer, post_id = await submitted(world, client)
    editor = await signed_in(client, "alpha", people["editor"])
    empty = await editor.post("/admin/posts/%s/review" % post_id, {"action": "send-back", "note": " ", "version": "1"})
    assert empty.code == 400 and b"note" in empty.body
    stale = await editor.post("/admin/posts/%s/review" % post_id, {"action": "send-back", "note": "x", "version": "7"})
    assert stale.code == 409
    assert (await editor.post("/admin/posts/%s/review" % post_id, {"action": "bogus", "version": "1"})).code == 400
    assert (await store.posts.get(post_id))["status"] == "pending"
    sent_back = await editor.post("/admin/posts/%s/review" % post_id,
                                  {"action": "send-back", "note": "Shorter <b>intro</b>, please.", "version": "1"})
    assert sent_back.code == 303
    post = await store.posts.get(post_id)
    assert post["status"] == "draft" and post["markdown"] == "Please read me."
    [notice] = await mail_to(db, people["contributor"]["email"])
    assert "Shorter <b>intro</b>, please." in notice["text"] and "Editor person" in notice["text"]
    page = (await writer.get("/admin/posts/%s" % post_id)).body.decode()
    assert "Shorter &lt;b&gt;intro&lt;/b&gt;, please." in page and "Editor person" in page
    # Submitting it again clears the note.
    await writer.post("/admin/posts/%s" % post_id, form(title="My first piece", slug="first-piece",
                                                         markdown="Shorter.", state="pending", version="2"))
    assert "Shorter &lt;b&gt;intro" not in (await writer.get("/admin/posts/%s" % post_id)).body.decode()


async def test_another_sites_editor_can_neither_see_nor_review_it(db, world, client):
    store, people, writer, post_id = await submitted(world, client)
    beta = await world.site("beta")
    stranger = await signed_in(client, "beta", await world.member(beta, "owner", email="stranger@example.com"))
    assert (await stranger.post("/admin/posts/%s/review" % post_id, {"action": "publish", "version": "1"})).code == 404
    assert "My first piece" not in (await stranger.get("/admin/posts?status=pending")).body.decode()
    assert 'data-count="pending">0<' in (await stranger.get("/admin/")).body.decode()
    assert await mail_to(db, "stranger@example.com") == []
    assert (await store.posts.get(post_id))["status"] == "pending"


async def test_publishing_it_from_the_editor_tells_the_author_too(db, world, client):
    store, people, writer, post_id = await submitted(world, client)
    editor = await signed_in(client, "alpha", people["editor"])
    saved = await editor.post("/admin/posts/%s" % post_id, form(
        title="My first piece", slug="first-piece", markdown="Please read me (edited).", state="published", version="1"))
    assert saved.code == 303 and (await store.posts.get(post_id))["status"] == "published"
    [notice] = await mail_to(db, people["contributor"]["email"])
    assert "is published" in notice["subject"]
