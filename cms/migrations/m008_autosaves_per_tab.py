"""Autosaves are kept per editor tab: the unique index without the tab goes.

Two tabs of one person used to share one autosave, so each overwrote the
other's (issue 16.12). The index is now (site, post, person, tab)
(`cms.db.INDEXES`, made at start); the old (site, post, person) one would
still refuse a second tab's copy, so it is dropped here. Copies kept before
have no tab and stay offered as they were. Idempotent: an index already gone
is fine.
"""

from __future__ import annotations

import pymongo.errors

OLD = [("site_id", 1), ("post_id", 1), ("user_id", 1)]


async def up(db) -> None:
    for name, index in (await db.autosaves.index_information()).items():
        if list(index["key"]) == OLD:
            try:
                await db.autosaves.drop_index(name)
            except pymongo.errors.OperationFailure:  # dropped meanwhile by another process
                pass
