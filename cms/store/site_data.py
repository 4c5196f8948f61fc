"""A whole site's data, read in batches and written back as it was: the door for export and restore.

`cms.export` turns a site into an archive and back. It must not hold a
large site in memory, nor touch a raw collection, so this store gives it
what it needs, always scoped to one site (`Scoped`):

* async iterators over the site's posts, revisions, media items, redirects and
  the raw comments imports keep, read
  by ``_id`` through one cursor that fetches `BATCH` documents at a time (one
  query per batch by ``_id > last`` was tried: the embedded server answers each
  such query by reading the whole collection, so an export of 4,000 posts took
  17 s to read instead of 1);
* the people a site refers to (members, authors, editors), without any
  secret: no password hash, session or token leaves this module;
* the writes a restore needs beyond an ordinary save: a post's dates,
  version and history as they were in the archive (`restore_post`,
  `add_revision`), and the removal of what a failed restore wrote (`clear`).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator, Iterable

from cms.store.ids import new_id
from cms.store.scoped import Scoped

BATCH = 50
SLICE = 0.005  # seconds of a caller's work on documents between two turns of the event loop
# What a person's export shows: who they are on the platform, never how they sign in.
PUBLIC_PERSON = {"email": 1, "name": 1, "username": 1, "bio": 1}


class SiteData:
    """Everything of one site, for `cms.export`."""

    def __init__(self, db, site_id: Any, batch: int = BATCH) -> None:
        self.site_id = site_id
        self._db = db
        self._batch = batch
        self._turn = time.monotonic()
        self._posts = Scoped(db.posts, site_id)
        self._revisions = Scoped(db.revisions, site_id, affects_pages=False)
        self._items = Scoped(db.media_items, site_id, affects_pages=False)
        self._memberships = Scoped(db.memberships, site_id)
        self._redirects = Scoped(db.redirects, site_id)
        self._imported = Scoped(db.imported_comments, site_id, affects_pages=False)
        self._comments = Scoped(db.comments, site_id, affects_pages=False)  # read here; written by cms.store.comments

    async def _batches(self, scoped: Scoped, filter: dict | None = None,
                       projection: dict | None = None) -> AsyncIterator[dict]:
        """Every matching document by ``_id``, `BATCH` at a time from the server."""
        cursor = scoped.find(filter or {}, projection).sort("_id", 1).batch_size(self._batch)
        try:
            async for document in cursor:
                # What the caller does with each document (encoding, compressing, sanitising) must
                # not hold up other requests for a whole batch: a turn for the event loop every
                # `SLICE` seconds of it (a turn after every document would slow a busy site's export).
                if time.monotonic() - self._turn > SLICE:
                    await asyncio.sleep(0)
                    self._turn = time.monotonic()
                yield document
        finally:
            await cursor.close()  # a caller that stops early (a failed export) leaves no cursor open

    def posts(self) -> AsyncIterator[dict]:
        """Every post and page of the site, whatever its state, but those in the Trash
        (cms/store/trash.py): deleted as far as their authors know, and no format has them."""
        return self._batches(self._posts, {"status": {"$ne": "trashed"}})

    def revisions(self) -> AsyncIterator[dict]:
        return self._batches(self._revisions)

    def media_items(self) -> AsyncIterator[dict]:
        return self._batches(self._items)

    def redirects(self) -> AsyncIterator[dict]:
        return self._batches(self._redirects)

    def imported_comments(self) -> AsyncIterator[dict]:
        """Approved comments that came with imported posts (cms/store/imports.py), kept raw."""
        return self._batches(self._imported)

    async def has_comments(self) -> bool:
        """Whether the site has readers' comments (cms/store/comments.py) at all."""
        return await self._comments.find_one({}, {"_id": 1}) is not None

    async def comments_of(self, post_id: Any) -> list[dict]:
        """Every comment of one post, whatever its status, oldest first."""
        return [c async for c in self._comments.find({"post_id": post_id}).sort([("created", 1), ("_id", 1)])]

    async def site(self) -> dict | None:
        """The site's document as stored now (a `SiteStore` carries the one read with the request)."""
        return await self._db.sites.find_one({"_id": self.site_id})

    async def counts(self) -> dict[str, int]:
        """How much the site holds: posts and pages, and media items."""
        return {"posts": await self._posts.count_documents({"status": {"$ne": "trashed"}}), "media": await self._items.count_documents({})}

    async def referenced_people(self) -> set[Any]:
        """The ids of everyone the site's content names: authors, editors, uploaders."""
        ids: set[Any] = set()
        for scoped, field in ((self._posts, "author_id"), (self._posts, "updated_by"),
                              (self._revisions, "saved_by"), (self._items, "uploaded_by"),
                              (self._comments, "user_id")):
            ids.update(value for value in await scoped.distinct(field) if isinstance(value, str))
        return ids

    async def memberships(self) -> list[dict]:
        """``{"user_id", "role", "created_at"}`` of every member (a site has few)."""
        return [m async for m in self._memberships.find({}, {"user_id": 1, "role": 1, "created_at": 1})]

    async def people(self, user_ids: Iterable[Any]) -> dict[Any, dict]:
        """id -> ``{"email", "name", "username", "bio"}`` of those users: nothing that signs anyone in."""
        ids = list(dict.fromkeys(i for i in user_ids if i is not None))
        found: dict[Any, dict] = {}
        for start in range(0, len(ids), self._batch):
            async for user in self._db.users.find({"_id": {"$in": ids[start:start + self._batch]}}, PUBLIC_PERSON):
                found[user["_id"]] = user
        return found

    # --- restoring ------------------------------------------------------------------

    async def restore_post(self, post: dict, fields: dict) -> dict:
        """The new ``post`` with what an ordinary save cannot set (dates, version, editor) as archived.

        A whole-document replace, not ``$set``: the embedded server stores a
        datetime written by ``$set`` as a string (tests/http/test_admin_revisions.py).
        """
        restored = {**post, **fields}
        await self._posts.replace_one({"_id": post["_id"]}, restored)
        return restored

    async def restore_media_item(self, item_id: Any, fields: dict) -> None:
        """Give a restored media item its archived alt text and upload time (a replace, as for posts)."""
        item = await self._items.find_one({"_id": item_id})
        if item is not None:
            await self._items.replace_one({"_id": item_id}, {**item, **fields})

    async def forget_revisions(self) -> None:
        """Drop the revisions the restore's own saves wrote, before the archived history goes in."""
        await self._revisions.delete_many({})

    async def add_revision(self, revision: dict) -> None:
        await self._revisions.insert_one({**revision, "_id": new_id()})

    async def clear(self, member_ids: Iterable[Any]) -> None:
        """Remove the posts, revisions, comments and media a failed restore wrote, and the memberships it added."""
        from cms.store.media import Media  # media imports the stores this module sits beside

        await self._posts.delete_many({})
        await self._revisions.delete_many({})
        await self._comments.delete_many({})
        await self._imported.delete_many({})
        media = Media(self._db, self.site_id)
        for item_id in [item["_id"] async for item in self._items.find({}, {"_id": 1})]:
            await media.delete(item_id)  # one by one: the site's storage counters go down with them
        ids = list(member_ids)
        if ids:
            await self._memberships.delete_many({"user_id": {"$in": ids}})
