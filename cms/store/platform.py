"""The platform's own record: which platform a database holds, and at which schema version.

One small collection, ``platform``, with two documents: ``identity`` (an id
made when the platform was created; `cms.identity` keeps a copy of it beside
the database files) and ``schema`` (the version of the data model the
documents are in; `cms.migrations` moves it forward).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pymongo

# Collections that only a platform in use has documents in.
_CONTENT = ("sites", "users", "posts", "memberships")


class Platform:
    def __init__(self, db) -> None:
        self.db = db
        self._collection = db.platform

    async def identity(self) -> str | None:
        """The platform's id, or None for a database that has none (yet)."""
        doc = await self._collection.find_one({"_id": "identity"})
        return doc["platform_id"] if doc else None

    async def create_identity(self, platform_id: str | None = None) -> str:
        """Record the platform's id (a new one unless given); an id already there wins."""
        wanted = platform_id or uuid.uuid4().hex
        try:
            await self._collection.insert_one(
                {"_id": "identity", "platform_id": wanted, "created_at": dt.datetime.now(dt.timezone.utc)})
        except pymongo.errors.DuplicateKeyError:  # another process was first
            pass
        found = await self.identity()
        assert found is not None
        return found

    async def has_content(self) -> bool:
        """True when any site, person, membership or post is stored."""
        for name in _CONTENT:
            if await self.db[name].find_one({}, {"_id": 1}) is not None:
                return True
        return False

    async def schema_version(self) -> int:
        """The version of the data model the database is in; 0 before versions were recorded."""
        doc = await self._collection.find_one({"_id": "schema"})
        return int(doc["version"]) if doc else 0

    async def set_schema_version(self, version: int) -> None:
        """Move the recorded version forward (never back: `$max`, so racing starts agree)."""
        now: Any = dt.datetime.now(dt.timezone.utc)
        await self._collection.update_one(
            {"_id": "schema"}, {"$max": {"version": version}, "$set": {"migrated_at": now}}, upsert=True)
