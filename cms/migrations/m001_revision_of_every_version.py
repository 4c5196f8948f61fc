"""Every post's current version gets its revision.

Before saves wrote the revision first (issue 18.5), a crash between a post's
write and its revision's left posts whose newest version had no revision: the
history then missed the text readers see. The stores mend one such post when
it is next saved or its history is read (`Revisions.settle`); this step
mends them all once, so a backup or an export taken later is whole too.
Idempotent: `settle` writes only a missing or mismatched revision.
"""

from __future__ import annotations

from cms.store import Revisions, Scoped


async def up(db) -> None:
    async for site in db.sites.find({}, {"_id": 1}):  # every site: platform-wide, as `Sites` reads it
        posts = Scoped(db.posts, site["_id"])
        revisions = Revisions(db, site["_id"])
        async for post in posts.find({}):
            await revisions.settle(post)
