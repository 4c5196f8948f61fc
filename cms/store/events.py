"""Site events for live readers: what was published or approved, in order, in the database.

A reader's open page learns of a new post or an approved comment over a
WebSocket (`cms.live`). The process that makes the change is seldom the one
holding the reader's socket (gunicorn workers, several pods), so events are
written here and every process reads them (`cms.live.hub.Poller`); process
memory alone would reach only the readers of the writing process.

One document each::

    {"_id", "site_id", "seq": 1, 2, 3... (per site), "channel": "posts" | "post:<id>" | "admin:post:<id>",
     "kind": "published" | "comment" | "editors" | "saved", "key": what makes it unique, "data": {...},
     "at": when readers may see it (a scheduled post: its publication time),
     "created"}

``seq`` is the site's own sequence, and readers' ``since``. It is taken as the
site's highest plus one by the insert itself, under the unique index
(``site_id``, ``seq``): of two writers that read the same highest, one wins and
the other takes the next. So a ``seq`` exists only once every lower one does,
and a reader of ``seq > last`` never skips one that appears later.
Channels starting ``admin:`` are the editor's (`cms.live.admin`): who has a post
open, and its saves. Readers' sockets can never name them (`cms.live.handlers`).
``key`` (unique per site) makes the same event written twice (a save sent
again, two applications of one process hearing one approval) one event.

A capped-like collection: each site keeps its last `KEEP` events, and a TTL
index drops any older than a day (its indexes: cms/db.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Callable, Iterable

import pymongo

from cms.store.ids import new_id
from cms.store.scoped import Scoped

log = logging.getLogger(__name__)

KEEP = 200  # events kept per site (readers further behind reload their page)
TTL = 24 * 3600  # seconds an event is kept at most (the index in cms/db.py)
TRIES = 20  # writers racing for the next seq
PAGE = 50  # events handed out at most per read


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def aware(when: dt.datetime) -> dt.datetime:
    """The embedded server hands datetimes back naive (UTC)."""
    return when.replace(tzinfo=dt.timezone.utc) if when.tzinfo is None else when


def public(event: dict) -> dict:
    """What a reader receives of an event: no ids of the database, no site."""
    return {"seq": event["seq"], "channel": event["channel"], "kind": event["kind"], **event.get("data", {})}


WrittenListener = Callable[[Any], None]
_written: list[WrittenListener] = []


def on_written(listener: WrittenListener) -> Callable[[], None]:
    """Call ``listener(site_id)`` when this process writes an event (it must not block);
    returns an undo. This process's live poll (`cms.live.hub`) reads at once then,
    rather than at its next turn; other processes' writes it reads on its turns."""
    _written.append(listener)
    return lambda: _written.remove(listener) if listener in _written else None


class Events:
    """The events of one site."""

    def __init__(self, db, site_id: Any) -> None:
        self._events = Scoped(db.events, site_id, affects_pages=False)
        self._site_id = site_id

    async def add(self, channel: str, kind: str, key: str, data: dict, at: dt.datetime | None = None) -> dict | None:
        """Write one event with the site's next ``seq``; None when ``key`` was already written."""
        now = utcnow()
        for _ in range(TRIES):
            seq = await self.last() + 1
            event = {"_id": new_id(), "seq": seq, "channel": channel, "kind": kind, "key": key, "data": data,
                     "at": at or now, "created": now}
            try:
                await self._events.insert_one(event)
            except pymongo.errors.DuplicateKeyError:
                if await self._events.find_one({"key": key}, {"_id": 1}) is not None:
                    return None  # this event is written already
                continue  # another writer took this seq: the next one
            await self._events.delete_many({"seq": {"$lte": seq - KEEP}})
            log.debug("event %s %s of site %s: seq %d", kind, channel, self._site_id, seq)
            for listener in list(_written):
                listener(self._site_id)
            return event
        log.warning("event %s of site %s not written: %d writers took every seq first", key, self._site_id, TRIES)
        return None

    async def last(self) -> int:
        """The site's highest ``seq`` (0 before its first event)."""
        doc = await self._events.find_one({}, {"seq": 1}, sort=[("seq", -1)])
        return doc["seq"] if doc else 0

    async def settled(self) -> int:
        """The highest seq up to which every event is due: what a poller may take as its
        next ``since`` without stepping over a scheduled post that is not out yet."""
        waiting = await self._events.find_one({"at": {"$gt": utcnow()}}, {"seq": 1}, sort=[("seq", 1)])
        return waiting["seq"] - 1 if waiting else await self.last()

    async def since(self, seq: int, channels: Iterable[str], now: dt.datetime | None = None) -> list[dict]:
        """Events of ``channels`` after ``seq`` that readers may see now, oldest first."""
        now = now or utcnow()
        cursor = self._events.find({"seq": {"$gt": int(seq)}, "channel": {"$in": list(channels)}})
        found = [e async for e in cursor.sort("seq", 1).limit(PAGE)]
        return [e for e in found if aware(e["at"]) <= now]

    async def upcoming(self) -> list[dict]:
        """Events not yet due (scheduled posts), soonest first."""
        cursor = self._events.find({"at": {"$gt": utcnow()}})
        return [e async for e in cursor.sort("at", 1).limit(PAGE)]


async def newer(db, seqs: dict[Any, int]) -> list[dict]:
    """For the poll of a process: every event after ``seqs[site_id]`` of each site named."""
    if not seqs:
        return []
    clauses = [{"site_id": site_id, "seq": {"$gt": seq}} for site_id, seq in seqs.items()]
    query = clauses[0] if len(clauses) == 1 else {"$or": clauses}
    return [e async for e in db.events.find(query).sort("seq", 1).limit(PAGE * len(clauses))]


# --- what writes an event ---------------------------------------------------------


async def post_published(db, site_id: Any, post: dict) -> None:
    """A post readers did not see is now shown (or will be at its ``published_at``)."""
    if post.get("type") != "post" or post.get("status") != "published":
        return
    author = await db.users.find_one({"_id": post.get("author_id")}, {"username": 1})
    data = {"id": str(post["_id"]), "title": post.get("title", ""), "url": "/posts/%s" % post["slug"],
            "tags": list(post.get("tag_slugs") or []), "author": (author or {}).get("username", "")}
    at = post.get("published_at")
    await Events(db, site_id).add("posts", "published", "published:%s:%s" % (post["_id"], post.get("version")),
                                  data, at=aware(at) if at else None)


async def comment_approved(db, site_id: Any, post_id: Any, comment: dict) -> None:
    """A comment now shown under its post."""
    await Events(db, site_id).add("post:%s" % post_id, "comment", "comment:%s" % comment["_id"],
                                  {"post": str(post_id), "id": str(comment["_id"])})


# --- the editor's channel (cms/live/admin.py): never a reader's -----------------------


def admin_channel(post_id: Any) -> str:
    return "admin:post:%s" % post_id


async def editors_changed(db, site_id: Any, post_id: Any) -> None:
    """Someone opened or closed the post in the editor: its open editors look again."""
    await Events(db, site_id).add(admin_channel(post_id), "editors", "editors:%s" % new_id(), {})


async def post_saved(db, site_id: Any, post: dict, by: dict, tab: str) -> None:
    """A new version of the post was saved (by ``by``, from the editor tab ``tab``)."""
    data = {"version": post["version"], "by": by.get("name") or "Someone", "by_id": str(by["_id"]), "tab": tab}
    await Events(db, site_id).add(admin_channel(post["_id"]), "saved", "saved:%s:%s" % (post["_id"], post["version"]),
                                  data)
