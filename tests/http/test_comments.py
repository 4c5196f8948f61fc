"""Readers' comments (issue 12): the form under posts, its refusals, the moderation
queue, and tenancy -- another site's post or comment is never reachable from here."""

from __future__ import annotations

import re
import time

import pytest

from cms.handlers.comments import form_token
from cms.store import Sites
from tests.admin_session import Session, signed_in

GUEST = {"name": "Ada", "email": "ada@example.org", "website": "", "text": "A *fine* post, thank you."}


async def blog(world, name="blog", **post):
    store = await world.site(name)
    author = await world.member(store, "author")
    post = await world.post(store, author, post.pop("title", "Hello"), **post)
    return store, author, post


async def reader(client, app, post, site="blog", waited=60) -> tuple[Session, dict]:
    """A guest who opened the post ``waited`` seconds ago: the form's token fetched, as the script does."""
    session = Session(client, site)
    await session.get("/comments/form?post=%s" % post["_id"])  # a 403/404 where comments are not taken
    started = form_token(app, post["_id"], time.time() - waited)
    return session, {"post": post["_id"], "started": started, "parent": "", "homepage": ""}


async def send(client, app, to_post, site="blog", **fields):
    session, form = await reader(client, app, to_post, site)
    return await session.post("/comments", {**form, **GUEST, **fields})


async def test_a_guest_comment_awaits_moderation_then_an_editor_approves_it(world, client, app, db):
    store, author, post = await blog(world)
    page = await client.get("blog", "/posts/hello")
    assert b'<form class="comment-form" method="post" action="/comments"' in page.body
    assert b"0 comments" in page.body
    sent = await send(client, app, post)
    assert sent.code == 303 and sent.headers["Location"] == "/posts/hello#comment-awaiting"
    assert b"A <em>fine</em> post" not in (await client.get("blog", "/posts/hello")).body
    # The post's author is told, through the outbox.
    notice = await db.outbox.find_one({"kind": "comment"})
    assert notice["to"] == author["email"] and "awaits moderation" in notice["subject"]
    assert "A *fine* post" in notice["text"]
    editor = await signed_in(client, "blog", await world.member(store, "editor"))
    queue = await editor.get("/admin/comments")
    assert queue.code == 200 and b"A <em>fine</em> post" in queue.body and b"ada@example.org" in queue.body
    comment_id = re.search(rb'data-comment="([0-9a-f]{24})"', queue.body).group(1).decode()
    approved = await editor.post("/admin/comments/%s/approve" % comment_id, {"back": "pending"})
    assert approved.code == 303 and approved.headers["Location"] == "/admin/comments?status=pending&done=approved"
    # The kept page shows it at once (the site's change counter moved).
    page = await client.get("blog", "/posts/hello")
    assert b"A <em>fine</em> post, thank you." in page.body and b"1 comment<" in page.body
    assert b"ada@example.org" not in page.body  # the e-mail is never shown


async def test_without_a_token_the_form_comes_back_filled_in_and_nothing_is_stored(world, client, app):
    store, author, post = await blog(world)
    session = Session(client, "blog")
    first = await session.post("/comments", {"post": post["_id"], **GUEST}, xsrf=False)
    assert first.code == 200 and b"Send your comment" in first.body and b"A *fine* post, thank you." in first.body
    assert await store.comments.status_counts() == {"pending": 0, "approved": 0, "rejected": 0, "spam": 0}
    # Sending that form (its token, its start time) stores it -- once the minimum time has passed.
    token = session.xsrf_field(first.body)
    started = re.search(rb'name="started" value="([^"]+)"', first.body).group(1).decode()
    quick = await session.post("/comments", {"post": post["_id"], "started": started, "_xsrf": token, **GUEST})
    assert quick.code == 400 and b"quicker than anyone" in quick.body
    app.settings["comment_min_seconds"] = 0
    again = await session.post("/comments", {"post": post["_id"], "started": started, "_xsrf": token, **GUEST})
    assert again.code == 303
    assert (await store.comments.status_counts())["pending"] == 1


@pytest.mark.parametrize("fields, status, words", [
    ({"homepage": "http://spam.example"}, 400, b"looks automated"),
    ({"text": "x" * 5001}, 400, b"at most 5000 characters"),
    ({"text": "  "}, 400, b"empty"),
    ({"text": "see http://a.example http://b.example http://c.example http://d.example"}, 400, b"at most 3"),
    ({"email": "not-an-address"}, 400, b"valid e-mail"),
    ({"name": ""}, 400, b"your name"),
    ({"website": "javascript:alert(1)"}, 400, b"http(s) address"),
    ({"post": "0123456789abcdef01234567"}, 404, b"no such post"),
    ({"post": "../../etc"}, 404, b"no such post"),
    ({"parent": "0123456789abcdef01234567"}, 400, b"not there"),
    ({"started": "forged"}, 200, b"Send your comment"),
])
async def test_bad_comments_are_refused_with_a_message_and_store_nothing(world, client, app, fields, status, words):
    store, author, post = await blog(world)
    answer = await send(client, app, post, **fields)
    assert answer.code == status and words in answer.body, answer.body[-800:]
    assert sum((await store.comments.status_counts()).values()) == 0


async def test_scripted_content_is_stored_harmless(world, client, app):
    store, author, post = await blog(world)
    await Sites(store.db).set_comment_settings(store.site_id, {"mode": "open", "close_after_days": 0})
    sent = await send(client, app, post, text='<script>alert(1)</script>[x](javascript:alert(2)) <b onclick="y">hi</b>')
    assert sent.code == 303 and sent.headers["Location"].startswith("/posts/hello#comment-")
    page = (await client.get("blog", "/posts/hello")).body.decode()
    shown = re.search(r'<div class="comment__text">(.*?)</div>', page, re.S).group(1)
    assert "hi" in shown and "<script" not in shown and "javascript:" not in shown and "onclick" not in shown
    assert "<b " not in shown and "<b>" not in shown


async def test_a_duplicate_a_blocked_sender_and_too_many_comments_are_refused(world, client, app):
    store, author, post = await blog(world)
    assert (await send(client, app, post)).code == 303
    duplicate = await send(client, app, post, text="A  FINE post, thank you.".replace("FINE", "*fine*"))
    assert duplicate.code == 400 and b"already sent" in duplicate.body
    await store.comments.block("email", "spammer@example.org")
    blocked = await send(client, app, post, email="Spammer@example.org", text="Buy now")
    assert blocked.code == 400 and b"not accepted" in blocked.body
    assert (await store.comments.status_counts())["pending"] == 1
    # Five tries a client address (refused ones count), then a 429; the limit is per process.
    codes = [(await send(client, app, post, text="comment %d" % n)).code for n in range(4)]
    assert codes == [303, 303, 429, 429]
    assert (await store.comments.status_counts())["pending"] == 3


async def test_comments_off_open_and_closed_posts(world, client, app):
    store, author, post = await blog(world)
    sites = Sites(store.db)
    await sites.set_comment_settings(store.site_id, {"mode": "off", "close_after_days": 0})
    assert b"comment-form" not in (await client.get("blog", "/posts/hello")).body
    off = await send(client, app, post)
    assert off.code == 403 and b"closed" in off.body
    await sites.set_comment_settings(store.site_id, {"mode": "open", "close_after_days": 0})
    sent = await send(client, app, post, text="Shown at once")
    assert sent.code == 303 and re.match(r"/posts/hello#comment-[0-9a-f]{24}$", sent.headers["Location"])
    assert b"Shown at once" in (await client.get("blog", "/posts/hello")).body
    import datetime as dt
    old = await world.post(store, author, "Old", published_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40))
    await sites.set_comment_settings(store.site_id, {"mode": "open", "close_after_days": 30})
    page = await client.get("blog", "/posts/old")
    assert b"Comments are closed." in page.body and b"comment-form" not in page.body
    closed = await send(client, app, old, text="Too late")
    assert closed.code == 403 and b"closed" in closed.body
    draft = await world.post(store, author, "Draft", status="draft")
    assert (await send(client, app, draft, text="Early")).code == 404


async def test_a_member_comments_without_moderation_and_replies_nest_one_level(world, client, app):
    store, author, post = await blog(world)
    top = await store.comments.add(post, "Top comment", status="approved", name="Bo", email="bo@example.org")
    session = await signed_in(client, "blog", author)
    import json
    token = json.loads((await session.get("/comments/form?post=%s" % post["_id"])).body)
    assert token["member"] == author["name"]  # the script hides the guest's fields
    assert json.loads((await Session(client, "blog").get("/comments/form?post=%s" % post["_id"])).body)["member"] is None
    confirm = await session.post("/comments", {"post": post["_id"], "text": "No script"}, xsrf=False)
    assert confirm.code == 200 and b"Commenting as %s." % author["name"].encode() in confirm.body
    assert b'id="comment-email"' not in confirm.body  # no guest fields (the footer's subscribe form has its own)
    form = {"post": post["_id"], "started": form_token(app, post["_id"], time.time() - 60), "text": "My reply",
            "parent": top["_id"], "homepage": ""}
    answer = await session.post("/comments", form, headers={"Accept": "application/json"})
    assert answer.code == 200
    body = json.loads(answer.body)
    assert body["status"] == "approved" and "My reply" in body["html"]
    reply = await store.comments.get(body["id"])
    assert reply["parent"] == top["_id"] and reply["user_id"] == author["_id"]
    # A reply to the reply hangs on the same top comment.
    nested = await store.comments.add(post, "Deeper", status="approved", parent_id=reply["_id"], name="C",
                                      email="c@example.org")
    assert nested["parent"] == top["_id"]
    page = (await client.get("blog", "/posts/hello")).body.decode()
    assert page.index("Top comment") < page.index('class="comments__replies"') < page.index("My reply")
    assert "3 comments" in page


async def test_json_refusals_are_json(world, client, app):
    store, author, post = await blog(world)
    session, form = await reader(client, app, post)
    answer = await session.post("/comments", {**form, **GUEST, "text": ""}, headers={"Accept": "application/json"})
    assert answer.code == 400 and b'"error": "the comment is empty"' in answer.body


async def test_the_queue_is_for_editors_and_up_with_xsrf(world, client, app):
    store, author, post = await blog(world)
    comment = await store.comments.add(post, "Wait", status="pending", name="A", email="a@example.org")
    as_author = await signed_in(client, "blog", author)
    assert (await as_author.get("/admin/comments")).code == 403
    assert (await as_author.post("/admin/comments/%s/approve" % comment["_id"])).code == 403
    editor = await signed_in(client, "blog", await world.member(store, "editor"))
    assert (await editor.post("/admin/comments/%s/approve" % comment["_id"], xsrf=False)).code == 403
    assert (await store.comments.get(comment["_id"]))["status"] == "pending"
    assert b'href="/admin/comments"' in (await editor.get("/admin/")).body
    # Editors moderate; the settings are the admins'.
    refused = await editor.post("/admin/comments/settings", {"mode": "open", "close_after_days": "0"})
    assert refused.code == 403


async def test_moderation_actions_and_the_blocklist(world, client, app):
    store, author, post = await blog(world)
    admin = await signed_in(client, "blog", await world.member(store, "admin"))
    spam = await store.comments.add(post, "Buy pills", status="pending", name="S", email="s@example.org",
                                    address="203.0.113.9")
    blocked = await admin.post("/admin/comments/%s/block-address" % spam["_id"], {"back": "pending"})
    assert blocked.code == 303 and blocked.headers["Location"].endswith("done=blocked")
    assert (await store.comments.get(spam["_id"]))["status"] == "spam"
    assert await store.comments.blocked("", "203.0.113.9")
    listing = await admin.get("/admin/comments?status=spam")
    assert b"Buy pills" in listing.body and b"203.0.113.9" in listing.body
    gone = await admin.post("/admin/comments/%s/delete" % spam["_id"])
    assert gone.code == 303 and await store.comments.get(spam["_id"]) is None
    bad = await admin.post("/admin/comments/settings", {"mode": "sometimes", "close_after_days": "x"})
    assert bad.code == 400 and b"off, moderated or open" in bad.body
    bad_days = await admin.post("/admin/comments/settings", {"mode": "open", "close_after_days": "-1"})
    assert bad_days.code == 400 and b"0 to 3650" in bad_days.body
    ok = await admin.post("/admin/comments/settings", {"mode": "open", "close_after_days": "14"})
    assert ok.code == 303
    site = await Sites(store.db).by_id(store.site_id)
    assert site["comments"] == {"mode": "open", "close_after_days": 14}
    assert (await admin.get("/admin/comments?status=nonsense")).code == 400


async def test_another_sites_posts_and_comments_are_not_found_from_here(world, client, app):
    store, author, post = await blog(world)
    other, other_author, theirs = await blog(world, "other", title="Theirs")
    # Their post id on this host: no such post, nothing stored anywhere.
    answer = await send(client, app, theirs)  # the token fetch is on blog's host with their id: 404 there
    assert answer.code == 404
    session = Session(client, "blog")
    token = await session.get("/comments/form?post=%s" % theirs["_id"])
    assert token.code == 404
    form = {"post": theirs["_id"], "started": form_token(app, theirs["_id"], time.time() - 60), **GUEST}
    await session.get("/comments/form?post=%s" % post["_id"])
    assert (await session.post("/comments", form)).code == 404
    assert sum((await other.comments.status_counts()).values()) == 0
    # Their comment, from this site's admin: 404 for every action; their queue is not ours.
    comment = await other.comments.add(theirs, "Their comment", status="pending", name="T", email="t@example.org")
    editor = await signed_in(client, "blog", await world.member(store, "editor"))
    for action in ("approve", "reject", "spam", "delete", "block-email", "block-address"):
        assert (await editor.post("/admin/comments/%s/%s" % (comment["_id"], action))).code == 404, action
    assert (await other.comments.get(comment["_id"]))["status"] == "pending"
    assert b"Their comment" not in (await editor.get("/admin/comments")).body
    block = await other.comments.block("email", "x@example.org")
    assert (await editor.post("/admin/comments/blocks/%s/delete" % block["_id"])).code == 404
    assert len(await other.comments.blocks()) == 1
    # A reply to their comment from here is refused.
    theirs_approved = await other.comments.add(theirs, "Approved there", status="approved", name="T",
                                               email="t2@example.org")
    reply = await send(client, app, post, parent=theirs_approved["_id"], text="cross reply")
    assert reply.code == 400 and b"not there" in reply.body


async def test_comment_counts_on_lists_and_the_dashboard(world, client, app):
    store, author, post = await blog(world)
    other = await world.post(store, author, "Quiet")
    for n in range(2):
        await store.comments.add(post, "Approved %d" % n, status="approved", name="A", email="a%d@example.org" % n)
    await store.comments.add(post, "Waiting", status="pending", name="W", email="w@example.org")
    home = (await client.get("blog", "/")).body.decode()
    assert '<a class="post-card__comments" href="/posts/hello#comments">2 comments</a>' in home
    assert 'href="/posts/quiet#comments"' not in home and other["slug"] == "quiet"
    author_page = (await client.get("blog", "/authors/%s" % author["username"])).body.decode()
    assert "2 comments</a>" in author_page
    editor = await signed_in(client, "blog", await world.member(store, "editor"))
    dashboard = (await editor.get("/admin/")).body.decode()
    assert '<span class="num" data-count="comments-pending">1</span> comment awaiting moderation' in dashboard
    assert 'data-count="comments-pending"' not in (await (await signed_in(client, "blog", author)).get("/admin/")).body.decode()


async def test_an_editor_closes_one_posts_comments_by_hand_in_the_editor(world, client, app):
    from tests.admin_session import form as editor_form

    store, author, post = await blog(world)
    editor = await signed_in(client, "blog", await world.member(store, "editor"))
    page = await editor.get("/admin/posts/%s" % post["_id"])
    assert b'name="comments_closed"' in page.body and b"Close comments" in page.body
    fields = editor_form(title="Hello", slug="hello", markdown="Body text.", state="published", version="1",
                         comments_closed="1")
    assert (await editor.post("/admin/posts/%s" % post["_id"], fields)).code == 303
    assert b"Comments are closed." in (await client.get("blog", "/posts/hello")).body
    closed = await send(client, app, post)
    assert closed.code == 403 and b"closed" in closed.body
    assert b'name="comments_closed" value="1" checked' in (await editor.get("/admin/posts/%s" % post["_id"])).body
    # Saved again without the box ticked: open again. Another edit keeps what the box says.
    fields.update(version="2", comments_closed="")
    assert (await editor.post("/admin/posts/%s" % post["_id"], fields)).code == 303
    assert b"comment-form" in (await client.get("blog", "/posts/hello")).body
    assert (await send(client, app, post)).code == 303


async def test_a_member_edits_their_comment_within_the_window_and_nobody_else_can(world, client, app):
    import datetime as dt
    import json

    from cms import events

    store, author, post = await blog(world)
    approved = []
    undo = events.on_comment_approved(lambda site_id, post_id, comment: approved.append((site_id, post_id, comment["text"])))
    try:
        session = await signed_in(client, "blog", author)
        form = {"post": post["_id"], "started": form_token(app, post["_id"], time.time() - 60), "text": "Typo hree",
                "parent": "", "homepage": ""}
        sent = json.loads((await session.post("/comments", form, headers={"Accept": "application/json"})).body)
        assert approved == [(store.site_id, post["_id"], "Typo hree")]  # live delivery hears of it
        edited = await session.post("/comments/%s/edit" % sent["id"], {"text": "Typo *here*"},
                                    headers={"Accept": "application/json"})
        assert edited.code == 200 and json.loads(edited.body)["html"] == "<p>Typo <em>here</em></p>"
        assert b"Typo <em>here</em>" in (await client.get("blog", "/posts/hello")).body
        # Not without the XSRF token; not by another member; not a guest's comment; not bad text.
        assert (await session.post("/comments/%s/edit" % sent["id"], {"text": "x"}, xsrf=False)).code == 403
        other = await signed_in(client, "blog", await world.member(store, "editor"))
        assert (await other.post("/comments/%s/edit" % sent["id"], {"text": "Hijacked"})).code == 404
        guest = await store.comments.add(post, "Guest words", status="approved", name="G", email="g@example.org")
        assert (await session.post("/comments/%s/edit" % guest["_id"], {"text": "Mine now"})).code == 404
        empty = await session.post("/comments/%s/edit" % sent["id"], {"text": " "})
        assert empty.code == 400 and b"empty" in empty.body
        assert (await store.comments.get(sent["id"]))["text"] == "Typo *here*"
        # Ten minutes after sending it, the comment stays as it is.
        later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=11)
        with pytest.raises(Exception, match="10 minutes"):
            await store.comments.edit(sent["id"], author["_id"], "Too late", now=later)
        # Another site's host does not know the comment.
        other_site = await world.site("other")
        await other_site.members.add(author["_id"], "author")
        elsewhere = await signed_in(client, "other", author)
        assert (await elsewhere.post("/comments/%s/edit" % sent["id"], {"text": "From there"})).code == 404
    finally:
        undo()
