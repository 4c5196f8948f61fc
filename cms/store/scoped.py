"""`Scoped`: a collection seen through one site.

The one place where tenant isolation is enforced for reads and writes: the
``site_id`` is merged into every filter (overriding any the caller passed) and
stamped on every inserted document. It is also where every write moves the
site's change counter (`cms.store.changes`), so cached pages of the site are
dropped in every process; stores of data readers never see (autosaves,
revisions, invitations) say so with ``affects_pages=False``.
"""

from __future__ import annotations

from typing import Any, Mapping

from cms.store.changes import Changes


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

    async def update_one(self, filter: Mapping[str, Any], update: Mapping[str, Any], **kwargs: Any):
        return await self._changed(await self.collection.update_one(self.scope(filter), update, **kwargs))

    async def find_one_and_update(self, filter: Mapping[str, Any], update: Mapping[str, Any], **kwargs: Any):
        return await self._changed(await self.collection.find_one_and_update(self.scope(filter), update, **kwargs))

    async def find_one_and_replace(self, filter: Mapping[str, Any], replacement: dict, **kwargs: Any):
        replacement["site_id"] = self.site_id
        return await self._changed(await self.collection.find_one_and_replace(self.scope(filter), replacement, **kwargs))

    async def find_one_and_delete(self, filter: Mapping[str, Any], **kwargs: Any):
        return await self._changed(await self.collection.find_one_and_delete(self.scope(filter), **kwargs))

    async def delete_one(self, filter: Mapping[str, Any], **kwargs: Any):
        return await self._changed(await self.collection.delete_one(self.scope(filter), **kwargs))

    async def delete_many(self, filter: Mapping[str, Any] | None = None, **kwargs: Any):
        return await self._changed(await self.collection.delete_many(self.scope(filter), **kwargs))
