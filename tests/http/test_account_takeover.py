"""Accounts that cannot be taken over (issue 10): an address is confirmed by a link sent there
before its password signs in, and an unconfirmed account is never joined to a Google sign-in
or to an operator's ``user create``. The attack first, as it was found."""

from __future__ import annotations

import re

from cms.store import Users
from cms.store.users import is_confirmed
from tests.admin_session import Session
from tests.cli.test_commands import cms, env  # noqa: F401
from tests.conftest import TEST_PASSWORD
from tests.http.test_google_auth import app, google, google_round_trip  # noqa: F401
from tests.mail_server import link_in, text_of
from tests.platform_session import Platform

ATTACKER_PASSWORD = "mallory chose this one"


async def accept_for_someone_else(client, world, mail, email: str = "new@example.org"):
    """Alpha's admin invites ``email`` and accepts the link himself, choosing a password."""
    alpha = await world.site("alpha", title="Alpha")
    admin = await world.member(alpha, "admin")
    token, _ = await alpha.invitations.create(email, "editor", admin["_id"])
    attacker = Session(client, "alpha")
    await attacker.get("/invitation?token=" + token)
    accepted = await attacker.post("/invitation", {"token": token, "password": ATTACKER_PASSWORD, "name": "Mallory"})
    return alpha, attacker, accepted


def path_of(client, link: str) -> str:
    return link.split(":%d" % client.port, 1)[1]


async def test_accepting_with_a_new_password_only_sends_a_confirmation_link_to_the_address(client, world, db, mail):
    alpha, attacker, accepted = await accept_for_someone_else(client, world, mail)
    assert accepted.code == 200 and b"new@example.org" in accepted.body and b"sent" in accepted.body
    assert "cms_session" not in attacker.cookies and (await attacker.get("/admin/")).code == 302
    # The password does not sign in before the address is confirmed, and says why.
    refused = await Session(client, "alpha").login("new@example.org", ATTACKER_PASSWORD)
    assert refused.code == 401 and b"not confirmed" in refused.body
    message = await mail.wait_for("new@example.org")
    link = link_in(message)
    assert re.fullmatch(r"http://alpha\.localhost:\d+/confirm/[A-Za-z0-9_-]{40,}", link), link
    assert "Alpha" in text_of(message)
    # The owner of the address opens it, but did not choose that password: the link alone
    # confirms nothing: confirming would hand the chooser their address.
    owner = Session(client, "alpha")
    page = await owner.get(path_of(client, link))
    assert page.code == 200 and b'name="password"' in page.body  # a form: mail scanners that fetch links confirm nothing
    for guess in ("", "my own password"):
        wrong = await owner.post(path_of(client, link), {"password": guess})
        assert wrong.code == 400 and b"Forgot password" in wrong.body
    user = await Users(db).by_email("new@example.org")
    assert not is_confirmed(user) and await alpha.members.role_of(user["_id"]) is None
    assert (await Session(client, "alpha").login("new@example.org", ATTACKER_PASSWORD)).code == 401


async def test_a_newcomer_confirms_with_the_link_and_their_password_and_joins(client, world, db, mail):
    alpha = await world.site("alpha", title="Alpha")
    admin = await world.member(alpha, "admin")
    token, _ = await alpha.invitations.create("newcomer@example.org", "editor", admin["_id"])
    newcomer = Session(client, "alpha")
    await newcomer.get("/invitation?token=" + token)
    sent = await newcomer.post("/invitation", {"token": token, "password": TEST_PASSWORD, "name": "New Comer"})
    assert sent.code == 200 and b"Check your e-mail" in sent.body
    link = path_of(client, link_in(await mail.wait_for("newcomer@example.org")))
    await newcomer.get(link)
    done = await newcomer.post(link, {"password": TEST_PASSWORD})
    assert done.code == 303 and done.headers["Location"] == "/admin/"
    assert (await newcomer.get("/admin/")).code == 200
    user = await Users(db).by_email("newcomer@example.org")
    assert is_confirmed(user) and await alpha.members.role_of(user["_id"]) == "editor"
    assert await alpha.invitations.pending() == []  # used up by the join
    again = await Session(client, "alpha").post(link, {"password": TEST_PASSWORD})
    assert again.code == 404 and b"not valid" in again.body  # a link works once
    assert (await Session(client, "alpha").login("newcomer@example.org")).code == 303


async def test_a_confirmation_link_of_one_site_means_nothing_on_another(client, world, db, mail):
    await accept_for_someone_else(client, world, mail)
    await world.site("beta")
    link = path_of(client, link_in(await mail.wait_for("new@example.org")))
    elsewhere = Session(client, "beta")
    assert (await elsewhere.get(link)).code == 404
    assert (await elsewhere.post(link, {"password": ATTACKER_PASSWORD})).code == 404
    assert not is_confirmed(await Users(db).by_email("new@example.org"))


async def test_a_google_sign_in_never_lands_in_the_account_an_inviter_made(client, world, db, mail, google):  # noqa: F811
    alpha, attacker, accepted = await accept_for_someone_else(client, world, mail)
    beta = await world.site("beta", title="Beta")
    beta_owner = await world.member(beta, "owner")
    await beta.invitations.create("new@example.org", "author", beta_owner["_id"])
    google.sign_in_as("new@example.org", sub="sub-real", name="Real Person")
    real = Session(client, "beta")
    back = await google_round_trip(real, google)
    assert back.code == 303
    told = await real.get(back.headers["Location"])
    assert told.code == 200 and b"password" in told.body and b"removed" in told.body  # the person is told
    user = await Users(db).by_email("new@example.org")
    assert "password_hash" not in user and is_confirmed(user) and user["google_sub"] == "sub-real"
    # The inviter's password opens nothing, on either site.
    for site in ("alpha", "beta"):
        assert (await Session(client, site).login("new@example.org", ATTACKER_PASSWORD)).code == 401


async def test_user_create_never_hands_the_inviter_s_account_to_an_operator_s_new_owner(
        client, world, db, mail, env):  # noqa: F811
    await accept_for_someone_else(client, world, mail)
    await world.site("beta")
    code, out, err = await cms(env, "user", "create", "new@example.org", "--site", "beta", "--role", "owner")
    assert code == 0, err
    assert "unconfirmed" in out and "removed" in out  # the operator is told
    password = re.search(r"password: (\S+)", out).group(1)
    assert is_confirmed(await Users(db).by_email("new@example.org"))
    assert (await Session(client, "beta").login("new@example.org", ATTACKER_PASSWORD)).code == 401
    assert (await Session(client, "alpha").login("new@example.org", ATTACKER_PASSWORD)).code == 401
    assert (await Session(client, "beta").login("new@example.org", password)).code == 303


async def test_signing_up_with_google_on_the_platform_drops_the_inviter_s_password(client, world, db, mail, google):  # noqa: F811
    await accept_for_someone_else(client, world, mail)
    google.sign_in_as("new@example.org", sub="sub-real", name="Real Person")
    platform = Platform(client)
    back = await google_round_trip(platform, google, next="/sites")
    assert back.code == 303 and back.headers["Location"] == "/sites?notice=password-removed"
    told = await platform.get(back.headers["Location"])
    assert told.code == 200 and b'id="password-removed"' in told.body
    user = await Users(db).by_email("new@example.org")
    assert "password_hash" not in user and user["name"] == "Real Person"
    assert (await Platform(client).sign_in("new@example.org", ATTACKER_PASSWORD)).code == 401
