"""Invitations: a one-time link that makes its holder a member of one site.

Only the SHA-256 of the token is stored (``token_hash``, unique), so the
database never holds a usable link; the inviter sees the link once, to copy.
``expires_at`` carries a TTL index that removes an invitation 30 days after
it expired; until then its link is reported as expired rather than unknown. Accepting is one atomic ``find_one_and_delete``:
a link works once, even when two people click it at the same moment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from cms.store.errors import Invalid
from cms.store.ids import new_id
from cms.store.members import ROLES
from cms.store.scoped import Scoped
from cms.store.users import normalize_email

VALID_DAYS = 7


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Invitations:
    def __init__(self, db, site_id: Any) -> None:
        self._invitations = Scoped(db.invitations, site_id, affects_pages=False)

    async def create(self, email: str, role: str, invited_by: Any, days: float = VALID_DAYS) -> tuple[str, dict]:
        """A new invitation and its token (the only time the token exists in clear)."""
        email = normalize_email(email)
        if role not in ROLES:
            raise Invalid("unknown role %r (one of: %s)" % (role, ", ".join(ROLES)))
        token = secrets.token_urlsafe(32)
        now = utcnow()
        invitation = {
            "_id": new_id(), "email": email, "role": role, "token_hash": token_hash(token),
            "invited_by": invited_by, "created_at": now, "expires_at": now + dt.timedelta(days=days),
        }
        await self._invitations.insert_one(invitation)
        return token, invitation

    async def find(self, token: str) -> dict | None:
        """The invitation of this site with that token, expired or not (see `is_open`)."""
        if not token or len(token) > 200:
            return None
        return await self._invitations.find_one({"token_hash": token_hash(token)})

    async def accept(self, token: str) -> dict | None:
        """Use the invitation up: it is returned once, then gone. None if unknown or expired."""
        return await self._used(await self._invitations.find_one_and_delete(
            {"token_hash": token_hash(token), "expires_at": {"$gt": utcnow()}}
        ))

    async def _used(self, invitation: dict | None) -> dict | None:
        """Once one invitation of an address is used, its others on this site (made twice,
        re-sent) have nothing left to do: they go, and are no longer listed as open."""
        if invitation is not None:
            await self._invitations.delete_many({"email": invitation["email"]})
        return invitation

    async def open_for(self, email: str) -> dict | None:
        """An unexpired invitation of this site for that e-mail (the most powerful one)."""
        cursor = self._invitations.find({"email": email.strip().lower(), "expires_at": {"$gt": utcnow()}})
        found = [invitation async for invitation in cursor]
        return min(found, key=lambda i: ROLES.index(i["role"])) if found else None

    async def accept_by_id(self, invitation_id: str) -> dict | None:
        return await self._used(
            await self._invitations.find_one_and_delete({"_id": invitation_id, "expires_at": {"$gt": utcnow()}}))

    async def pending(self) -> list[dict]:
        cursor = self._invitations.find({"expires_at": {"$gt": utcnow()}}).sort("created_at", -1)
        return [invitation async for invitation in cursor]

    async def revoke(self, invitation_id: str) -> bool:
        return (await self._invitations.delete_one({"_id": invitation_id})).deleted_count == 1


def is_open(invitation: dict | None) -> bool:
    return invitation is not None and invitation["expires_at"] > utcnow()
