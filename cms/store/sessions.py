"""Sign-in sessions kept on the server, so that signing out really ends one.

A session is one person signed in on one site from one browser. The cookie
carries only a random id (signed, see cms/sessions.py); the database keeps
its SHA-256 (``id_hash``, unique), so a copy of the database holds no usable
session. Each document also says who (``user_id``), where (``site_id``, in
every query through `Scoped`), since when (``created_at``), how recently
(``last_seen``, written at most every `TOUCH_EVERY`, not on every request)
and from what (``device``, a short summary of the User-Agent, for the
account page's list). The user's ``session_version`` at sign-in is kept too:
moving it on (`Users.bump_session_version`, a new password) ends every
session at once, in every process, even before the documents are deleted.

A TTL index on ``last_seen`` lets MongoDB remove a session idle for `IDLE`;
its pass runs about once a minute, so `Sessions.find` checks the time too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from cms.store.ids import new_id
from cms.store.scoped import Scoped

IDLE = dt.timedelta(days=14)
TOUCH_EVERY = dt.timedelta(minutes=5)
MAX_DEVICE = 60


def id_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Sessions:
    """The sessions of one site."""

    def __init__(self, db, site_id: Any) -> None:
        self._sessions = Scoped(db.sessions, site_id, affects_pages=False)

    async def start(self, user: dict, device: str, parent: Any = None) -> tuple[str, dict]:
        """A new session of ``user`` here, and its id (the only time it exists in clear).

        ``parent``: the platform session that handed this one over (`cms.store.handovers`);
        it ends with it.
        """
        token = secrets.token_urlsafe(32)
        now = utcnow()
        session = {
            "_id": new_id(), "id_hash": id_hash(token), "user_id": user["_id"],
            "version": user.get("session_version", 1), "created_at": now, "last_seen": now,
            "device": device[:MAX_DEVICE], **({"parent": parent} if parent is not None else {}),
        }
        await self._sessions.insert_one(session)
        return token, session

    async def find(self, token: str) -> dict | None:
        """The live session of this site with that id, or None."""
        if not isinstance(token, str) or not token or len(token) > 100:
            return None
        session = await self._sessions.find_one({"id_hash": id_hash(token)})
        if session is None or session["last_seen"] < utcnow() - IDLE:
            return None
        return session

    async def alive(self, session_id: Any) -> bool:
        """Whether the session with that ``_id`` still runs here (not ended, not idle too long)."""
        session = await self._sessions.find_one({"_id": session_id}, {"last_seen": 1})
        return session is not None and session["last_seen"] >= utcnow() - IDLE

    async def touch(self, session: dict) -> None:
        """Note that the session is in use, at most every `TOUCH_EVERY` (not a write per request)."""
        now = utcnow()
        if now - session["last_seen"] < TOUCH_EVERY:
            return
        # A whole-document replace: nx-27017 turns datetimes written by $set into
        # strings (tests/http/test_admin_revisions.py). Without upsert, a session
        # ended a moment ago stays ended.
        await self._sessions.find_one_and_replace({"_id": session["_id"]}, {**session, "last_seen": now})

    async def end(self, token: str) -> None:
        if isinstance(token, str) and token:
            await self._sessions.delete_one({"id_hash": id_hash(token)})

    async def replace(self, session: dict) -> None:
        """End a session that a new sign-in in the same browser takes over."""
        await self._sessions.delete_one({"_id": session["_id"]})

    async def end_one_of(self, user_id: Any, session_id: str) -> bool:
        """End a session of that person here; False if there is none (another person's, another site's)."""
        result = await self._sessions.delete_one({"_id": session_id, "user_id": user_id})
        return result.deleted_count == 1

    async def of_user(self, user: dict) -> list[dict]:
        """The person's live sessions on this site, the most recently used first.

        Sessions of an older ``session_version`` are over even while their
        documents are still there (a version moved on by another process).
        """
        since = utcnow() - IDLE
        query = {"user_id": user["_id"], "version": user.get("session_version", 1)}
        cursor = self._sessions.find(query).sort("last_seen", -1)
        return [session async for session in cursor if session["last_seen"] >= since]


class PersonSessions:
    """Every session of one person, on every site: what "sign out everywhere" ends.

    The one cross-site operation on sessions, keyed by the person: their own
    sessions are theirs to end wherever they are.
    """

    def __init__(self, db, user_id: Any) -> None:
        self._collection = db.sessions
        self._user_id = user_id

    async def end_all(self, keep: str | None = None) -> int:
        """End them all but ``keep`` (a session ``_id``); the number ended."""
        query: dict[str, Any] = {"user_id": self._user_id}
        if keep is not None:
            query["_id"] = {"$ne": keep}
        return (await self._collection.delete_many(query)).deleted_count

    async def end_handed(self, parent: Any) -> int:
        """End the sessions that their platform session ``parent`` handed to sites
        (`cms.store.handovers`), on every site; the number ended."""
        return (await self._collection.delete_many({"user_id": self._user_id, "parent": parent})).deleted_count

