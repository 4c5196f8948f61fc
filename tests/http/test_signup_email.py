"""Signing up on the platform with an e-mail address: the account works once the link
sent to that address is opened (with the password chosen), read from a real SMTP
server (tests/mail_server.py); "Forgot password?" on the platform's sign-in."""

from __future__ import annotations

import pytest
from tornado.escape import xhtml_escape

from cms.handlers.accounts import CONFIRM_WRONG
from cms.handlers.auth import NOT_CONFIRMED
from cms.handlers.signup import BAD_CODE, CLOSED, EMAIL_TAKEN, HONEYPOT, NEED_CODE, TOO_MANY_SIGNUPS
from cms.store import Users
from cms.store.signup import SignupCodes
from cms.store.users import is_confirmed
from tests.conftest import TEST_PASSWORD
from tests.mail_server import link_in
from tests.platform_session import Platform, follow_to_site

PASSWORD = "a long enough passphrase"


def said(response, message: str) -> bool:
    return xhtml_escape(message).encode() in response.body


def path_of(client, link: str) -> str:
    assert link.startswith("http://localhost:%d/" % client.port), link  # the platform's own host
    return link.split(":%d" % client.port, 1)[1]


async def sign_up(client, email: str, password: str = PASSWORD, **extra: str):
    visitor = Platform(client)
    page = await visitor.get("/signup")
    assert page.code == 200 and b'name="website"' in page.body
    return visitor, await visitor.post("/signup", {"email": email, "password": password, "name": "Mary Shelley",
                                                   "website": "", **extra})


async def counts(db) -> tuple[int, int, int]:
    return (await db.users.count_documents({}), await db.outbox.count_documents({}),
            await db.sites.count_documents({}))


async def test_sign_up_by_e_mail_confirm_and_start_a_site(client, db, mail):
    visitor, answer = await sign_up(client, "mary@example.com")
    assert answer.code == 200 and b"Check your inbox" in answer.body and b"mary@example.com" in answer.body
    user = await Users(db).by_email("mary@example.com")
    assert user["name"] == "Mary Shelley" and not is_confirmed(user)
    # Unusable until confirmed: the password signs in nowhere, and says why.
    refused = await visitor.sign_in("mary@example.com", PASSWORD)
    assert refused.code == 401 and said(refused, NOT_CONFIRMED)

    link = path_of(client, link_in(await mail.wait_for("mary@example.com")))
    page = await visitor.get(link)
    assert page.code == 200 and b'name="password"' in page.body  # a GET uses nothing up (mail scanners)
    wrong = await visitor.post(link, {"password": "not the one chosen"})
    assert wrong.code == 400 and said(wrong, CONFIRM_WRONG)
    done = await visitor.post(link, {"password": PASSWORD})
    assert done.code == 303 and done.headers["Location"] == "/sites"
    assert b'href="/new"' in (await visitor.get("/sites")).body
    assert is_confirmed(await Users(db).by_email("mary@example.com"))
    again = await visitor.get(link)
    assert again.code == 404  # once

    made = await visitor.post("/new", {"name": "frankenstein", "title": "Modern Prometheus"})
    site, _ = await follow_to_site(client, made, platform=visitor)
    assert b"Modern Prometheus" in (await site.get("/admin/")).body


@pytest.mark.parametrize("email, password, website, message", [
    ("not an address", PASSWORD, "", "Invalid e-mail address"),
    ("ok@example.com", "short", "", "The password is too weak"),
    ("ok@example.com", "password123", "", "too common"),
    ("ok@example.com", PASSWORD, "http://spam.example", HONEYPOT),  # the field people do not see
])
async def test_bad_sign_ups_get_a_clear_message_and_change_nothing(client, db, mail, email, password, website,
                                                                   message):
    before = await counts(db)
    _, refused = await sign_up(client, email, password, website=website)
    assert refused.code == 400 and said(refused, message) and b'role="alert"' in refused.body
    assert await counts(db) == before


async def test_a_used_address_is_told_to_sign_in_and_nothing_changes(client, db, world, mail):
    await world.users.create("taken@example.com", TEST_PASSWORD)
    before = await counts(db)
    _, refused = await sign_up(client, "Taken@Example.com")
    assert refused.code == 409 and said(refused, EMAIL_TAKEN)
    assert await counts(db) == before


async def test_sign_ups_are_throttled_per_address(client, db, mail):
    answers = [(await sign_up(client, "again@example.com"))[1].code for _ in range(3)]
    assert answers == [200, 409, 409]  # every attempt counts: each could send an e-mail
    _, refused = await sign_up(client, "again@example.com")
    assert refused.code == 429 and said(refused, TOO_MANY_SIGNUPS)
    assert await db.users.count_documents({"email": "again@example.com"}) == 1


async def test_closed_sign_up_makes_no_account(client, db, settings, mail):
    settings.signup = "closed"
    visitor = Platform(client)
    page = await visitor.get("/signup")
    assert page.code == 403 and said(page, CLOSED) and b'name="password"' not in page.body
    refused = await visitor.post("/signup", {"email": "x@example.com", "password": PASSWORD})
    assert refused.code == 403
    assert await counts(db) == (0, 0, 0)


async def test_forgot_password_on_the_platform_resets_and_signs_in(client, db, world, mail):
    person = await world.users.create("ada@example.com", TEST_PASSWORD)
    visitor = Platform(client)
    signin = await visitor.get("/signin")
    assert b'href="/reset"' in signin.body and b"Forgot password?" in signin.body
    await visitor.get("/reset")
    asked = await visitor.post("/reset", {"email": "ada@example.com"})
    unknown = await visitor.post("/reset", {"email": "nobody@example.com"})
    assert asked.code == unknown.code == 200 and b"If an account on localhost has that address" in unknown.body
    link = path_of(client, link_in(await mail.wait_for("ada@example.com")))
    weak = await visitor.post(link, {"password": "short", "confirm_password": "short"})
    assert weak.code == 400 and b"too weak" in weak.body
    done = await visitor.post(link, {"password": PASSWORD, "confirm_password": PASSWORD})
    assert done.code == 303 and done.headers["Location"] == "/sites"
    assert (await visitor.get("/sites")).code == 200
    assert (await visitor.post(link, {"password": PASSWORD, "confirm_password": PASSWORD})).code == 404
    assert await Users(db).authenticate("ada@example.com", PASSWORD) is not None
    assert mail.to("nobody@example.com") == [] and person


async def test_the_confirmation_mail_tells_someone_who_did_not_sign_up_what_to_do(client, mail):
    _, answer = await sign_up(client, "victim@example.com")
    assert answer.code == 200
    text = (await mail.wait_for("victim@example.com")).get_content()
    assert "someone else used your address" in text and "/reset" in text


async def test_invite_only_asks_the_code_at_account_sign_up_too(client, db, settings, mail):
    """With CMS_SIGNUP=invite a stranger makes no account: the code is asked here, and
    kept for the site it is for (it is used up when that site is created)."""
    settings.signup = "invite"
    code = await SignupCodes(db).create()
    assert b'name="code"' in (await Platform(client).get("/signup")).body
    _, without = await sign_up(client, "stranger@example.com")
    assert without.code == 403 and said(without, NEED_CODE)
    _, wrong = await sign_up(client, "stranger@example.com", code="not-a-code")
    assert wrong.code == 403 and said(wrong, BAD_CODE)
    assert await counts(db) == (0, 0, 0)
    _, made = await sign_up(client, "invited@example.com", code=code)
    assert made.code == 200 and b"Check your inbox" in made.body
    assert await db.users.count_documents({}) == 1 and await SignupCodes(db).is_open(code)
