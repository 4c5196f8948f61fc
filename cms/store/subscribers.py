"""A site's e-mail subscribers, and the newsletters owed to them.

`Subscribers` is one site's list (``site_id`` in every query, through
`Scoped`; the address is unique per site). An address is ``pending`` until
the link sent to it is opened (double opt-in), then ``confirmed``; an
unsubscribed address stays as ``unsubscribed`` so its owner's choice is
kept. The confirmation link holds a random token; the database keeps only its
SHA-256 with an expiry, and confirming is one atomic update that clears it:
a link works once, and only until `CONFIRM_TTL`.

`Newsletters` is the platform-wide queue of posts to mail (one document per
(site, post), unique): a post entering "published" (or scheduled) gets one,
due at its publication time (`post_published`). Whichever process's
dispatcher (`cms.subscriptions.dispatch`) claims it first -- one atomic
``find_one_and_update`` that sets a lease -- mails it; once ``sent`` it is
never sent again, whatever happens to the post later. A dispatcher that dies
mid-way loses its lease and another resumes after the last subscriber it
recorded; the outbox's keyed messages make the overlap harmless.

Times here that are written by ``$set`` are epoch seconds: nx-27017 turns a
datetime written by ``$set`` into a string (tests/http/test_admin_revisions.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import time
from typing import Any, AsyncIterator

import pymongo

from cms.store.errors import Invalid
from cms.store.ids import new_id
from cms.store.scoped import Scoped
from cms.store.users import normalize_email

log = logging.getLogger(__name__)

STATUSES = ("pending", "confirmed", "unsubscribed")
CONFIRM_TTL = 48 * 3600.0  # seconds a confirmation link works
RESEND_AFTER = 3600.0  # a pending address gets no second confirmation within this
MAX_TOKEN = 100
LEASE = 120.0  # seconds a claimed newsletter is its dispatcher's
BACKDATED = 24 * 3600.0  # a post published with a date older than this is not news (an import, a backdated post)
CONTENTS = ("excerpt", "full")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def content_of(site: dict) -> str:
    """What the site's newsletters carry of a post: its excerpt (default) or its full text."""
    chosen = (site.get("newsletter") or {}).get("content")
    return chosen if chosen in CONTENTS else "excerpt"


class Subscribers:
    """One site's subscribers."""

    def __init__(self, db, site_id: Any) -> None:
        self._subscribers = Scoped(db.subscribers, site_id, affects_pages=False)
        self.site_id = site_id

    async def subscribe(self, email: str, via: str = "", now: float | None = None) -> tuple[dict, str | None]:
        """Ask to subscribe ``email``: the subscriber and the confirmation token to mail, or
        None when nothing is to be sent (confirmed already, or a link went out lately).

        `Invalid` for a bad address. The caller answers the same whatever happens here,
        so a form reveals nothing about who subscribed.
        """
        email = normalize_email(email)
        now = time.time() if now is None else now
        token = secrets.token_urlsafe(32)
        pending = {"status": "pending", "confirm_hash": token_hash(token), "confirm_expires": now + CONFIRM_TTL,
                   "confirm_sent": now}
        found = await self._subscribers.find_one({"email": email})
        if found is None:
            subscriber = {"_id": new_id(), "email": email, "created": now, "via": via, **pending}
            try:
                await self._subscribers.insert_one(subscriber)
                return subscriber, token
            except pymongo.errors.DuplicateKeyError:  # the same address at the same moment
                found = await self._subscribers.find_one({"email": email})
                if found is None:
                    raise
        if found["status"] == "confirmed":
            return found, None
        if found["status"] == "pending" and found.get("confirm_sent", 0) > now - RESEND_AFTER:
            return found, None
        # Only if it is still as read: of two such requests at once, one mails a link.
        result = await self._subscribers.update_one(
            {"_id": found["_id"], "status": found["status"], "confirm_sent": found.get("confirm_sent")},
            {"$set": {**pending, "via": via}})
        return ({**found, **pending}, token) if result.modified_count == 1 else (found, None)

    async def confirm(self, token: str, via: str = "", now: float | None = None) -> dict | None:
        """Use a confirmation token: the confirmed subscriber, or None (unknown, used or expired)."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
            return None
        now = time.time() if now is None else now
        return await self._subscribers.find_one_and_update(
            {"confirm_hash": token_hash(token), "status": "pending", "confirm_expires": {"$gt": now}},
            {"$set": {"status": "confirmed", "confirmed": now, "confirm_hash": None, "via": via}},
            return_document=pymongo.ReturnDocument.AFTER)

    async def get(self, subscriber_id: Any) -> dict | None:
        if not isinstance(subscriber_id, str):
            return None
        return await self._subscribers.find_one({"_id": subscriber_id})

    async def unsubscribe(self, subscriber_id: Any, now: float | None = None) -> dict | None:
        """Stop mailing that subscriber (any link they held stops working); None if not of this site."""
        subscriber = await self.get(subscriber_id)
        if subscriber is None:
            return None
        if subscriber["status"] != "unsubscribed":
            await self._subscribers.update_one(
                {"_id": subscriber_id},
                {"$set": {"status": "unsubscribed", "unsubscribed": time.time() if now is None else now,
                          "confirm_hash": None}})
        return {**subscriber, "status": "unsubscribed"}

    async def remove(self, subscriber_id: Any) -> bool:
        """Forget a subscriber altogether (the admin's Remove)."""
        if not isinstance(subscriber_id, str):
            return False
        return (await self._subscribers.delete_one({"_id": subscriber_id})).deleted_count == 1

    async def counts(self) -> dict[str, int]:
        """How many subscribers are in each status (every status named, zero included)."""
        found = {status: 0 for status in STATUSES}
        async for row in self._subscribers.aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}]):
            if row["_id"] in found:
                found[row["_id"]] = row["n"]
        return found

    async def search(self, query: str = "", status: str | None = None, limit: int = 100,
                     skip: int = 0) -> list[dict]:
        """Subscribers whose address contains ``query`` (any status, or one), by address."""
        filter: dict[str, Any] = {}
        if status is not None:
            if status not in STATUSES:
                raise Invalid("unknown subscriber status %r (one of: %s)" % (status, ", ".join(STATUSES)))
            filter["status"] = status
        query = (query or "").strip().lower()[:254]
        if query:
            filter["email"] = {"$regex": re.escape(query)}
        cursor = self._subscribers.find(filter, {"confirm_hash": 0}).sort("email", 1).skip(max(0, skip))
        return [s async for s in cursor.limit(max(1, min(limit, 1000)))]

    async def all(self) -> AsyncIterator[dict]:
        """Every subscriber, by address (the CSV export and the site archive)."""
        async for subscriber in self._subscribers.find({}, {"confirm_hash": 0}).sort("email", 1):
            yield subscriber

    async def confirmed_after(self, after: str, limit: int, by: float | None = None) -> list[dict]:
        """The next ``limit`` subscribers after the id ``after`` ("" to start), by id, who
        confirmed by the time ``by`` (a post is news to those who subscribed before it)."""
        filter: dict[str, Any] = {"status": "confirmed", "_id": {"$gt": after}}
        if by is not None:
            filter["confirmed"] = {"$lte": by}
        cursor = self._subscribers.find(filter).sort("_id", 1)
        return [s async for s in cursor.limit(limit)]


class Newsletters:
    """Posts to mail to their site's subscribers: platform-wide, like the outbox."""

    def __init__(self, db) -> None:
        self._collection = db.newsletters

    async def due_at(self, site_id: Any, post_id: Any, due: float) -> bool:
        """Owe the subscribers this post at ``due``; False when it is sent or being sent already."""
        waiting = await self._collection.update_one(
            {"site_id": site_id, "post_id": post_id, "status": "waiting"}, {"$set": {"due": due}})
        if waiting.matched_count:
            return True
        try:
            await self._collection.insert_one({
                "_id": new_id(), "site_id": site_id, "post_id": post_id, "status": "waiting", "due": due,
                "after": "", "sent": 0, "owner": None, "lease_until": 0.0, "created": time.time()})
        except pymongo.errors.DuplicateKeyError:
            return False  # claimed or sent: a post is mailed once
        return True

    async def claim(self, owner: str, now: float | None = None, lease: float = LEASE) -> dict | None:
        """Take one newsletter that is due (or whose dispatcher's lease ran out), or None."""
        now = time.time() if now is None else now
        change = {"$set": {"status": "sending", "owner": owner, "lease_until": now + lease}}
        for due in ({"status": "waiting", "due": {"$lte": now}},
                    {"status": "sending", "lease_until": {"$lt": now}}):
            claimed = await self._collection.find_one_and_update(
                due, change, sort=[("due", 1)], return_document=pymongo.ReturnDocument.AFTER)
            if claimed is not None:
                return claimed
        return None

    async def progress(self, newsletter: dict, after: str, sent: int, lease: float = LEASE) -> bool:
        """Record the last subscriber done and renew the lease; False if another dispatcher took it."""
        result = await self._collection.update_one(
            {"_id": newsletter["_id"], "status": "sending", "owner": newsletter["owner"]},
            {"$set": {"after": after, "sent": sent, "lease_until": time.time() + lease}})
        return result.modified_count == 1

    async def finish(self, newsletter: dict, sent: int) -> bool:
        """Sent to everyone: never again."""
        result = await self._collection.update_one(
            {"_id": newsletter["_id"], "status": "sending", "owner": newsletter["owner"]},
            {"$set": {"status": "sent", "sent": sent, "finished": time.time()}})
        return result.modified_count == 1

    async def postpone(self, newsletter: dict, due: float) -> bool:
        """The post was rescheduled: wait for its new time."""
        result = await self._collection.update_one(
            {"_id": newsletter["_id"], "status": "sending", "owner": newsletter["owner"]},
            {"$set": {"status": "waiting", "due": due, "owner": None, "lease_until": 0.0}})
        return result.modified_count == 1

    async def drop(self, newsletter: dict) -> bool:
        """The post is no longer published (or its site is gone): nothing owed; publishing it
        again owes it anew (`post_published`)."""
        result = await self._collection.delete_one(
            {"_id": newsletter["_id"], "status": "sending", "owner": newsletter["owner"]})
        return result.deleted_count == 1

    async def of_post(self, site_id: Any, post_id: Any) -> dict | None:
        return await self._collection.find_one({"site_id": site_id, "post_id": post_id})


async def post_published(db, site_id: Any, post: dict) -> None:
    """A post readers did not see is now shown, or scheduled: its subscribers are owed it.

    Pages are not mailed, nor a post whose date is well past (an import, a backdated
    post): subscribers get what is new."""
    if post.get("type") != "post" or post.get("status") != "published":
        return
    when = post.get("published_at")
    if when is None:
        due = time.time()
    else:  # the embedded server hands datetimes back naive (UTC)
        due = (when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)).timestamp()
    if due < time.time() - BACKDATED:
        return
    await Newsletters(db).due_at(site_id, post["_id"], due)
