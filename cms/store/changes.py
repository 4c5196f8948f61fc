"""Change counters: one per site, plus one for platform-wide data.

Every write to a site's data moves its counter (`Scoped` does it); every
write to sites and people moves the platform's. Caches in any process keep
an entry only while the counters they saw are unchanged, so N processes
agree without talking to each other. Each process reads the counters in one
background poll (`cms.changewatch`); a bump is also told to the listeners of
this process at once, so the process that wrote never serves what it changed.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

import pymongo

PLATFORM = "_platform"  # the counter of platform-wide data (sites, domains, people)

# (database, site_id, n, s) for every bump made in this process. Bound
# methods are held weakly: an application that is dropped stops listening.
Listener = Callable[[Any, Any, int, int], None]
_listeners: list[weakref.WeakMethod] = []


def add_listener(method: Listener) -> None:
    _listeners.append(weakref.WeakMethod(method))


def remove_listener(method: Listener) -> None:
    _listeners[:] = [ref for ref in _listeners if ref() not in (None, method)]


def _tell(db: Any, site_id: Any, n: int, s: int) -> None:
    live = [listener for listener in (ref() for ref in list(_listeners)) if listener is not None]
    if len(live) < len(_listeners):
        _listeners[:] = [ref for ref in _listeners if ref() is not None]
    for listener in live:
        listener(db, site_id, n, s)


class Changes:
    def __init__(self, db) -> None:
        self._collection = db.changes

    async def bump(self, site_id: Any, session: Any = None, structural: bool = True) -> int:
        """Move the site's counter ``n``; unless the change is one post's own content
        only (``structural=False``), also ``s``, which the kept pages of every post
        and page of the site follow (see `cms.handlers.base.SiteHandler`)."""
        for attempt in (1, 2):
            try:
                doc = await self._collection.find_one_and_update(
                    {"site_id": site_id},
                    {"$inc": {"n": 1, "s": 1} if structural else {"n": 1}},
                    upsert=True,
                    return_document=pymongo.ReturnDocument.AFTER,
                    session=session,
                )
            except pymongo.errors.DuplicateKeyError:
                doc = None
            if doc is not None:
                if session is None or not session.in_transaction:
                    _tell(self._collection.database, site_id, doc["n"], doc.get("s", 0))
                # else: not before the commit (a page rendered in between would be
                # kept under the new counter with the old data); the poll brings it.
                return doc["n"]
            # Two first bumps raced to create the counter (MongoDB raises
            # DuplicateKeyError, nx-27017 answers None); the second one now
            # finds it and increments it.
            if attempt == 2:
                raise pymongo.errors.DuplicateKeyError("the change counter of %s could not be created" % site_id, 11000)
        raise AssertionError("unreachable")

    async def current(self, site_id: Any) -> int:
        doc = await self._collection.find_one({"site_id": site_id})
        return doc["n"] if doc else 0

    async def stamp(self, site_id: Any) -> tuple[int, int]:
        """(this site's counter, the platform's), in one query."""
        found = {doc["site_id"]: doc["n"] async for doc in self._collection.find(
            {"site_id": {"$in": [site_id, PLATFORM]}}, {"site_id": 1, "n": 1})}
        return found.get(site_id, 0), found.get(PLATFORM, 0)
