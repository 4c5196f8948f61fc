"""Handover tokens: one sign-in on the platform carried to a site's host.

Site hosts are other origins than the platform, so the platform's session
cookie never reaches them. The platform (``/handover``, the flow is in
cms/handlers/handover.py) makes a token for one person, one site and the
platform session it came from, and sends the browser to ``http://<site>/admin/handover?token=...``; the site exchanges the
token for a session of its own, linked to that platform session (so that
signing out on the platform ends it too, `cms.store.sessions.end_handed`).

Only the token's SHA-256 is stored (``token_hash``, unique). A token is good
for `LIFETIME` and once: redeeming is one atomic ``find_one_and_delete`` scoped
to the site that redeems it, so a token made for another site is not found
(and stays unused), and a second use finds nothing. ``expires_at`` carries a
TTL index that removes tokens nobody redeemed.

A token is also bound to the browser that asked for it, as OAuth's ``state``
binds a code: the site starts each handover by putting a random nonce in a
cookie of its own host and sending the browser to the platform with it; the
token stores the nonce's SHA-256 (``state_hash``) and redeems only where that
cookie comes back. Without it, a person could make a token for their own site
and send the link to a victim, who would be signed in there as them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from cms.store.ids import new_id
from cms.store.scoped import Scoped

LIFETIME = dt.timedelta(seconds=60)
MAX_TOKEN = 100


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclasses.dataclass
class Redeemed:
    """What a token redeemed: who, and the platform session it came from."""

    user_id: Any
    platform_session_id: Any


class Expired(Exception):
    """The token was real, but too old; it is used up now all the same."""


class OtherBrowser(Exception):
    """The token is not bound to this browser's nonce (or it has none): used up, nobody signed in."""


class Handovers:
    """The handover tokens of one site (the site that will redeem them)."""

    def __init__(self, db, site_id: Any) -> None:
        self._tokens = Scoped(db.handovers, site_id, affects_pages=False)

    async def issue(self, user_id: Any, platform_session_id: Any, state: str,
                    lifetime: dt.timedelta = LIFETIME) -> str:
        """A new token for ``user_id`` on this site, good only with ``state`` (the nonce of
        the browser that asked); the only time the token exists in clear."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        await self._tokens.insert_one({
            "_id": new_id(), "token_hash": token_hash(token), "state_hash": token_hash(state), "user_id": user_id,
            "platform_session_id": platform_session_id, "created_at": now, "expires_at": now + lifetime,
        })
        return token

    async def redeem(self, token: Any, state: str | None) -> Redeemed | None:
        """Use the token up: who it signs in, or None when this site has no such token
        (never made, made for another site, or used already). `Expired` when too old,
        `OtherBrowser` when ``state`` (this browser's nonce) is not the one it was made for."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
            return None
        found = await self._tokens.find_one_and_delete({"token_hash": token_hash(token)})
        if found is None:
            return None
        if found["expires_at"] <= utcnow():
            raise Expired()
        if not state or not hmac.compare_digest(found.get("state_hash", ""), token_hash(state)):
            raise OtherBrowser()
        return Redeemed(found["user_id"], found["platform_session_id"])
