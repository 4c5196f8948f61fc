"""Sign-in sessions kept on the server (so signing out ends them), the account page's
list of them, and reader pages that never look at them.

Reader pages are kept per process and served to everyone (cms/pagecache.py):
a session cookie must neither change what they show nor cost a lookup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from pymongo import monitoring
from tornado.web import decode_signed_value

from cms import db as database
from cms import sessions
from cms.app import make_app
from tests.admin_session import Session, signed_in
from tests.conftest import TEST_PASSWORD
from tests.mail_server import link_in

FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Version/17.1 Mobile/15E148 Safari/604.1")
CHROME_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/119.0.0.0 Safari/537.36")


class Commands(monitoring.CommandListener):
    """Every command the application's client sends: (name, collection)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, object]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.seen.append((event.command_name, event.command.get(event.command_name)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def commands(mongo_uri, db_name, db):
    listener = Commands()
    client = database.connect(mongo_uri, event_listeners=[listener])
    yield client[db_name], listener
    client.close()


@pytest.fixture
async def app(settings, commands):
    return make_app(settings, commands[0])


async def test_a_session_cookie_costs_a_reader_page_nothing(world, client, commands):
    _, listener = commands
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    await world.post(store, owner, "Hello")
    session = await signed_in(client, "alpha", owner)
    assert (await client.get("alpha", "/")).code == 200  # rendered and kept
    listener.seen.clear()
    assert (await client.get("alpha", "/")).code == 200
    anonymous = list(listener.seen)
    listener.seen.clear()
    assert (await session.get("/")).code == 200
    assert listener.seen == anonymous  # no session or user lookup for the signed-in reader


async def test_reader_pages_are_the_same_for_everyone(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner", name="Olive Owner")
    editor = await world.member(store, "editor", name="Eddie Editor")
    await world.post(store, owner, "Hello")
    session = await signed_in(client, "alpha", editor)
    for path in ("/", "/posts/hello", "/feed.xml", "/no-such-page"):
        signed = await session.get(path)  # rendered first for the signed-in person
        anonymous = await Session(client, "alpha").get(path)
        assert signed.code == anonymous.code
        assert signed.body == anonymous.body, path
        assert b"Eddie Editor" not in signed.body and editor["email"].encode() not in signed.body
        assert "Set-Cookie" not in signed.headers


# --- sessions on the server --------------------------------------------------------------


class Device(Session):
    """A visitor whose browser says who it is (the account page shows it)."""

    def __init__(self, client, site: str, user_agent: str) -> None:
        super().__init__(client, site)
        self.user_agent = user_agent

    async def fetch(self, path: str, method: str = "GET", **kwargs):
        kwargs["headers"] = {"User-Agent": self.user_agent, **(kwargs.get("headers") or {})}
        return await super().fetch(path, method, **kwargs)


async def on(client, site: str, user: dict, user_agent: str = FIREFOX_LINUX) -> Device:
    device = Device(client, site, user_agent)
    assert (await device.login(user["email"])).code == 303
    return device


def replay(client, site: str, cookies: dict) -> Session:
    """Someone holding a copy of a cookie (a shared computer, a stolen cookie jar)."""
    thief = Session(client, site)
    thief.cookies = dict(cookies)
    return thief


async def test_sign_out_ends_the_session_for_a_copy_of_the_cookie_too(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    session = await signed_in(client, "alpha", owner)
    copy = dict(session.cookies)
    assert (await replay(client, "alpha", copy).get("/admin/")).code == 200
    assert (await session.post("/logout")).code == 303
    assert (await replay(client, "alpha", copy).get("/admin/")).code == 302  # dead on the server, not only forgotten


async def test_a_session_is_kept_as_a_hash_with_person_site_times_and_device(world, client, db, app):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    device = await on(client, "alpha", owner)
    token = decode_signed_value(app.settings["cookie_secret"], sessions.COOKIE, device.cookies[sessions.COOKIE])
    assert token and len(token) >= 32
    kept = await db.sessions.find_one({})
    assert kept["id_hash"] == hashlib.sha256(token).hexdigest() and token.decode() not in repr(kept)
    assert kept["user_id"] == owner["_id"] and kept["site_id"] == store.site_id
    assert kept["device"] == "Firefox on Linux"
    now = dt.datetime.now(dt.timezone.utc)
    assert now - dt.timedelta(minutes=1) < kept["created_at"] <= kept["last_seen"] <= now
    info = await db.sessions.index_information()
    by_keys = {tuple(k for k, _ in index["key"]): index for index in info.values()}
    assert by_keys[("id_hash",)].get("unique") is True
    assert by_keys[("last_seen",)]["expireAfterSeconds"] == sessions.MAX_AGE_DAYS * 24 * 3600


async def test_last_seen_is_written_only_every_few_minutes(world, client, db):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    device = await on(client, "alpha", owner)
    first = await db.sessions.find_one({})
    for _ in range(3):
        assert (await device.get("/admin/")).code == 200
    assert (await db.sessions.find_one({}))["last_seen"] == first["last_seen"]  # no write per request
    earlier = first["last_seen"] - dt.timedelta(minutes=10)
    await db.sessions.replace_one({"_id": first["_id"]}, {**first, "last_seen": earlier})
    assert (await device.get("/admin/")).code == 200
    assert (await db.sessions.find_one({}))["last_seen"] > first["last_seen"]


async def test_a_session_idle_longer_than_the_cookie_lives_is_over(world, client, db):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    device = await on(client, "alpha", owner)
    kept = await db.sessions.find_one({})
    idle = kept["last_seen"] - dt.timedelta(days=sessions.MAX_AGE_DAYS, minutes=1)
    await db.sessions.replace_one({"_id": kept["_id"]}, {**kept, "last_seen": idle})  # before MongoDB's TTL pass
    assert (await device.get("/admin/")).code == 302


def listed(page: bytes) -> list[tuple[str, str]]:
    """(session id, device) of each row of the account page's session list."""
    return [(m.group(1).decode(), m.group(2).decode())
            for m in re.finditer(rb'<li class="device" id="session-([0-9a-f]{24})">\s*<strong>([^<]+)</strong>', page)]


async def test_the_account_page_lists_this_persons_sessions_here_and_signs_one_out(world, client, db):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    me = await world.member(alpha, "author")
    await beta.members.add(me["_id"], "author")
    colleague = await world.member(alpha, "owner")
    laptop = await on(client, "alpha", me, FIREFOX_LINUX)
    phone = await on(client, "alpha", me, SAFARI_IPHONE)
    await on(client, "beta", me, CHROME_WINDOWS)  # another site: not listed here
    await on(client, "alpha", colleague, CHROME_WINDOWS)  # another person: not listed
    page = await laptop.get("/admin/account")
    assert page.code == 200
    rows = listed(page.body)
    assert sorted(device for _, device in rows) == ["Firefox on Linux", "Safari on iPhone"]
    assert b"this device" in page.body
    phone_id = next(session_id for session_id, device in rows if device == "Safari on iPhone")
    ended = await laptop.post("/admin/sessions/%s/end" % phone_id)
    assert ended.code == 303 and ended.headers["Location"] == "/admin/account?done=session"
    assert (await phone.get("/admin/")).code == 302
    page = await laptop.get("/admin/account?done=session")
    assert [device for _, device in listed(page.body)] == ["Firefox on Linux"] and b"signed out" in page.body
    assert await db.sessions.count_documents({}) == 3


async def test_another_persons_or_sites_session_is_a_404(world, client, db):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    me = await world.member(alpha, "owner")
    await beta.members.add(me["_id"], "owner")
    colleague = await world.member(alpha, "author")
    laptop = await on(client, "alpha", me)
    theirs = await on(client, "alpha", colleague)
    on_beta = await on(client, "beta", me)
    their_id = (await db.sessions.find_one({"user_id": colleague["_id"]}))["_id"]
    beta_id = (await db.sessions.find_one({"site_id": beta.site_id}))["_id"]
    for session_id in (their_id, beta_id, "0123456789abcdef01234567"):
        assert (await laptop.post("/admin/sessions/%s/end" % session_id)).code == 404
    assert (await laptop.post("/admin/sessions/%s/end" % their_id, xsrf=False)).code == 403
    assert (await theirs.get("/admin/")).code == 200 and (await on_beta.get("/admin/")).code == 200
    assert await db.sessions.count_documents({}) == 3


async def test_signing_out_this_device_from_the_list_signs_out(world, client, db):
    alpha = await world.site("alpha")
    me = await world.member(alpha, "owner")
    laptop = await on(client, "alpha", me)
    own_id = listed((await laptop.get("/admin/account")).body)[0][0]
    ended = await laptop.post("/admin/sessions/%s/end" % own_id)
    assert ended.code == 303 and ended.headers["Location"] == "/login"
    assert (await laptop.get("/admin/")).code == 302 and await db.sessions.count_documents({}) == 0


async def test_sign_out_everywhere_and_a_new_password_end_the_other_sessions_on_the_server(world, client, db):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    me = await world.member(alpha, "owner")
    await beta.members.add(me["_id"], "owner")
    laptop = await on(client, "alpha", me)
    phone = await on(client, "alpha", me, SAFARI_IPHONE)
    await on(client, "beta", me)
    new = "a long and fresh passphrase"
    changed = await laptop.post("/admin/account", {"action": "password", "current_password": TEST_PASSWORD,
                                                   "new_password": new, "confirm_password": new})
    assert changed.code == 303 and (await laptop.get("/admin/")).code == 200 and (await phone.get("/admin/")).code == 302
    assert await db.sessions.count_documents({}) == 1  # this one, fresh
    assert [device for _, device in listed((await laptop.get("/admin/account")).body)] == ["Firefox on Linux"]
    assert (await laptop.post("/admin/sessions")).code == 303
    assert (await laptop.get("/admin/")).code == 302 and await db.sessions.count_documents({}) == 0


async def test_every_sign_in_path_starts_a_server_session(world, client, db, mail):
    alpha = await world.site("alpha")
    admin = await world.member(alpha, "admin")
    token, _ = await alpha.invitations.create("newbie@example.com", "author", admin["_id"])
    invitee = Device(client, "alpha", CHROME_WINDOWS)
    await invitee.get("/invitation?token=" + token)
    assert (await invitee.post("/invitation", {"token": token, "password": TEST_PASSWORD})).code == 200
    confirm = link_in(await mail.wait_for("newbie@example.com")).split(":%d" % client.port, 1)[1]
    assert (await invitee.post(confirm, {"password": TEST_PASSWORD})).code == 303  # confirmed: signed in
    kept = await db.sessions.find_one({"device": "Chrome on Windows"})
    assert kept is not None and kept["site_id"] == alpha.site_id
    assert (await invitee.post("/logout")).code == 303
    assert await db.sessions.count_documents({"device": "Chrome on Windows"}) == 0


async def test_signing_in_again_in_the_same_browser_replaces_its_session(world, client, db):
    alpha = await world.site("alpha")
    me = await world.member(alpha, "owner")
    other = await world.member(alpha, "author")
    browser = await on(client, "alpha", me)
    first = dict(browser.cookies)
    assert (await browser.login(other["email"])).code == 303  # someone else at the same computer
    assert await db.sessions.count_documents({}) == 1
    assert (await replay(client, "alpha", first).get("/admin/")).code == 302
    assert b'name="current_password"' in (await browser.get("/admin/account")).body


async def test_sessions_of_an_older_session_version_are_not_listed(world, client, db):
    alpha = await world.site("alpha")
    me = await world.member(alpha, "owner")
    await on(client, "alpha", me, SAFARI_IPHONE)
    new = "another long passphrase"
    await world.users.set_password(me["_id"], new)  # e.g. from the command line: ends every session
    laptop = Device(client, "alpha", FIREFOX_LINUX)
    assert (await laptop.login(me["email"], new)).code == 303
    page = await laptop.get("/admin/account")
    assert [device for _, device in listed(page.body)] == ["Firefox on Linux"]
    assert await db.sessions.count_documents({}) == 2  # the phone's is over, though still stored
