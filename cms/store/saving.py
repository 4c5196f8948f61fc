"""One save of a post as one step: its revision, the post itself, the change counter.

A save makes three writes. Where the server has multi-document transactions
(a MongoDB replica set or sharded cluster) they are one transaction. Where it
has none (the embedded nx-27017, a standalone mongod) they are ordered so that
a crash between any two leaves nothing a reader or the history shows wrong:

1. the revision, keyed by the version the post is about to become. Until the
   post has that version the history does not show it (`Revisions.list` stops
   at the post's version), and the next attempt overwrites it;
2. the post, with its version check: this write is the save;
3. the site's change counter, so kept pages are dropped in every process --
   only when readers see the post before or after the save (`shown`): a
   draft's save or its autosave leaves every kept reader page in place.

A save whose client never heard back (the database died after step 2) is sent
again by the client with the same base version and content; `Posts.update`
recognises it as done and runs the steps after the save again (`finish`).
"""

from __future__ import annotations

import datetime as dt
import logging
import weakref
from typing import Any, Awaitable, Callable, ClassVar

from cms.store.changes import Changes
from cms.store.revisions import Revisions
from cms.store.scoped import Scoped

log = logging.getLogger(__name__)

_transactions: "weakref.WeakKeyDictionary[Any, bool]" = weakref.WeakKeyDictionary()


async def supports_transactions(db) -> bool:
    """True when the server runs multi-document transactions: a replica set member or a mongos.

    Asked once per client (``hello``). A standalone server (nx-27017 among
    them) answers without ``setName``, and a transaction there would fail.
    """
    client = db.client
    if client not in _transactions:
        hello = await db.command("hello")
        replicated = "setName" in hello or hello.get("msg") == "isdbgrid"
        _transactions[client] = replicated and "logicalSessionTimeoutMinutes" in hello
        log.info("database transactions: %s", "yes" if _transactions[client] else "no, ordered writes")
    return _transactions[client]


def shown(post: dict) -> bool:
    """Whether reader pages show the post, now or when its time comes (scheduled
    posts count: kept pages expire at the next publication time)."""
    return post.get("status") == "published"


# What the pages of other posts show of a post (their neighbour links, the
# sidebar's newest posts and tag cloud) or where it sits in the lists: a save
# that changes none of these is one post's own content, and leaves the kept
# pages of the site's other posts in place (`Changes.bump`'s ``structural``).
STRUCTURE = ("type", "status", "slug", "title", "published_at", "tags", "tag_slugs", "author_id")


def structural(before: dict | None, after: dict) -> bool:
    return before is None or any(_stored(before.get(field)) != _stored(after.get(field)) for field in STRUCTURE)


def _stored(value: Any) -> Any:
    """A datetime as the database keeps it (to the millisecond), so a time read back compares equal."""
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value


class _Stale(Exception):
    """The version check failed inside a transaction: abort it (nothing is written)."""


class Saver:
    """Writes a new version of a post of one site, as described in the module docstring."""

    # Awaited with the name of each write once it is done ("revision", "post"): where a
    # test stops the database to prove that a crash there leaves a consistent state.
    between_writes: ClassVar[Callable[[str], Awaitable[None]] | None] = None

    def __init__(self, db, site_id: Any) -> None:
        self._db = db
        self._site_id = site_id
        # The counter is a step of its own here, not a side effect of the post write.
        self._posts = Scoped(db.posts, site_id, affects_pages=False)
        self._changes = Changes(db)
        self.revisions = Revisions(db, site_id)

    async def _step(self, done: str) -> None:
        if Saver.between_writes is not None:
            await Saver.between_writes(done)

    async def insert(self, post: dict) -> dict:
        """Store a new post (version 1). DuplicateKeyError when its slug is taken."""

        async def steps(session) -> dict:
            await self.revisions.prepare(post, session=session)
            await self._step("revision")
            await self._posts.insert_one(post, session=session)
            await self._step("post")
            if shown(post):
                await self._changes.bump(self._site_id, session=session)
            return post

        return await self._run(steps)

    async def replace(self, post: dict, expected_version: int, was_shown: bool = True,
                      structure: bool = True) -> dict | None:
        """Store ``post`` if the stored one still has ``expected_version``; None if not.

        ``was_shown``: whether readers saw the version replaced (see `shown`);
        ``structure``: whether it changes more than the post's own content (`structural`).
        DuplicateKeyError when its new slug is taken.
        """

        async def steps(session) -> dict:
            await self.revisions.prepare(post, session=session)
            await self._step("revision")
            result = await self._posts.replace_one(
                {"_id": post["_id"], "version": expected_version}, post, session=session)
            if result.matched_count == 0:
                raise _Stale()
            await self._step("post")
            if was_shown or shown(post):
                await self._changes.bump(self._site_id, session=session, structural=structure)
            return post

        try:
            return await self._run(steps)
        except _Stale:
            return None

    async def finish(self, post: dict) -> None:
        """The steps after a save, again: for a save whose client did not hear it was done."""
        await self.revisions.settle(post)
        await self._changes.bump(self._site_id)

    async def _run(self, steps: Callable[[Any], Awaitable[dict]]) -> dict:
        if not await supports_transactions(self._db):
            return await steps(None)
        async with await self._db.client.start_session() as session:
            return await session.with_transaction(steps)

