"""`Scoped`: a collection seen through one site.

The one place where tenant isolation is enforced for reads and writes: the
``site_id`` is merged into every filter (overriding any the caller passed) and
stamped on every inserted document. It is also where every write moves the
site's change counter (`cms.store.changes`), so cached pages of the site are
dropped in every process; stores of data readers never see (autosaves,
revisions, invitations) say so with ``affects_pages=False``.

Writes to ``posts`` are also stamped with the time they were made
(`STAMP`, milliseconds), and a delete of a published post is recorded on the
site's change document (`RESET`): a process's listing of the site's posts
(`cms.store.listing`) then catches up by reading only what changed since it
was built, instead of every post of the site.

`find_one_and_modify` is the one place that works around a gap of the embedded
server: its ``find_one_and_replace``/``find_one_and_update`` return None where
MongoDB raises DuplicateKeyError (tests/http/test_embedded_database.py).
"""

from __future__ import annotations

import time
from typing import Any, Mapping

import pymongo

from cms.store.changes import Changes

STAMPED = "posts"  # the collection whose writes are stamped, for cms.store.listing
STAMP = "changed_ms"  # when a post was last written (ms since the epoch, the writer's clock)
RESET = "listing_reset_ms"  # on a site's change document: when published posts were last deleted


def now_ms() -> int:
    return int(time.time() * 1000)


def stamped_update(update: Any) -> Any:
    """``update`` (operators or a pipeline) that also sets `STAMP`."""
    if isinstance(update, list):
        return [*update, {"$set": {STAMP: now_ms()}}]
    return {**update, "$set": {**update.get("$set", {}), STAMP: now_ms()}}


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
        self._stamped = collection.name == STAMPED

    def _stamp(self, document: dict) -> dict:
        document["site_id"] = self.site_id
        if self._stamped:
            document[STAMP] = now_ms()
        return document

    def _stamp_update(self, update: Any) -> Any:
        return stamped_update(update) if self._stamped else update

    async def _deleting(self, filter: Mapping[str, Any], **kwargs: Any) -> None:
        """Before a delete of posts: when it may take a published one, record that
        listings must be read whole again (a delete leaves no stamp to catch up on).
        Written before the delete, so a listing read in between is read again too."""
        if self._stamped and await self.collection.find_one(
                {**self.scope(filter), "status": "published"}, {"_id": 1}, session=kwargs.get("session")):
            await self.collection.database.changes.update_one(
                {"site_id": self.site_id}, {"$set": {RESET: now_ms()}}, upsert=True, session=kwargs.get("session"))

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
        self._stamp(document)
        return await self._changed(await self.collection.insert_one(document, **kwargs))

    async def insert_many(self, documents: list[dict], **kwargs: Any):
        """Many documents in one write (one bump of the change counter for them all)."""
        for document in documents:
            self._stamp(document)
        return await self._changed(await self.collection.insert_many(documents, **kwargs))

    async def update_one(self, filter: Mapping[str, Any], update: Mapping[str, Any], **kwargs: Any):
        return await self._changed(await self.collection.update_one(self.scope(filter), self._stamp_update(update), **kwargs))

    async def update_many(self, filter: Mapping[str, Any], update: Mapping[str, Any], **kwargs: Any):
        return await self._changed(await self.collection.update_many(self.scope(filter), self._stamp_update(update),
                                                                     **kwargs))

    async def find_one_and_update(self, filter: Mapping[str, Any], update: Mapping[str, Any], **kwargs: Any):
        return await self._changed(await find_one_and_modify(
            self.collection, "find_one_and_update", self.scope(filter), self._stamp_update(update), **kwargs))

    async def find_one_and_replace(self, filter: Mapping[str, Any], replacement: dict, **kwargs: Any):
        self._stamp(replacement)
        return await self._changed(await find_one_and_modify(
            self.collection, "find_one_and_replace", self.scope(filter), replacement, **kwargs))

    async def replace_one(self, filter: Mapping[str, Any], replacement: dict, **kwargs: Any):
        self._stamp(replacement)
        return await self._changed(await self.collection.replace_one(self.scope(filter), replacement, **kwargs))

    async def find_one_and_delete(self, filter: Mapping[str, Any], **kwargs: Any):
        await self._deleting(filter, **kwargs)
        return await self._changed(await self.collection.find_one_and_delete(self.scope(filter), **kwargs))

    async def delete_one(self, filter: Mapping[str, Any], **kwargs: Any):
        await self._deleting(filter, **kwargs)
        return await self._changed(await self.collection.delete_one(self.scope(filter), **kwargs))

    async def delete_many(self, filter: Mapping[str, Any] | None = None, **kwargs: Any):
        await self._deleting(filter or {}, **kwargs)
        return await self._changed(await self.collection.delete_many(self.scope(filter), **kwargs))
