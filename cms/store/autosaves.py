"""Autosaves: what an author typed but has not saved yet, one per person and post.

An autosave never touches the post itself (so it can never publish anything);
the editor offers it back when it is newer than the stored post.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pymongo

from cms.store.scoped import Scoped

MAX_FIELD = 500_000


class Autosaves:
    def __init__(self, db, site_id: Any) -> None:
        self._autosaves = Scoped(db.autosaves, site_id, affects_pages=False)

    async def save(self, post_id: str, user_id: Any, fields: dict[str, str]) -> dt.datetime:
        now = dt.datetime.now(dt.timezone.utc)
        data = {key: str(value)[:MAX_FIELD] for key, value in fields.items()}
        # A whole-document replace: nx-27017 turns datetimes written by $set into strings.
        await self._autosaves.find_one_and_replace(
            {"post_id": post_id, "user_id": user_id},
            {"post_id": post_id, "user_id": user_id, "fields": data, "saved_at": now},
            upsert=True,
            return_document=pymongo.ReturnDocument.AFTER,
        )
        return now

    async def get(self, post_id: str, user_id: Any) -> dict | None:
        return await self._autosaves.find_one({"post_id": post_id, "user_id": user_id})

    async def discard(self, post_id: str, user_id: Any) -> None:
        await self._autosaves.delete_one({"post_id": post_id, "user_id": user_id})
