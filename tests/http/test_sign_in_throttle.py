"""Password guessing is limited: per e-mail, per client address and per account, on each site."""

from __future__ import annotations

import re

from tests.admin_session import Session, signed_in
from tests.conftest import TEST_PASSWORD

TOO_MANY = b"Too many failed attempts"


async def fail(client, site: str, email: str, times: int) -> None:
    session = Session(client, site)
    for _ in range(times):
        response = await session.login(email, "not the password")
        assert response.code == 401


async def test_ten_wrong_passwords_lock_that_email_out_for_a_while(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    other = await world.member(store, "editor")
    await fail(client, "alpha", owner["email"], 10)
    locked = await Session(client, "alpha").login(owner["email"], TEST_PASSWORD)  # even the right one
    assert locked.code == 429 and TOO_MANY in locked.body
    assert (await Session(client, "alpha").login(other["email"])).code == 303  # others are not punished
    assert (await Session(client, "alpha").login(owner["email"].upper())).code == 429  # nor is case a way round


async def test_an_unknown_email_is_locked_out_the_same_way(world, client):
    await world.site("alpha")
    await fail(client, "alpha", "nobody@example.com", 10)
    response = await Session(client, "alpha").login("nobody@example.com")
    assert response.code == 429 and TOO_MANY in response.body


async def test_the_lock_is_per_site(world, client):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    person = await world.member(alpha, "owner")
    await beta.members.add(person["_id"], "author")
    await fail(client, "alpha", person["email"], 10)
    assert (await Session(client, "alpha").login(person["email"])).code == 429
    assert (await Session(client, "beta").login(person["email"])).code == 303


async def test_a_success_forgets_the_earlier_failures(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    await fail(client, "alpha", owner["email"], 9)
    assert (await Session(client, "alpha").login(owner["email"])).code == 303
    await fail(client, "alpha", owner["email"], 9)
    assert (await Session(client, "alpha").login(owner["email"])).code == 303


async def test_one_address_trying_many_emails_is_stopped_too(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    for n in range(50):
        await fail(client, "alpha", "guess%d@example.com" % n, 1)
    response = await Session(client, "alpha").login(owner["email"])
    assert response.code == 429


async def test_guessing_the_current_password_on_the_account_page_is_limited(world, client, db):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    session = await signed_in(client, "alpha", owner)
    new = {"action": "password", "new_password": "a brand new passphrase", "confirm_password": "a brand new passphrase"}
    for _ in range(10):
        response = await session.post("/admin/account", {**new, "current_password": "a guess"})
        assert response.code == 400 and b"current password is not right" in response.body.lower()
    before = (await db.users.find_one({"_id": owner["_id"]}))["password_hash"]
    response = await session.post("/admin/account", {**new, "current_password": TEST_PASSWORD})
    assert response.code == 400 and b"too many wrong passwords" in response.body.lower()
    assert (await db.users.find_one({"_id": owner["_id"]}))["password_hash"] == before


# --- the invitation page: an inviter must not get a password oracle --------------------


def neutral(body: bytes, *private: str) -> bytes:
    """A page without what differs by design: the invitee's e-mail, the token, the XSRF token."""
    body = re.sub(rb'name="_xsrf" value="[^"]+"', b"", body)
    for text in private:
        body = body.replace(text.encode(), b"")
    return body


async def test_an_admin_cannot_guess_another_sites_owner_password_through_an_invitation(world, client, db):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    attacker = await world.member(alpha, "admin")
    victim = await world.member(beta, "owner")
    token, _ = await alpha.invitations.create(victim["email"], "author", attacker["_id"])
    guesser = Session(client, "alpha")
    await guesser.get("/invitation?token=" + token)
    for n in range(10):
        response = await guesser.post("/invitation", {"token": token, "password": "guess number %d!" % n})
        # Not "not the password of ...": a wrong password reads as a new account's (an e-mail sent).
        assert response.code == 200 and b"Check your e-mail" in response.body, response.code
        assert "cms_session" not in guesser.cookies
    locked = await guesser.post("/invitation", {"token": token, "password": TEST_PASSWORD})  # even the right one
    assert locked.code == 429 and TOO_MANY in locked.body
    assert await alpha.members.role_of(victim["_id"]) is None and "cms_session" not in guesser.cookies
    # The guesses count with the sign-in form's: that is locked for this e-mail on alpha too, not on beta.
    assert (await Session(client, "alpha").login(victim["email"])).code == 429
    assert (await Session(client, "beta").login(victim["email"])).code == 303


async def test_the_invitation_page_reads_the_same_whether_or_not_the_email_has_an_account(world, client):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    admin = await world.member(alpha, "admin")
    await world.member(beta, "owner", email="known@example.com")
    known, _ = await alpha.invitations.create("known@example.com", "author", admin["_id"])
    unknown, _ = await alpha.invitations.create("unknown@example.com", "author", admin["_id"])
    pages = []
    for email, token in (("known@example.com", known), ("unknown@example.com", unknown)):
        page = await Session(client, "alpha").get("/invitation?token=" + token)
        assert page.code == 200
        pages.append(neutral(page.body, email, token))
    assert pages[0] == pages[1]
    assert b"already have an account" in pages[0]  # the page explains both cases to everyone
    # A refused password (wrong for an account, too weak for a new one) gets one answer, and no name is asked for.
    for password in ("short", "", "guess number one"):
        answers = []
        for email, token in (("known@example.com", known), ("unknown@example.com", unknown)):
            session = Session(client, "alpha")
            await session.get("/invitation?token=" + token)
            response = await session.post("/invitation", {"token": token, "password": password})
            answers.append((response.code, neutral(response.body, email, token)))
        # A strong password too (issue 9's residual): a wrong one for the account reads as a new
        # account's, an e-mail sent to the address either way.
        assert answers[0] == answers[1] and answers[0][0] == (200 if password == "guess number one" else 400), password


async def test_more_sites_do_not_buy_an_inviter_more_guesses(world, client):
    beta = await world.site("beta")
    victim = await world.member(beta, "owner")
    tokens = []
    for name in ("alpha", "gamma"):  # the attacker runs two sites and invites the victim to both
        store = await world.site(name)
        attacker = await world.member(store, "owner")
        tokens.append((name, (await store.invitations.create(victim["email"], "author", attacker["_id"]))[0]))
    (first, token), (second, other_token) = tokens
    guesser = Session(client, first)
    for n in range(10):
        assert (await guesser.post("/invitation", {"token": token, "password": "guess number %d!" % n})).code == 200
    elsewhere = Session(client, second)
    locked = await elsewhere.post("/invitation", {"token": other_token, "password": TEST_PASSWORD})
    assert locked.code == 429 and TOO_MANY in locked.body
    assert (await Session(client, "beta").login(victim["email"])).code == 303  # the victim's own sign-in is not locked
