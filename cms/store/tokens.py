"""One-time tokens sent by e-mail: address confirmations and password resets.

A token is a random string that only the link in an e-mail holds: the
database keeps its SHA-256 (``token_hash``, unique), so a copy of the
database confirms nothing and resets nothing. Each says what it is for
(``purpose``), whose it is (``user_id``), on which host its link works
(``host``: the site or platform host where it was asked for; a link used on
another host is unknown there) and until when (``expires_at``). Using one is
one atomic ``find_one_and_delete``: a link works once, even when clicked
twice at the same moment. A TTL index removes tokens a day after they
expired; until then their link is reported as expired rather than unknown.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from cms.store.ids import new_id

PURPOSES = {"confirm": dt.timedelta(hours=24), "reset": dt.timedelta(hours=1)}
MAX_TOKEN = 100


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Tokens:
    """Tokens of every person, platform-wide: each is tied to one person and one host."""

    def __init__(self, db) -> None:
        self._collection = db.tokens

    async def issue(self, purpose: str, user_id: Any, host: str, site_id: Any = None,
                    valid: dt.timedelta | None = None) -> str:
        """A new token (the only time it exists in clear) for ``user_id``, good on ``host``."""
        if purpose not in PURPOSES:
            raise ValueError("unknown token purpose %r" % purpose)
        token = secrets.token_urlsafe(32)
        now = utcnow()
        await self._collection.insert_one({
            "_id": new_id(), "purpose": purpose, "token_hash": token_hash(token), "user_id": user_id,
            "host": host.lower(), "site_id": site_id, "created_at": now,
            "expires_at": now + (valid if valid is not None else PURPOSES[purpose]),
        })
        return token

    async def find(self, purpose: str, token: str, host: str) -> dict | None:
        """The token for that purpose and host, expired or not (see `is_open`); None if unknown."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
            return None
        return await self._collection.find_one(
            {"token_hash": token_hash(token), "purpose": purpose, "host": host.lower()})

    async def use(self, purpose: str, token: str, host: str) -> dict | None:
        """Use the token up: returned once, then gone. None if unknown, used or expired."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
            return None
        return await self._collection.find_one_and_delete(
            {"token_hash": token_hash(token), "purpose": purpose, "host": host.lower(),
             "expires_at": {"$gt": utcnow()}})

    async def revoke(self, purpose: str, user_id: Any) -> int:
        """Forget every token of that purpose of the person (a reset done: older links stop working)."""
        return (await self._collection.delete_many({"purpose": purpose, "user_id": user_id})).deleted_count


def is_open(token: dict | None) -> bool:
    return token is not None and token["expires_at"] > utcnow()
