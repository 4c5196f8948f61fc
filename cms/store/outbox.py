"""The outbox: every e-mail the platform sends is first a document here.

Storing before sending means a message survives a restart or an SMTP server
that is down, every process can send any message, and operators can see what
went out (the console lists it). Platform-wide: ``site_id`` is the site a
message is about, or None for the platform's own mail (a sign-up's
confirmation); it is a field to filter on, not a tenant boundary, since only
the sender and operators read the outbox.

A message is ``queued`` until a sender claims it, ``sent`` once the SMTP
server took it, ``failed`` after `MAX_ATTEMPTS` (or a refusal that trying
again cannot change). Claiming is one atomic ``find_one_and_update`` that
also sets a lease (``lease_until``): two processes never send one message
twice, and a message whose sender died mid-way is claimed again once the
lease is over. Times a sender compares (``next_attempt``, ``lease_until``)
are epoch seconds, not datetimes: nx-27017 turns a datetime written by
``$set`` into a string (tests/http/test_admin_revisions.py). A finished
message is rewritten whole, so its ``finished_at`` stays a datetime, for the
TTL index that removes it after `KEEP_DAYS`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from typing import Any

import pymongo

from cms.store.errors import Invalid
from cms.store.ids import new_id
from cms.store.users import normalize_email

STATUSES = ("queued", "sending", "sent", "failed")
MAX_ATTEMPTS = 8  # with the sender's backoff (30 s doubling), about an hour of trying
KEEP_DAYS = 30  # finished messages are removed after this (TTL on finished_at)
LEASE = 120.0  # seconds a claimed message is its sender's before another may take it
MAX_SUBJECT = 200
MAX_BODY = 100_000
HEADER_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


def _clean_line(value: str, what: str, limit: int) -> str:
    value = " ".join(str(value or "").split())
    if not value:
        raise Invalid("an e-mail needs a %s" % what)
    return value[:limit]


def keyed_id(key: str) -> str:
    """The ``_id`` of the message named ``key``: id-shaped, the same in every process."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


class Outbox:
    """Messages to send, being sent, sent and failed."""

    def __init__(self, db) -> None:
        self._collection = db.outbox

    async def queue(self, to: str, subject: str, text: str, *, kind: str, site_id: Any = None,
                    html: str | None = None, headers: dict[str, str] | None = None, key: str | None = None) -> dict:
        """Store a message to send now; returns it. Bad input raises `Invalid` and stores nothing.

        ``key`` names a message that must exist once (a newsletter to one subscriber): its
        ``_id`` is derived from it, so queueing it again raises DuplicateKeyError."""
        # One line each: a newline in a subject or header would start a header of its own.
        extra = {}
        for name, value in (headers or {}).items():
            if not name or not set(name) <= HEADER_NAME:
                raise Invalid("invalid e-mail header name %r" % name)
            extra[name] = _clean_line(value, "value for %s" % name, 1000)
        if not isinstance(text, str) or len(text) > MAX_BODY:
            raise Invalid("an e-mail's text must be a string of at most %d characters" % MAX_BODY)
        message = {
            "_id": keyed_id(key) if key else new_id(),
            "to": normalize_email(to),
            "subject": _clean_line(subject, "subject", MAX_SUBJECT),
            "text": text,
            "html": html,
            "headers": extra,
            "kind": _clean_line(kind, "kind", 40),
            "site_id": site_id,
            "status": "queued",
            "attempts": 0,
            "next_attempt": time.time(),
            "lease_until": 0.0,
            "last_error": None,
            "logged": False,
            "created_at": dt.datetime.now(dt.timezone.utc),
        }
        await self._collection.insert_one(message)
        return message

    async def claim(self, owner: str, lease: float = LEASE) -> dict | None:
        """Take one message that is due (or whose sender's lease ran out), or None."""
        now = time.time()
        change = {"$set": {"status": "sending", "owner": owner, "lease_until": now + lease}}
        for due in ({"status": "queued", "next_attempt": {"$lte": now}},
                    {"status": "sending", "lease_until": {"$lt": now}}):
            claimed = await self._collection.find_one_and_update(
                due, change, sort=[("next_attempt", 1)], return_document=pymongo.ReturnDocument.AFTER)
            if claimed is not None:
                return claimed
        return None

    async def claim_unlogged(self) -> dict | None:
        """A queued message no process has written to its log yet, marked as logged (no SMTP server)."""
        return await self._collection.find_one_and_update(
            {"status": "queued", "logged": False}, {"$set": {"logged": True}},
            sort=[("created_at", 1)], return_document=pymongo.ReturnDocument.AFTER)

    async def sent(self, message: dict) -> bool:
        return await self._finish(message, {"status": "sent", "attempts": message["attempts"] + 1,
                                            "last_error": None})

    async def failed(self, message: dict, error: str, retry_in: float | None) -> bool:
        """An attempt failed: queued again in ``retry_in`` seconds, or failed for good (None)."""
        attempts = message["attempts"] + 1
        if retry_in is None or attempts >= MAX_ATTEMPTS:
            return await self._finish(message, {"status": "failed", "attempts": attempts, "last_error": error})
        return await self._rewrite(message, {"status": "queued", "attempts": attempts, "last_error": error,
                                             "next_attempt": time.time() + retry_in, "lease_until": 0.0})

    async def _finish(self, message: dict, change: dict) -> bool:
        return await self._rewrite(message, {**change, "finished_at": dt.datetime.now(dt.timezone.utc)})

    async def _rewrite(self, message: dict, change: dict) -> bool:
        """Replace the whole document (datetimes stay datetimes), only while this sender holds it."""
        document = {k: v for k, v in message.items() if k != "owner"}
        document.update(change)
        result = await self._collection.replace_one(
            {"_id": message["_id"], "status": "sending", "owner": message.get("owner")}, document)
        return result.modified_count == 1

    async def find(self, message_id: str) -> dict | None:
        return await self._collection.find_one({"_id": message_id})

    async def list(self, status: str | None = None, limit: int = 50, site_id: Any = None) -> list[dict]:
        """The newest messages first, of one status (see `STATUSES`) and one site if given."""
        query: dict[str, Any] = {}
        if status is not None:
            if status not in STATUSES:
                raise Invalid("unknown outbox status %r (one of: %s)" % (status, ", ".join(STATUSES)))
            query["status"] = status
        if site_id is not None:
            query["site_id"] = site_id
        cursor = self._collection.find(query).sort("created_at", -1).limit(max(1, min(int(limit), 500)))
        return [message async for message in cursor]

    async def counts(self) -> dict[str, int]:
        """How many messages are in each status (every status named, zero included)."""
        found = {status: 0 for status in STATUSES}
        async for row in self._collection.aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}]):
            if row["_id"] in found:
                found[row["_id"]] = row["n"]
        return found
