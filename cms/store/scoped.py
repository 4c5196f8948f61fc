"""`Scoped`: a collection seen through one site.

The one place where tenant isolation is enforced for reads and writes: the
``site_id`` is merged into every filter (overriding any the caller passed) and
stamped on every inserted document. It is also where every write moves the
site's change counter (`cms.store.changes`), so cached pages of the site are
dropped in every process; stores of data readers never see (autosaves,
revisions, invitations) say so with ``affects_pages=False``.

`find_one_and_modify` is the one place that works around a gap of the embedded
server: its ``find_one_and_replace``/``find_one_and_update`` return None where
MongoDB raises DuplicateKeyError (tests/http/test_embedded_database.py).
"""

from __future__ import annotations

from typing import Any, Mapping

import pymongo

from cms.store.changes import Changes


async def find_one_and_modify(collection, method: str, filter: Mapping[str, Any], document: Mapping[str, Any],
                              **kwargs: Any) -> Any:
    """``collection.<method>(filter, document, **kwargs)`` ("find_one_and_replace" or
    "find_one_and_update"), raising DuplicateKeyError as MongoDB does when a
    unique index refuses the write.

    nx-27017 answers None then, as if nothing matched. So when there is no
    answer and a document does match, the write was refused: only a unique
    index refuses a matching write here. On MongoDB that check runs only on a
    miss, and finds nothing.
    """
    found = await getattr(collection, method)(filter, document, **kwargs)
    if found is None and not kwargs.get("upsert"):
        if await collection.find_one(filter, {"_id": 1}, session=kwargs.get("session")) is not None:
            raise pymongo.errors.DuplicateKeyError(
                "E11000 duplicate key error: a unique index refused the write", 11000)
    return found


class Scoped:
    def __init__(self, collection, site_id: Any, affects_pages: bool = True) -> None:
        self.collection = collection
        self.site_id = site_id
        self._changes = Changes(collection.database) if affects_pages else None

    async def _changed(self, result: Any) -> Any:
        if self._changes is not None:
            await self._changes.bump(self.site_id)
        return result

    def scope(self, filter: Mapping[str, Any] | None = None) -> dict:
        return {**(filter or {}), "site_id": self.site_id}

    def find(self, filter: Mapping[str, Any] | None = None, *args: Any, **kwargs: Any):
        return self.collection.find(self.scope(filter), *args, **kwargs)

    async def find_one(self, filter: Mapping[str, Any] | None = None, *args: Any, **kwargs: Any):
        return await self.collection.find_one(self.scope(filter), *args, **kwargs)

    async def count_documents(self, filter: Mapping[str, Any] | None = None, **kwargs: Any) -> int:
        return await self.collection.count_documents(self.scope(filter), **kwargs)

    async def distinct(self, key: str, filter: Mapping[str, Any] | None = None) -> list:
        return await self.collection.distinct(key, self.scope(filter))

    def aggregate(self, pipeline: list[dict], **kwargs: Any):
        # The scope goes first, so later stages only ever see this site's rows.
        first = {"$match": self.scope()}
        return self.collection.aggregate([first, *pipeline], **kwargs)

    async def insert_one(self, document: dict, **kwargs: Any):
        document["site_id"] = self.site_id
        return await self._changed(await self.collection.insert_one(document, **kwargs))

    async def insert_many(self, documents: list[dict], **kwargs: Any):
        """Many documents in one write (one bump of the change counter for them all)."""
        for document in documents:
            document["site_id"] = self.site_id
        return await self._changed(await self.collection.insert_many(documents, **kwargs))

    async def update_one(self, filter: Mapping[str, Any], update: Mapping[str, Any], **kwargs: Any):
        return await self._changed(await self.collection.update_one(self.scope(filter), update, **kwargs))

    async def update_many(self, filter: Mapping[str, Any], update: Mapping[str, Any], **kwargs: Any):
        return await self._changed(await self.collection.update_many(self.scope(filter), update, **kwargs))

    async def find_one_and_update(self, filter: Mapping[str, Any], update: Mapping[str, Any], **kwargs: Any):
        return await self._changed(await find_one_and_modify(
            self.collection, "find_one_and_update", self.scope(filter), update, **kwargs))

    async def find_one_and_replace(self, filter: Mapping[str, Any], replacement: dict, **kwargs: Any):
        replacement["site_id"] = self.site_id
        return await self._changed(await find_one_and_modify(
            self.collection, "find_one_and_replace", self.scope(filter), replacement, **kwargs))

    async def replace_one(self, filter: Mapping[str, Any], replacement: dict, **kwargs: Any):
        replacement["site_id"] = self.site_id
        return await self._changed(await self.collection.replace_one(self.scope(filter), replacement, **kwargs))

    async def find_one_and_delete(self, filter: Mapping[str, Any], **kwargs: Any):
        return await self._changed(await self.collection.find_one_and_delete(self.scope(filter), **kwargs))

    async def delete_one(self, filter: Mapping[str, Any], **kwargs: Any):
        return await self._changed(await self.collection.delete_one(self.scope(filter), **kwargs))

    async def delete_many(self, filter: Mapping[str, Any] | None = None, **kwargs: Any):
        return await self._changed(await self.collection.delete_many(self.scope(filter), **kwargs))
