"""Accounts whose address is proven: confirmation and reset links sent by e-mail.

An account made with a password (accepting an invitation; signing up on the
platform) is *unconfirmed* until its owner opens the link sent to its
address; until then the password signs in nowhere. That closes a takeover:
an inviter who accepts their own invitation for someone else's address gets
an account they can never use, and when the real owner of the address
arrives (with Google, or through an operator's ``user create``) the
unconfirmed account's password is dropped (`claim`) and the person is told.

What other handlers call:

* ``await start_confirmation(db, mail, user, origin, site=site)``: send the
  confirmation link (``<origin>/confirm/<token>``, good for 24 hours, once);
* ``await confirm(db, token, host, password)``: use it up, given the password
  chosen with the account (the link alone is not enough: the person who
  reads the mail may not be the one who chose the password, and confirming
  would hand them the chooser's account); the confirmed user;
* ``await start_reset(db, mail, email, origin, site=site)``: send a reset link
  (``<origin>/reset/<token>``, one hour, once) if the address has an account
  there; nothing otherwise, and the caller answers the same either way;
* ``await reset(db, token, host, password)``: set the new password, confirm
  the address (the link proves it), end every session of the person;
* ``await claim(db, user)``: the owner of an unconfirmed account's address
  has shown up: drop its password and end its sessions.

Links work on the host they were asked for (``origin``'s host): a site's
link means nothing on another site.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from cms.store import Invitations, Members, PersonSessions, Users
from cms.store.errors import Duplicate, StoreError, WrongPassword
from cms.store.tokens import PURPOSES, Tokens, is_open
from cms.store.users import check_password, validate_password

log = logging.getLogger(__name__)

LINK_UNKNOWN = "This link is not valid. It may have been used already, or belong to another address."
LINK_EXPIRED = "This link has expired. Ask for a new one."


class LinkProblem(StoreError):
    """A confirmation or reset link that cannot be used: ``status`` 404 (unknown) or 410 (expired)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _host(origin: str) -> str:
    return urlsplit(origin).netloc.lower()


def _where(site: dict | None) -> str:
    return site["title"] if site else "the platform"


async def start_confirmation(db: Any, mail: Any, user: dict, origin: str, site: dict | None = None,
                             why: str = "") -> None:
    """E-mail ``user`` a link that confirms their address (``why``: a line saying what it finishes)."""
    token = await Tokens(db).issue("confirm", user["_id"], _host(origin), site["_id"] if site else None)
    hours = int(PURPOSES["confirm"].total_seconds() // 3600)
    text = (
        "Hello,\n\n"
        "%s"
        "To confirm that this address is yours, open this link and type the password you chose "
        "(it works once, for %d hours):\n\n"
        "%s/confirm/%s\n\n"
        "If you did not choose a password there, someone else used your address: ignore this e-mail "
        "(without the confirmation that password signs in nowhere), or set a password of your own "
        "with \"Forgot password?\" at %s/reset, which removes theirs.\n"
        % (why + "\n\n" if why else "", hours, origin, token, origin))
    await mail.send(user["email"], "Confirm your e-mail address for %s" % _where(site), text,
                    kind="confirm", site_id=site["_id"] if site else None)
    log.info("sent a confirmation link to %s for %s", user["_id"], _where(site))


async def _use(db: Any, purpose: str, token: str, host: str) -> dict:
    tokens = Tokens(db)
    used = await tokens.use(purpose, token, host)
    if used is None:
        found = await tokens.find(purpose, token, host)
        if found is not None and not is_open(found):
            raise LinkProblem(410, LINK_EXPIRED)
        raise LinkProblem(404, LINK_UNKNOWN)
    return used


async def check(db: Any, purpose: str, token: str, host: str) -> dict:
    """The token if it can be used now (nothing is used up); `LinkProblem` otherwise."""
    found = await Tokens(db).find(purpose, token, host)
    if found is None:
        raise LinkProblem(404, LINK_UNKNOWN)
    if not is_open(found):
        raise LinkProblem(410, LINK_EXPIRED)
    return found


async def confirm(db: Any, token: str, host: str, password: str) -> dict:
    """Use a confirmation link, given the account's password: the user, now confirmed.

    A wrong password raises `WrongPassword` and leaves the link as it was.
    """
    found = await check(db, "confirm", token, host)
    users = Users(db)
    user = await users.by_id(found["user_id"])
    if user is None:
        raise LinkProblem(404, LINK_UNKNOWN)
    hashed = user.get("password_hash")
    if hashed and not await check_password(password or "", hashed):
        raise WrongPassword("that is not the password chosen for this account")
    await _use(db, "confirm", token, host)
    await users.confirm_email(user["_id"])
    log.info("%s confirmed their e-mail address", user["_id"])
    return user


async def start_reset(db: Any, mail: Any, email: str, origin: str, site: dict | None = None) -> bool:
    """E-mail a reset link to the account of ``email`` if it has one here (a member of ``site``).

    Whether one was sent is for the log and the tests, never for the person asking.
    """
    users = Users(db)
    user = await users.by_email(email)
    if user is None:
        return False
    if site is not None and not await _belongs(db, site, user):
        return False
    token = await Tokens(db).issue("reset", user["_id"], _host(origin), site["_id"] if site else None)
    minutes = int(PURPOSES["reset"].total_seconds() // 60)
    text = (
        "Hello,\n\n"
        "Someone (we hope you) asked to set a new password for your account on %s.\n"
        "Open this link to choose one (it works once, for %d minutes):\n\n"
        "%s/reset/%s\n\n"
        "Setting a new password signs you out everywhere else. If you did not ask for this, ignore this "
        "e-mail: your password stays as it is.\n" % (_where(site), minutes, origin, token))
    await mail.send(user["email"], "Reset your password for %s" % _where(site), text, kind="reset",
                    site_id=site["_id"] if site else None)
    log.info("sent a password reset link to %s for %s", user["_id"], _where(site))
    return True


async def _belongs(db: Any, site: dict, user: dict) -> bool:
    """A member of the site, or invited to it (an unconfirmed account joins once it is confirmed)."""
    if await Members(db, site["_id"]).role_of(user["_id"]) is not None:
        return True
    return await Invitations(db, site["_id"]).open_for(user["email"]) is not None


async def join_if_invited(db: Any, site: dict, user: dict) -> str | None:
    """The person's role on the site once an open invitation for their (confirmed) address is used."""
    members = Members(db, site["_id"])
    role = await members.role_of(user["_id"])
    if role is not None:
        return role
    invitations = Invitations(db, site["_id"])
    invitation = await invitations.open_for(user["email"])
    if invitation is None or await invitations.accept_by_id(invitation["_id"]) is None:
        return None
    try:
        await members.add(user["_id"], invitation["role"])
    except Duplicate:  # joined a moment ago
        pass
    log.info("%s joined %s as %s by invitation", user["_id"], site["name"], invitation["role"])
    return await members.role_of(user["_id"])


async def reset(db: Any, token: str, host: str, password: str) -> dict:
    """Use a reset link to set ``password``: the updated user. A weak password is refused first
    (`Invalid`, the link stays good); every session of the person ends."""
    validate_password(password)
    used = await _use(db, "reset", token, host)
    users = Users(db)
    await users.confirm_email(used["user_id"])  # the link reached the address: it is theirs
    await users.set_password(used["user_id"], password)  # moves session_version on
    await PersonSessions(db, used["user_id"]).end_all()
    await Tokens(db).revoke("reset", used["user_id"])  # older links of the person stop working too
    user = await users.by_id(used["user_id"])
    if user is None:
        raise LinkProblem(404, LINK_UNKNOWN)
    log.info("%s set a new password with a reset link", user["_id"])
    return user


async def claim(db: Any, user: dict, name: str | None = None) -> bool:
    """The owner of an unconfirmed account's address has shown up (Google, an operator).

    Drops the password someone set without confirming the address, ends the
    account's sessions and marks it confirmed; True if there was one to drop.
    """
    dropped = await Users(db).claim_unconfirmed(user["_id"], name=name)
    if dropped:
        await PersonSessions(db, user["_id"]).end_all()
        await Tokens(db).revoke("confirm", user["_id"])
        log.warning("%s: a password set without confirming the address was removed", user["_id"])
    return dropped
