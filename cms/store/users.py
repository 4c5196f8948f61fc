"""People: one account across the platform, found by e-mail or username.

``email_confirmed`` says whether the person proved the address is theirs
(`cms.accounts`): accounts made by operators (``user create``) or from a
Google account's verified address are; an account made with a password
through a link (an invitation, a sign-up) is not until its confirmation
link is opened, and until then its password signs in nowhere.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import secrets
from typing import Any

import bcrypt
import pymongo

from cms.store.changes import Changes
from cms.store.errors import Duplicate, Invalid, NotFound, WrongPassword
from cms.store.ids import new_id
from cms.store.scoped import find_one_and_modify
from cms.store.sessions import PersonSessions
from cms.text.slugs import slugify

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$|^[^@\s]+@localhost$")
USERNAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,28}[a-z0-9])?$")
MIN_PASSWORD = 10
MAX_PASSWORD_BYTES = 72  # bcrypt reads no more (bcrypt 5 refuses more rather than cutting)
MAX_NAME = 100
MAX_BIO = 500
BCRYPT_COST = 12
# A few of the passwords that every cracking list starts with.
COMMON_PASSWORDS = frozenset(
    {"password", "password1", "password123", "1234567890", "123456789", "qwertyuiop", "iloveyou", "letmein123",
     "qwerty1234", "1q2w3e4r5t", "administrator", "passw0rd123", "welcome123", "0123456789"}
)


def validate_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid("the password is too weak: use at least %d characters" % MIN_PASSWORD)
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise Invalid("the password is too long: at most %d bytes (%d letters without accents)"
                      % (MAX_PASSWORD_BYTES, MAX_PASSWORD_BYTES))
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        raise Invalid("the password is too weak: it is too common or too repetitive")
    return password


def generate_password() -> str:
    return secrets.token_urlsafe(15)


async def hash_password(password: str) -> str:
    """bcrypt, off the event loop: a cost-12 hash takes a few hundred ms."""
    loop = asyncio.get_running_loop()
    hashed = await loop.run_in_executor(
        None, bcrypt.hashpw, password.encode("utf-8"), bcrypt.gensalt(BCRYPT_COST)
    )
    return hashed.decode("ascii")


async def check_password(password: str, hashed: str) -> bool:
    """Whether ``password`` is the one ``hashed`` was made of. One longer than any
    stored password may be (`validate_password`) is wrong, after the same work."""
    loop = asyncio.get_running_loop()
    encoded = password.encode("utf-8")
    ok = await loop.run_in_executor(None, bcrypt.checkpw, encoded[:MAX_PASSWORD_BYTES], hashed.encode("ascii"))
    return ok and len(encoded) <= MAX_PASSWORD_BYTES


_dummy_hashes: dict[int, str] = {}


async def dummy_hash() -> str:
    """A hash of nothing anyone knows, at the current cost, made once.

    Checking a password against it for an unknown e-mail makes a failed sign-in
    take as long as a wrong password for a real account.
    """
    if BCRYPT_COST not in _dummy_hashes:
        _dummy_hashes[BCRYPT_COST] = await hash_password(secrets.token_urlsafe(16))
    return _dummy_hashes[BCRYPT_COST]


def is_confirmed(user: dict) -> bool:
    """Whether the person proved the address is theirs (accounts from before confirmations were).

    Read as a truth value: nx-27017 stores a boolean written by ``$set`` as 1 or 0
    (tests/http/test_embedded_database.py), where MongoDB keeps true and false.
    """
    return bool(user.get("email_confirmed", True))


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise Invalid("invalid e-mail address %r" % email)
    return email



def username_refused(username: str) -> str:
    """Why ``username`` is not one, with the ASCII one it could be: usernames are
    addresses (``/authors/<username>``) and follow the slug rule (cms/text/slugs.py)."""
    message = "invalid username %r: use lowercase letters, digits and inner hyphens" % username
    suggestion = slugify(username, 30)
    if suggestion and USERNAME_RE.match(suggestion):
        message += " (for example %r)" % suggestion
    return message

class Users:
    """Platform-wide accounts. What a person may do on a site is in `Members`."""

    def __init__(self, db) -> None:
        self._collection = db.users

    async def create(
        self, email: str, password: str, name: str | None = None, username: str | None = None, bio: str = "",
        email_confirmed: bool = True,
    ) -> dict:
        """A new account with a password. ``email_confirmed=False`` for one made through a link
        (invitation, sign-up): it signs in only once `cms.accounts.confirm` has run."""
        email = normalize_email(email)
        validate_password(password)
        username = (username or "").strip().lower() or await self._free_username(email.split("@")[0])
        if not USERNAME_RE.match(username):
            raise Invalid(username_refused(username))
        if await self._collection.find_one({"email": email}):
            raise Duplicate("a user with the e-mail %s already exists" % email)
        if await self._collection.find_one({"username": username}):
            raise Duplicate("the username %r is taken" % username)
        return await self._insert(
            email, username, name or username, bio, "a user with that e-mail or username already exists",
            password_hash=await hash_password(password), email_confirmed=email_confirmed,
        )

    async def create_external(self, email: str, name: str, google_sub: str) -> dict:
        """An account that signs in with Google only (no password until one is set)."""
        email = normalize_email(email)
        return await self._insert(
            email, await self._free_username(email.split("@")[0]), " ".join((name or "").split()) or email.split("@")[0],
            "", "a user with that e-mail already exists", google_sub=google_sub, email_confirmed=True,
        )

    async def _insert(self, email: str, username: str, name: str, bio: str, taken: str, **sign_in: Any) -> dict:
        """Store a new account; ``sign_in`` is how it signs in (a password hash, a Google subject)."""
        user = {
            "_id": new_id(),
            "email": email,
            "username": username,
            "name": name.strip()[:MAX_NAME],
            "bio": bio.strip()[:MAX_BIO],
            **sign_in,
            "session_version": 1,
            "created_at": dt.datetime.now(dt.timezone.utc),
        }
        try:
            await self._collection.insert_one(user)
        except pymongo.errors.DuplicateKeyError:
            raise Duplicate(taken) from None
        return user

    async def by_google_sub(self, sub: str) -> dict | None:
        if not isinstance(sub, str) or not sub:
            return None
        return await self._collection.find_one({"google_sub": sub})

    async def link_google(self, user_id: Any, sub: str) -> None:
        """Remember the Google subject at the first Google sign-in; later ones match by it."""
        await self._collection.update_one({"_id": user_id, "google_sub": {"$exists": False}},
                                          {"$set": {"google_sub": sub}})

    async def _free_username(self, base: str) -> str:
        base = slugify(base, 24) or "user"
        candidate, n = base, 1
        while await self._collection.find_one({"username": candidate}):
            n += 1
            candidate = "%s-%d" % (base, n)
        return candidate

    async def by_email(self, email: str) -> dict | None:
        return await self._collection.find_one({"email": (email or "").strip().lower()})

    async def by_id(self, user_id: Any) -> dict | None:
        return await self._collection.find_one({"_id": user_id})

    async def by_ids(self, user_ids: list[Any]) -> dict[Any, dict]:
        cursor = self._collection.find({"_id": {"$in": list(set(user_ids))}})
        return {user["_id"]: user async for user in cursor}

    async def by_username(self, username: str) -> dict | None:
        return await self._collection.find_one({"username": username})

    async def authenticate(self, email: str, password: str, unconfirmed: bool = False) -> dict | None:
        """The user with that e-mail and password, or None; the same work either way.

        An account whose address is not confirmed is None too, unless ``unconfirmed``
        (the sign-in form then says why instead of "wrong password").
        """
        user = await self.by_email(email)
        hashed = user.get("password_hash") if user else None
        ok = await check_password(password or "", hashed or await dummy_hash())
        if not (ok and hashed):
            return None
        return user if unconfirmed or is_confirmed(user) else None

    async def confirm_email(self, user_id: Any) -> None:
        await self._collection.update_one({"_id": user_id}, {"$set": {"email_confirmed": True}})

    async def claim_unconfirmed(self, user_id: Any, name: str | None = None) -> bool:
        """Drop the password of an unconfirmed account and confirm it (its address's owner is here).

        One atomic update, so only one caller sees True; every session ends (``session_version``).
        """
        change: dict[str, Any] = {"$unset": {"password_hash": ""}, "$set": {"email_confirmed": True},
                                  "$inc": {"session_version": 1}}
        name = " ".join((name or "").split())[:MAX_NAME]
        if name:
            change["$set"]["name"] = name  # not the name the other person typed
        result = await self._collection.update_one({"_id": user_id, "email_confirmed": False}, change)
        return result.modified_count == 1

    async def bump_session_version(self, user_id: Any) -> int:
        """Sign the person out everywhere: every cookie with the old version stops working."""
        user = await self._collection.find_one_and_update(
            {"_id": user_id}, {"$inc": {"session_version": 1}}, return_document=pymongo.ReturnDocument.AFTER
        )
        return user["session_version"] if user else 0

    async def set_password(self, user_id: Any, password: str) -> None:
        """A new password also ends every session (``session_version`` moves on)."""
        validate_password(password)
        await self._collection.update_one(
            {"_id": user_id},
            {"$set": {"password_hash": await hash_password(password)}, "$inc": {"session_version": 1}},
        )

    # --- the account page: a person changes their own account -----------------------

    async def update_profile(self, user_id: Any, *, name: str, username: str, bio: str) -> dict:
        """Set name, username and bio (validated as `create` does); returns the updated user.

        `Invalid` or `Duplicate` (a username someone else has) change nothing.
        Only strings are ``$set``: the embedded server keeps datetimes written
        by ``$set`` as strings, and none is needed here.
        """
        name = " ".join((name or "").split())
        username = (username or "").strip().lower()
        bio = (bio or "").strip()
        if not name:
            raise Invalid("your name is required")
        if len(name) > MAX_NAME:
            raise Invalid("the name is too long: at most %d characters" % MAX_NAME)
        if not USERNAME_RE.match(username):
            raise Invalid(username_refused(username))
        if len(bio) > MAX_BIO:
            raise Invalid("the bio is too long: at most %d characters" % MAX_BIO)
        if await self._collection.find_one({"username": username, "_id": {"$ne": user_id}}, {"_id": 1}):
            raise Duplicate("the username %r is taken" % username)
        try:
            user = await find_one_and_modify(
                self._collection, "find_one_and_update",
                {"_id": user_id}, {"$set": {"name": name, "username": username, "bio": bio}},
                return_document=pymongo.ReturnDocument.AFTER,
            )
        except pymongo.errors.DuplicateKeyError:  # taken a moment ago
            raise Duplicate("the username %r is taken" % username) from None
        if user is None:
            raise Invalid("no such account")
        # Names and bios show on the reader pages of every site the person
        # belongs to: those sites' kept pages go, other sites' stay.
        db = self._collection.database
        changes = Changes(db)
        async for membership in db.memberships.find({"user_id": user_id}, {"site_id": 1}):
            await changes.bump(membership["site_id"])
        return user

    async def change_password(self, user_id: Any, current: str, new: str) -> dict:
        """A new password, given the current one when the account has one (Google-only accounts have none).

        Ends every session of the person (`set_password` moves ``session_version``
        on); returns the updated user so the caller can start a fresh session.
        """
        user = await self.by_id(user_id)
        if user is None:
            raise Invalid("no such account")
        hashed = user.get("password_hash")
        if hashed and not await check_password(current or "", hashed):
            raise WrongPassword("the current password is not right")
        validate_password(new)
        await self.set_password(user_id, new)
        return await self.by_id(user_id) or user

    # --- what the platform's operators change (cms/handlers/console.py, the CLI) ------

    async def set_platform_admin(self, email: str, admin: bool = True) -> dict:
        """Make the account of ``email`` a platform admin (``/console``), or no longer one."""
        user = await self.by_email(normalize_email(email))
        if user is None:
            raise NotFound("no account with the e-mail %s" % email)
        update = {"$set": {"platform_admin": True}} if admin else {"$unset": {"platform_admin": ""}}
        await self._collection.update_one({"_id": user["_id"]}, update)
        return {**user, "platform_admin": admin}

    async def set_disabled(self, user_id: Any, disabled: bool) -> dict:
        """Disable an account (it cannot sign in, and every session of it ends at once,
        in every process: ``session_version`` moves on, and the sessions are deleted),
        or enable it again."""
        update: dict = {"$set": {"disabled": True}, "$inc": {"session_version": 1}} if disabled \
            else {"$unset": {"disabled": ""}}
        user = await self._collection.find_one_and_update(
            {"_id": user_id}, update, return_document=pymongo.ReturnDocument.AFTER)
        if user is None:
            raise NotFound("no such account")
        if disabled:
            await PersonSessions(self._collection.database, user_id).end_all()
        return user
