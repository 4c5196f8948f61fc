"""E-mail subscriptions (issue 12): subscribe on every theme, double opt-in, each new post
mailed once per confirmed subscriber (across dispatchers, restarts and schedules),
one-click unsubscribe, the admin's list, and tenancy -- another site's token or
subscriber is a 404 here."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from cms.store import Sites
from cms.store.subscribers import Newsletters
from cms.store.subscribers import post_published as subscriber_hook
from cms.subscriptions import links
from cms.subscriptions.dispatch import Dispatcher
from tests.admin_session import Session, signed_in

HTML_LINK = re.compile(r"https?://[^\s<>\"]+")


async def blog(world, name="blog", theme="journal"):
    store = await world.site(name, theme=theme)
    author = await world.member(store, "author")
    return store, author


async def ask(client, site: str, email: str, **extra) -> tuple[Session, object]:
    """A reader sends the form of a kept page (no token), then the form that comes back."""
    session = Session(client, site)
    first = await session.fetch("/subscribe", "POST", form={"email": email, "homepage": "", **extra}, xsrf=False)
    if first.code != 200 or b"Send this once more" not in first.body:
        return session, first
    return session, await session.post("/subscribe", {"email": email, "homepage": "", **extra})


async def outbox(db, kind: str, to: str | None = None) -> list[dict]:
    query = {"kind": kind, **({"to": to} if to else {})}
    return [m async for m in db.outbox.find(query).sort("created_at", 1)]


def link_of(message: dict, path: str) -> str:
    """The path and query of the link to ``path`` in a message's text."""
    found = [url for url in HTML_LINK.findall(message["text"]) if urlsplit(url).path == path]
    assert found, message["text"]
    parts = urlsplit(found[0])
    return "%s?%s" % (parts.path, parts.query)


async def confirmed(client, db, site: str, email: str) -> None:
    _, answer = await ask(client, site, email)
    assert answer.code == 200, answer.body
    message = (await outbox(db, "subscription", email))[-1]
    page = await Session(client, site).get(link_of(message, "/subscribe/confirm"))
    assert page.code == 200 and b"You are subscribed" in page.body


async def test_a_reader_subscribes_confirms_and_gets_each_new_post_once(world, client, app, db):
    store, author = await blog(world)
    page = await client.get("blog", "/")
    assert b'<form class="subscribe-box" method="post" action="/subscribe">' in page.body
    session, answer = await ask(client, "blog", "Reader@Example.org ")
    assert answer.code == 200 and b"Check your inbox" in answer.body
    [message] = await outbox(db, "subscription")
    assert message["to"] == "reader@example.org" and message["site_id"] == store.site_id
    assert "Confirm your subscription" in message["subject"]
    # Nothing but that one message goes to an address not yet confirmed.
    await world.post(store, author, "Too early", status="published")
    assert await app.newsletters.run_once() == 0
    assert await outbox(db, "newsletter") == []
    confirm = link_of(message, "/subscribe/confirm")
    assert (await Session(client, "blog").get(confirm)).code == 200
    assert (await store.subscribers.counts()) == {"pending": 0, "confirmed": 1, "unsubscribed": 0}

    post = await world.post(store, author, "Fresh news", markdown="First paragraph of the news.\n\nMore.",
                            status="published")
    assert await app.newsletters.run_once() == 1
    [letter] = await outbox(db, "newsletter")
    assert letter["to"] == "reader@example.org" and letter["subject"] == "Fresh news"
    assert "First paragraph of the news." in letter["text"] and "/posts/fresh-news" in letter["text"]
    unsubscribe = letter["headers"]["List-Unsubscribe"]
    assert re.fullmatch(r"<http://blog\.localhost:\d+/unsubscribe\?t=[^>]+>, <mailto:[^>]+\?subject=unsubscribe>",
                        unsubscribe), unsubscribe
    assert letter["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Unsubscribe: http://blog.localhost" in letter["text"]  # the visible link
    # Saved again, republished, or looked at by the dispatcher again: never a second message.
    await store.posts.update(post["_id"], post["version"], title="Fresh news", markdown="Edited.",
                             status="draft")
    again = await store.posts.get(post["_id"])
    await store.posts.update(post["_id"], again["version"], title="Fresh news", markdown="Edited.",
                             status="published")
    assert await app.newsletters.run_once() == 0
    assert len(await outbox(db, "newsletter")) == 1


async def test_the_full_text_setting_mails_the_whole_post(world, client, app, db):
    store, author = await blog(world)
    await confirmed(client, db, "blog", "full@example.org")
    await Sites(db).set_newsletter_settings(store.site_id, {"content": "full"})
    await world.post(store, author, "Long one", markdown="Opening.\n\nThe very last sentence.", status="published")
    await app.newsletters.run_once()
    [letter] = await outbox(db, "newsletter")
    assert "The very last sentence." in letter["text"]


@pytest.mark.parametrize("theme", ["journal", "magazine", "dusk"])
async def test_every_theme_shows_the_form(world, client, theme):
    await blog(world, theme=theme)
    page = await client.get("blog", "/")
    assert page.code == 200
    assert b'action="/subscribe"' in page.body and b'name="homepage"' in page.body


async def test_without_a_token_nothing_is_sent_and_the_form_comes_back_filled_in(world, client, db):
    store, _ = await blog(world)
    first = await Session(client, "blog").fetch("/subscribe", "POST", form={"email": "a@example.org"}, xsrf=False)
    assert first.code == 200 and b'value="a@example.org"' in first.body and b'name="_xsrf"' in first.body
    assert await outbox(db, "subscription") == []
    assert sum((await store.subscribers.counts()).values()) == 0


async def test_the_script_gets_a_token_that_makes_the_form_one_step(world, client, db):
    store, _ = await blog(world)
    session = Session(client, "blog")
    token = await session.get("/subscribe/form")
    assert token.code == 200 and token.headers["Cache-Control"] == "no-store"
    xsrf = json.loads(token.body)["xsrf"]
    sent = await session.fetch("/subscribe", "POST", form={"email": "quick@example.org", "_xsrf": xsrf}, xsrf=False)
    assert sent.code == 200 and b"Check your inbox" in sent.body
    assert len(await outbox(db, "subscription", "quick@example.org")) == 1
    page = await client.get("blog", "/")
    assert re.search(rb'<script src="/modules/subscribe\.js\?v=[^"]+"', page.body)
    assert (await client.fetch("localhost", "/subscribe/form")).code == 404  # the platform has no subscribers


@pytest.mark.parametrize("email, extra, words", [
    ("not an address", {}, b"not an e-mail address"),
    ("x" * 300 + "@example.org", {}, b"not an e-mail address"),
    ("bot@example.org", {"homepage": "http://spam.example"}, b"looks automated"),
])
async def test_bad_input_is_refused_and_changes_nothing(world, client, db, email, extra, words):
    store, _ = await blog(world)
    session = Session(client, "blog")
    await session.get("/login")  # a valid XSRF token: the refusal is about the input alone
    answer = await session.post("/subscribe", {"email": email, **extra})
    assert answer.code == 400 and words in answer.body
    assert await outbox(db, "subscription") == []
    assert sum((await store.subscribers.counts()).values()) == 0


async def test_too_many_requests_from_one_address_are_refused(world, client, app, db):
    await blog(world)
    session = Session(client, "blog")
    await session.get("/login")
    codes = [(await session.post("/subscribe", {"email": "r%d@example.org" % n})).code for n in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
    assert len(await outbox(db, "subscription")) == 5


async def test_subscribing_again_reveals_nothing_and_sends_no_second_link_soon(world, client, db):
    store, _ = await blog(world)
    _, first = await ask(client, "blog", "twice@example.org")
    _, second = await ask(client, "blog", "twice@example.org")
    assert first.code == second.code == 200
    assert len(await outbox(db, "subscription", "twice@example.org")) == 1  # pending: one link an hour
    await confirmed(client, db, "blog", "known@example.org")
    sent = len(await db.outbox.find({"to": "known@example.org"}).to_list(None))
    _, third = await ask(client, "blog", "known@example.org")
    assert len(await db.outbox.find({"to": "known@example.org"}).to_list(None)) == sent  # confirmed: nothing
    strip = lambda body: body.replace(b"twice@example.org", b"X").replace(b"known@example.org", b"X")  # noqa: E731
    assert strip(third.body) == strip(second.body)


async def test_a_confirmation_link_works_once_on_its_own_site_only(world, client, db):
    store, _ = await blog(world)
    other = await world.site("other")
    _, answer = await ask(client, "blog", "once@example.org")
    link = link_of((await outbox(db, "subscription"))[0], "/subscribe/confirm")
    elsewhere = await Session(client, "other").get(link)
    assert elsewhere.code == 404 and b"not valid" in elsewhere.body
    assert (await store.subscribers.counts())["pending"] == 1
    assert sum((await other.subscribers.counts()).values()) == 0
    assert (await Session(client, "blog").get(link)).code == 200
    replayed = await Session(client, "blog").get(link)
    assert replayed.code == 404 and b"not valid" in replayed.body
    forged = await Session(client, "blog").get("/subscribe/confirm?t=" + "A" * 43)
    assert forged.code == 404


async def test_an_expired_confirmation_link_is_refused(world, client, db):
    store, _ = await blog(world)
    _, token = await store.subscribers.subscribe("late@example.org", now=time.time() - 49 * 3600)
    late = await Session(client, "blog").get("/subscribe/confirm?t=" + token)
    assert late.code == 404 and (await store.subscribers.counts())["pending"] == 1


async def test_one_click_unsubscribe_needs_no_cookie_but_the_signed_token(world, client, app, db):
    store, author = await blog(world)
    other, _ = await blog(world, "other")
    await confirmed(client, db, "blog", "leaving@example.org")
    await world.post(store, author, "Hello", status="published")
    await app.newsletters.run_once()
    [letter] = await outbox(db, "newsletter")
    target = link_of(letter, "/unsubscribe")
    # A link checker's GET unsubscribes nobody: it shows a button.
    shown = await Session(client, "blog").get(target)
    assert shown.code == 200 and b">Unsubscribe</button>" in shown.body
    assert (await store.subscribers.counts())["confirmed"] == 1
    # Another site's host, a forged token, a token naming another subscriber: 404, nothing changed.
    token = parse_qs(urlsplit(target).query)["t"][0]
    assert (await client.get("other", target, method="POST", body="List-Unsubscribe=One-Click")).code == 404
    forged = links.unsubscribe_token({"cookie_secret": "not the key"}, store.site_id, letter["_id"])
    for bad in (token[:-3] + "abc", forged, "", links.unsubscribe_token(app.settings, store.site_id, "0" * 24)):
        answer = await client.get("blog", "/unsubscribe?t=%s" % bad, method="POST", body="List-Unsubscribe=One-Click")
        assert answer.code == 404, bad
    assert (await store.subscribers.counts())["confirmed"] == 1
    # The mail client's POST (RFC 8058): no cookie, no XSRF token.
    done = await client.get("blog", target, method="POST", body="List-Unsubscribe=One-Click",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.code == 200 and b"You are unsubscribed" in done.body
    assert (await store.subscribers.counts()) == {"pending": 0, "confirmed": 0, "unsubscribed": 1}
    assert (await client.get("blog", target, method="POST", body="")).code == 200  # again: still unsubscribed
    await world.post(store, author, "After leaving", status="published")
    await app.newsletters.run_once()
    assert len(await outbox(db, "newsletter")) == 1


async def test_two_dispatchers_racing_mail_each_subscriber_once(world, client, app, db):
    store, author = await blog(world)
    for n in range(5):
        await confirmed(client, db, "blog", "s%d@example.org" % n)
        app.subscribe_limits.address._buckets.clear()
    await world.post(store, author, "Raced", status="published")
    other = Dispatcher(app)  # another process's dispatcher on the same database
    counts = await asyncio.gather(app.newsletters.run_once(), other.run_once(), app.newsletters.run_once())
    assert sum(counts) == 5
    letters = await outbox(db, "newsletter")
    assert sorted(m["to"] for m in letters) == ["s%d@example.org" % n for n in range(5)]


async def test_two_publish_paths_racing_owe_the_post_once(world, client, app, db):
    store, author = await blog(world)
    await confirmed(client, db, "blog", "single@example.org")
    post = await world.post(store, author, "Twice told", status="published")
    # Two processes hearing of the same publication at the same moment (a save sent again, say).
    await asyncio.gather(*[subscriber_hook(db, store.site_id, post) for _ in range(4)])
    assert await db.newsletters.count_documents({"post_id": post["_id"]}) == 1
    counts = await asyncio.gather(app.newsletters.run_once(), Dispatcher(app).run_once())
    assert sum(counts) == 1 and len(await outbox(db, "newsletter", "single@example.org")) == 1


async def test_a_dispatcher_that_died_mid_way_is_resumed_without_duplicates(world, client, app, db):
    store, author = await blog(world)
    for n in range(3):
        await confirmed(client, db, "blog", "r%d@example.org" % n)
    post = await world.post(store, author, "Interrupted", status="published")
    dead = Dispatcher(app)
    newsletters = Newsletters(db)
    claimed = await newsletters.claim(dead.owner)
    first = (await store.subscribers.confirmed_after("", 1))[0]
    assert await dead.queue(store.site, post, first)  # it queued one message, then its process died
    # Another process takes over once the lease is over, and queues the others only.
    assert await app.newsletters.run_once() == 0  # the lease still runs
    assert await app.newsletters.run_once(now=claimed["lease_until"] + 1) == 2
    assert sorted(m["to"] for m in await outbox(db, "newsletter")) == ["r0@example.org", "r1@example.org",
                                                                      "r2@example.org"]
    assert (await newsletters.of_post(store.site_id, post["_id"]))["status"] == "sent"


async def test_a_scheduled_post_is_mailed_when_it_goes_live_and_not_before(world, client, app, db):
    store, author = await blog(world)
    await confirmed(client, db, "blog", "waiting@example.org")
    when = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    post = await world.post(store, author, "Later", status="published", published_at=when)
    assert await app.newsletters.run_once() == 0
    # Moved a day later: at the first time it waits again.
    later = when + dt.timedelta(days=1)
    await store.posts.update(post["_id"], post["version"], title="Later", markdown="Body text.", status="published",
                             published_at=later)
    assert await app.newsletters.run_once(now=when.timestamp() + 1) == 0
    assert await app.newsletters.run_once(now=later.timestamp() + 1) == 1
    assert await app.newsletters.run_once(now=later.timestamp() + 2) == 0


async def test_an_unpublished_scheduled_post_is_not_mailed(world, client, app, db):
    store, author = await blog(world)
    await confirmed(client, db, "blog", "waiting@example.org")
    when = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    post = await world.post(store, author, "Maybe", status="published", published_at=when)
    await store.posts.update(post["_id"], post["version"], title="Maybe", markdown="Body text.", status="draft")
    assert await app.newsletters.run_once(now=when.timestamp() + 1) == 0
    assert await outbox(db, "newsletter") == []


async def test_a_suspended_site_mails_nothing_until_restored_and_its_readers_can_still_unsubscribe(
        world, client, app, db):
    store, author = await blog(world)
    await confirmed(client, db, "blog", "patient@example.org")
    await world.post(store, author, "Held back", status="published")
    await Sites(db).suspend(store.site_id, "spam reports", by="operator")
    app.resolver.invalidate()
    assert await app.newsletters.run_once() == 0
    subscriber = (await store.subscribers.search("patient"))[0]
    token = links.unsubscribe_token(app.settings, store.site_id, subscriber["_id"])
    assert (await client.get("blog", "/unsubscribe?t=" + token)).code == 200
    await Sites(db).unsuspend(store.site_id)
    assert await app.newsletters.run_once(now=time.time() + 3601) == 1


async def test_pages_and_backdated_posts_are_not_mailed(world, client, app, db):
    store, author = await blog(world)
    await confirmed(client, db, "blog", "news@example.org")
    await world.post(store, author, "About", type="page", status="published")
    await world.post(store, author, "Old news", status="published",
                     published_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30))
    assert await app.newsletters.run_once() == 0


async def test_a_post_published_before_a_reader_confirmed_is_not_mailed_to_them(world, client, app, db):
    store, author = await blog(world)
    await world.post(store, author, "Before you came", status="published",
                     published_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10))
    await confirmed(client, db, "blog", "newcomer@example.org")
    assert await app.newsletters.run_once() == 0
    await world.post(store, author, "After you came", status="published")
    assert await app.newsletters.run_once() == 1
    assert [m["subject"] for m in await outbox(db, "newsletter")] == ["After you came"]


async def test_subscribers_of_one_site_never_get_another_sites_posts(world, client, app, db):
    store, author = await blog(world)
    other, other_author = await blog(world, "other")
    await confirmed(client, db, "blog", "mine@example.org")
    await confirmed(client, db, "other", "theirs@example.org")
    await world.post(other, other_author, "Elsewhere", status="published")
    await app.newsletters.run_once()
    assert [m["to"] for m in await outbox(db, "newsletter")] == ["theirs@example.org"]


async def test_the_admin_lists_counts_searches_removes_and_exports(world, client, db):
    store, _ = await blog(world)
    other, _ = await blog(world, "other")
    await confirmed(client, db, "blog", "ann@example.org")
    await ask(client, "blog", "bob@example.org")
    await confirmed(client, db, "other", "carl@example.org")
    editor = await signed_in(client, "blog", await world.member(store, "editor"))
    page = await editor.get("/admin/subscribers")
    assert page.code == 200 and b"1 confirmed, 1 pending, 0 unsubscribed" in page.body
    assert b"ann@example.org" in page.body and b"bob@example.org" in page.body and b"carl@" not in page.body
    found = await editor.get("/admin/subscribers?q=ANN")
    assert b"ann@example.org" in found.body and b"bob@example.org" not in found.body
    assert (await editor.get("/admin/subscribers?status=nonsense")).code == 400
    exported = await editor.get("/admin/subscribers.csv")
    assert exported.code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.body.decode())))
    assert sorted((r["email"], r["status"]) for r in rows) == [("ann@example.org", "confirmed"),
                                                               ("bob@example.org", "pending")]
    # Another site's subscriber cannot be removed from here.
    theirs = (await other.subscribers.search("carl"))[0]
    assert (await editor.post("/admin/subscribers/%s/remove" % theirs["_id"])).code == 404
    assert (await other.subscribers.counts())["confirmed"] == 1
    bob = (await store.subscribers.search("bob"))[0]
    removed = await editor.post("/admin/subscribers/%s/remove" % bob["_id"])
    assert removed.code == 303 and (await store.subscribers.counts())["pending"] == 0
    # Authors do not see the list.
    author = await signed_in(client, "blog", await world.member(store, "author"))
    assert (await author.get("/admin/subscribers")).code == 403
    assert (await author.get("/admin/subscribers.csv")).code == 403


async def test_a_csv_cell_never_starts_a_formula(world, client, db):
    store, _ = await blog(world)
    await store.subscribers.subscribe("=cmd@example.org")
    editor = await signed_in(client, "blog", await world.member(store, "editor"))
    exported = (await editor.get("/admin/subscribers.csv")).body.decode()
    assert "'=cmd@example.org" in exported


async def test_only_admins_choose_what_newsletters_carry(world, client, db):
    store, _ = await blog(world)
    editor = await signed_in(client, "blog", await world.member(store, "editor"))
    assert (await editor.post("/admin/subscribers/settings", {"content": "full"})).code == 403
    admin = await signed_in(client, "blog", await world.member(store, "admin"))
    assert (await admin.post("/admin/subscribers/settings", {"content": "everything"})).code == 400
    assert (await admin.post("/admin/subscribers/settings", {"content": "full"})).code == 303
    assert (await Sites(db).by_id(store.site_id))["newsletter"] == {"content": "full"}


async def test_a_deleted_site_takes_its_subscribers_along(world, client, db):
    store, _ = await blog(world)
    other, _ = await blog(world, "other")
    await store.subscribers.subscribe("a@example.org")
    await other.subscribers.subscribe("b@example.org")
    await Sites(db).delete(store.site_id)
    assert [s["email"] async for s in db.subscribers.find({})] == ["b@example.org"]
