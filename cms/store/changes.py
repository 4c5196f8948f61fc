"""Change counters: one per site, plus one for platform-wide data.

Every write to a site's data moves its counter (`Scoped` does it); every
write to sites and people moves the platform's. Caches in any process keep
an entry only while the counters they saw are unchanged, so N processes
agree without talking to each other.
"""

from __future__ import annotations

from typing import Any

import pymongo

PLATFORM = "_platform"  # the counter of platform-wide data (sites, domains, people)


class Changes:
    def __init__(self, db) -> None:
        self._collection = db.changes

    async def bump(self, site_id: Any, session: Any = None) -> int:
        for attempt in (1, 2):
            try:
                doc = await self._collection.find_one_and_update(
                    {"site_id": site_id},
                    {"$inc": {"n": 1}},
                    upsert=True,
                    return_document=pymongo.ReturnDocument.AFTER,
                    session=session,
                )
            except pymongo.errors.DuplicateKeyError:
                doc = None
            if doc is not None:
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
