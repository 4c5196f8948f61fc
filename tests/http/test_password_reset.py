""""Forgot password?": a reset link by e-mail, single-use, expiring, that ends every other session."""

from __future__ import annotations

import datetime as dt
import hashlib

from cms import accounts
from cms.store import Users
from cms.store.tokens import Tokens
from cms.store.users import is_confirmed
from tests.admin_session import Session
from tests.conftest import TEST_PASSWORD
from tests.mail_server import link_in
from tests.platform_session import Platform

NEW_PASSWORD = "a brand new passphrase"


def path_of(client, link: str) -> str:
    return link.split(":%d" % client.port, 1)[1]


async def ask_for_reset(client, site: str, email: str):
    asking = Session(client, site)
    await asking.get("/reset")
    return await asking.post("/reset", {"email": email})


async def test_the_sign_in_form_offers_a_reset_and_it_answers_the_same_for_any_address(client, world, mail):
    alpha = await world.site("alpha", title="Alpha")
    await world.member(alpha, "author", email="known@example.com")
    page = await Session(client, "alpha").get("/login")
    assert b'href="/reset"' in page.body and b"Forgot password?" in page.body
    known = await ask_for_reset(client, "alpha", "known@example.com")
    unknown = await ask_for_reset(client, "alpha", "nobody@example.com")
    assert known.code == unknown.code == 200
    strip = lambda body: body.split(b'name="_xsrf"')[0]  # noqa: E731 (the XSRF token differs per session)
    assert strip(known.body) == strip(unknown.body) and b"If an account on Alpha has that address" in known.body
    message = await mail.wait_for("known@example.com")
    assert "/reset/" in link_in(message)
    assert mail.to("nobody@example.com") == []


async def test_a_reset_link_sets_a_new_password_once_and_ends_every_other_session(client, world, db, mail):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    person = await world.member(alpha, "author", email="me@example.com")
    await beta.members.add(person["_id"], "editor")
    elsewhere = Session(client, "beta")
    assert (await elsewhere.login("me@example.com")).code == 303  # signed in on another site meanwhile
    await ask_for_reset(client, "alpha", "me@example.com")
    link = path_of(client, link_in(await mail.wait_for("me@example.com")))
    me = Session(client, "alpha")
    form = await me.get(link)
    assert form.code == 200 and b'name="confirm_password"' in form.body
    weak = await me.post(link, {"password": "short", "confirm_password": "short"})
    assert weak.code == 400 and b"too weak" in weak.body  # the link stays good
    differ = await me.post(link, {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD + "!"})
    assert differ.code == 400 and b"differ" in differ.body
    done = await me.post(link, {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.code == 303 and done.headers["Location"] == "/admin/account?done=reset"
    assert b"new password is set" in (await me.get("/admin/account?done=reset")).body
    assert (await elsewhere.get("/admin/")).code == 302  # that other session is over
    assert (await Session(client, "beta").login("me@example.com", TEST_PASSWORD)).code == 401
    assert (await Session(client, "beta").login("me@example.com", NEW_PASSWORD)).code == 303
    again = await Session(client, "alpha").post(link, {"password": TEST_PASSWORD, "confirm_password": TEST_PASSWORD})
    assert again.code == 404 and b"not valid" in again.body  # used once
    assert (await Session(client, "alpha").login("me@example.com", TEST_PASSWORD)).code == 401


async def test_expired_wrong_and_other_sites_links_change_nothing(client, world, db, mail):
    alpha = await world.site("alpha")
    await world.site("beta")
    person = await world.member(alpha, "author", email="me@example.com")
    host = "alpha.localhost:%d" % client.port
    expired = await Tokens(db).issue("reset", person["_id"], host, alpha.site_id, valid=dt.timedelta(seconds=-1))
    form = {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    late = await Session(client, "alpha").post("/reset/" + expired, form)
    assert late.code == 410 and b"expired" in late.body
    wrong = await Session(client, "alpha").post("/reset/" + "x" * 43, form)
    assert wrong.code == 404 and b"not valid" in wrong.body
    good = await Tokens(db).issue("reset", person["_id"], host, alpha.site_id)
    assert (await Session(client, "beta").post("/reset/" + good, form)).code == 404  # alpha's link, on beta
    confirm = await Tokens(db).issue("confirm", person["_id"], host, alpha.site_id)
    assert (await Session(client, "alpha").post("/reset/" + confirm, form)).code == 404  # a link of another kind
    assert (await Session(client, "alpha").login("me@example.com", TEST_PASSWORD)).code == 303  # unchanged


async def test_reset_links_go_only_to_people_of_this_site_and_asking_is_throttled(client, world, db, mail):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    await world.member(beta, "owner", email="beta-owner@example.com")
    assert (await ask_for_reset(client, "alpha", "beta-owner@example.com")).code == 200
    bad = await ask_for_reset(client, "alpha", "not an address")
    assert bad.code == 400 and b"not an e-mail address" in bad.body
    await world.member(alpha, "author", email="me@example.com")
    for _ in range(4):
        assert (await ask_for_reset(client, "alpha", "me@example.com")).code == 200
    throttled = await ask_for_reset(client, "beta", "me@example.com")  # the fifth, on any site
    assert throttled.code == 200
    assert (await ask_for_reset(client, "alpha", "me@example.com")).code == 429
    await mail.wait_for("me@example.com", count=4)
    assert mail.to("beta-owner@example.com") == []  # not a person of alpha: nothing sent from there


async def test_a_reset_confirms_an_unconfirmed_account_and_its_password_is_the_resetters(client, world, db, mail):
    alpha = await world.site("alpha")
    admin = await world.member(alpha, "admin")
    token, _ = await alpha.invitations.create("new@example.org", "author", admin["_id"])
    someone = Session(client, "alpha")
    await someone.get("/invitation?token=" + token)
    await someone.post("/invitation", {"token": token, "password": "someone else's password"})
    await mail.wait_for("new@example.org")  # the confirmation link, which the owner cannot use
    await ask_for_reset(client, "alpha", "new@example.org")
    link = path_of(client, link_in(await mail.wait_for("new@example.org", count=2)))
    owner = Session(client, "alpha")
    done = await owner.post(link, {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.code == 303  # signed in: the open invitation made them an author
    user = await Users(db).by_email("new@example.org")
    assert is_confirmed(user) and await alpha.members.role_of(user["_id"]) == "author"
    assert (await Session(client, "alpha").login("new@example.org", "someone else's password")).code == 401


async def test_the_platform_sign_in_offers_a_reset_that_signs_in_on_the_platform(client, world, db, mail):
    alpha = await world.site("alpha")
    await world.member(alpha, "owner", email="me@example.com")
    assert b'href="/reset"' in (await Platform(client).get("/signin")).body
    asking = Platform(client)
    await asking.get("/reset")
    for email in ("me@example.com", "nobody@example.com"):
        answer = await asking.post("/reset", {"email": email})
        assert answer.code == 200 and b"we sent it a link" in answer.body
    link = link_in(await mail.wait_for("me@example.com"))
    assert link.startswith("http://localhost:%d/reset/" % client.port)
    me = Platform(client)
    done = await me.post(path_of(client, link), {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.code == 303 and done.headers["Location"] == "/sites"
    assert (await me.get("/sites")).code == 200
    assert (await Platform(client).sign_in("me@example.com", NEW_PASSWORD)).code == 303
    assert (await Session(client, "alpha").post(path_of(client, link), {})).code == 404  # the platform's link, on a site
    assert mail.to("nobody@example.com") == []


async def test_sign_up_by_e_mail_confirms_on_the_platform_through_start_confirmation(client, app, db, mail):
    """The API the platform's sign-up calls: an unconfirmed account, a link to its address."""
    user = await Users(db).create("signup@example.org", TEST_PASSWORD, email_confirmed=False)
    await accounts.start_confirmation(db, app.mail, user, "http://localhost:%d" % client.port)
    link = link_in(await mail.wait_for("signup@example.org"))
    assert link.startswith("http://localhost:%d/confirm/" % client.port)
    assert (await Platform(client).sign_in("signup@example.org")).code == 401  # not before confirming
    person = Platform(client)
    assert (await person.get(path_of(client, link))).code == 200
    done = await person.post(path_of(client, link), {"password": TEST_PASSWORD})
    assert done.code == 303 and done.headers["Location"] == "/sites"
    assert is_confirmed(await Users(db).by_email("signup@example.org"))
    assert (await Platform(client).sign_in("signup@example.org")).code == 303


async def test_links_are_kept_hashed_and_expire_from_the_database(client, world, db, mail):
    alpha = await world.site("alpha")
    await world.member(alpha, "author", email="me@example.com")
    await ask_for_reset(client, "alpha", "me@example.com")
    token = link_in(await mail.wait_for("me@example.com")).rsplit("/", 1)[1]
    [stored] = [doc async for doc in db.tokens.find({})]
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest() and token not in repr(stored)
    assert stored["purpose"] == "reset" and stored["site_id"] == alpha.site_id
    assert dt.timedelta(minutes=59) < stored["expires_at"] - stored["created_at"] <= dt.timedelta(hours=1)
    indexes = {tuple(k for k, _ in index["key"]): index for index in (await db.tokens.index_information()).values()}
    assert indexes[("token_hash",)]["unique"] and "expireAfterSeconds" in indexes[("expires_at",)]
