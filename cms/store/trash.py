"""The Trash of one site: deleted posts and pages, kept ``CMS_TRASH_DAYS`` (30) days.

Deleting a post moves it here rather than removing it, so a slip of the mouse
costs nothing. A trashed post has ``status`` "trashed": every reader query asks
for ``status: "published"`` (lists, the post page, feeds, sitemap, search, the
site's listing in cms/store/listing.py, comments), so none can show it, and
`Posts.get` leaves it out, so the editor, autosave and history answer 404
for it and an editor left open cannot save it back to life.

Its slug is set aside (``trashed_slug``) and the stored one made unique, so
the address is free for a new post meanwhile; a restored post gets its slug
back unless another took it, then the first free ``slug-N``. Moving in and out
is a save like an edit (cms/store/saving.py): a new version with its revision,
and the site's change counter moved, so kept reader pages drop it everywhere.

Purging (by hand, or the sweep after the keeping time) removes the post, its
revisions, autosaves and comments. Media files are never removed with it: the
Media page flags files used only by trashed posts.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pymongo

from cms.store.errors import Invalid, NotFound
from cms.store.ids import new_id
from cms.store.posts import first_free_slug
from cms.store.saving import Saver, shown
from cms.store.scoped import Scoped, find_one_and_modify

log = logging.getLogger(__name__)

TRASHED = "trashed"
DAYS = 30
SLUG_TRIES = 20


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def parked_slug(post: dict) -> str:
    """The slug a trashed post is stored under: unique (its id), never a valid input slug."""
    return "%s~trashed~%s" % (post["slug"][:80], post["_id"])


class Trash:
    """Moves one site's posts and pages into the Trash, back out, and away for good."""

    def __init__(self, db, site_id: Any) -> None:
        self._db, self._site_id = db, site_id
        self._posts = Scoped(db.posts, site_id)
        self._saver = Saver(db, site_id)

    async def _live(self, post_id: Any) -> dict | None:
        if not isinstance(post_id, str):
            return None
        return await self._posts.find_one({"_id": post_id, "status": {"$ne": TRASHED}})

    async def get(self, post_id: Any) -> dict | None:
        """A trashed post or page of this site by id (None for another site's or a live one)."""
        if not isinstance(post_id, str):
            return None
        return await self._posts.find_one({"_id": post_id, "status": TRASHED})

    async def by_slug(self, type: str, slug: str, trashed: bool) -> dict | None:
        """The live post (``trashed`` False) or the most recently trashed one with this slug."""
        if not trashed:
            return await self._posts.find_one({"type": type, "slug": slug, "status": {"$ne": TRASHED}})
        cursor = self._posts.find({"type": type, "trashed_slug": slug, "status": TRASHED}).sort("trashed_at", -1)
        return next(iter(await cursor.to_list(1)), None)

    async def trash(self, post_id: Any, by: Any = None) -> dict:
        """Move a post or page to the Trash; `NotFound` when this site has no such live one."""
        for _ in range(5):  # a save that lands in between: read it again and trash that
            current = await self._live(post_id)
            if current is None:
                raise NotFound("no such post")
            trashed = {**current, "status": TRASHED, "trashed_status": current["status"],
                       "trashed_slug": current["slug"], "slug": parked_slug(current), "trashed_at": utcnow(),
                       "trashed_by": by, "updated_by": by or current.get("updated_by"),
                       "version": current["version"] + 1, "save_id": new_id()}
            saved = await self._saver.replace(trashed, current["version"], was_shown=shown(current))
            if saved is not None:
                log.info("site %s: %s %s moved to the Trash", self._site_id, current["type"], current["_id"])
                return saved
        raise Invalid("this post keeps changing: try again")

    async def restore(self, post_id: Any, by: Any = None) -> tuple[dict, bool]:
        """Bring a post back as it was (draft stays draft, published is published again).

        Returns ``(post, moved)``: ``moved`` when its slug was taken meanwhile and
        it got the first free one instead (the author is told).
        """
        current = await self.get(post_id)
        if current is None:
            raise NotFound("no such post in the Trash")
        wanted = current.get("trashed_slug") or current["slug"].split("~", 1)[0]
        restored = {key: value for key, value in current.items()
                    if key not in ("trashed_status", "trashed_slug", "trashed_at", "trashed_by")}
        restored.update(status=current.get("trashed_status") or "draft", updated_by=by or current.get("updated_by"),
                        version=current["version"] + 1, save_id=new_id())
        for _ in range(SLUG_TRIES):
            restored["slug"] = await first_free_slug(self._posts, current["type"], wanted)
            try:
                saved = await self._saver.replace(restored, current["version"], was_shown=False)
            except pymongo.errors.DuplicateKeyError:
                continue  # another post took that slug just now: the next free one
            if saved is None:
                raise NotFound("no such post in the Trash")  # restored or purged just now
            log.info("site %s: %s %s restored from the Trash", self._site_id, saved["type"], saved["_id"])
            return saved, saved["slug"] != wanted
        raise Invalid("no free slug to restore this post under: try again")

    async def purge(self, post_id: Any) -> dict:
        """Delete a trashed post for good, with its revisions, autosaves and comments."""
        post = await self._posts.find_one_and_delete({"_id": post_id, "status": TRASHED}) \
            if isinstance(post_id, str) else None
        if post is None:
            raise NotFound("no such post in the Trash")
        for name in ("revisions", "autosaves", "comments"):
            await Scoped(self._db[name], self._site_id, affects_pages=False).delete_many({"post_id": post["_id"]})
        log.info("site %s: %s %s deleted for good", self._site_id, post["type"], post["_id"])
        return post

    async def empty(self, older_than: dt.datetime | None = None) -> int:
        """Purge every trashed post (trashed before ``older_than``, if given); how many went."""
        filter: dict[str, Any] = {"status": TRASHED}
        if older_than is not None:
            filter["trashed_at"] = {"$lt": older_than}
        ids = [post["_id"] async for post in self._posts.find(filter, {"_id": 1})]
        gone = 0
        for post_id in ids:
            try:
                await self.purge(post_id)
                gone += 1
            except NotFound:
                pass  # restored or purged by someone else meanwhile
        return gone

    async def list(self, type: str | None = None) -> list[dict]:
        """The trashed posts and pages, most recently trashed first."""
        filter: dict[str, Any] = {"status": TRASHED}
        if type:
            filter["type"] = type
        cursor = self._posts.find(filter, {"markdown": 0, "html": 0, "toc": 0}).sort([("trashed_at", -1)])
        return [post async for post in cursor]

    async def counts(self) -> dict[str, int]:
        return {kind: await self._posts.count_documents({"type": kind, "status": TRASHED}) for kind in ("post", "page")}


async def take_turn(db, job: str, every: dt.timedelta, now: dt.datetime | None = None) -> bool:
    """True for the one process, of all those sharing ``db``, whose turn it is to run ``job``
    now; the next turn comes ``every`` later. The turn is one atomic replace that only the
    first process to ask wins (a whole replace: nx-27017 would store a ``$set`` datetime as a string)."""
    now = now or utcnow()
    try:
        await db.jobs.insert_one({"_id": job, "next": now + every})
        return True  # the first turn ever
    except pymongo.errors.DuplicateKeyError:
        pass
    taken = await find_one_and_modify(db.jobs, "find_one_and_replace", {"_id": job, "next": {"$lte": now}},
                                      {"_id": job, "next": now + every})
    return taken is not None


async def sweep(db, days: int = DAYS, now: dt.datetime | None = None) -> int:
    """Purge, on every site, what has been in the Trash longer than ``days``; how many went.

    Safe to run in many processes at once: a purge is a delete that only one wins.
    """
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    site_ids = await db.posts.distinct("site_id", {"status": TRASHED, "trashed_at": {"$lt": cutoff}})
    gone = 0
    for site_id in site_ids:
        gone += await Trash(db, site_id).empty(older_than=cutoff)
    if gone:
        log.info("trash sweep: %d posts and pages kept over %d days deleted for good", gone, days)
    return gone
