"""Who has a post open in the editor right now, per site (issue 12).

Each open editor tab keeps one document here while its admin socket is open
(`cms.live.admin`): written when it opens, again at each heartbeat, removed
when it closes. A tab that goes silent (a crashed browser, a laptop closed,
a process gone) stops counting after `TTL` seconds without a beat, whichever
process held it; the TTL index then removes the document (MongoDB's monitor
runs about once a minute, so the query never relies on it).

The documents live in the database, not in process memory, because the two
editors of a post are seldom on the same process (gunicorn workers, pods).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cms.store.scoped import Scoped

TTL = 30  # seconds without a heartbeat after which a tab no longer counts
BEAT = 10  # seconds between two heartbeats of an open tab (the page is told)
FORGET_AFTER = 10 * 60  # seconds after which the TTL index removes a silent tab's document


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Presence:
    """The open editor tabs of one site."""

    def __init__(self, db, site_id: Any) -> None:
        self._tabs = Scoped(db.presence, site_id, affects_pages=False)

    async def beat(self, post_id: str, tab: str, user: dict) -> None:
        """``tab`` of ``user`` has ``post_id`` open, as of now."""
        # A whole-document replace: nx-27017 turns datetimes written by $set into strings.
        await self._tabs.find_one_and_replace(
            {"tab": tab},
            {"tab": tab, "post_id": post_id, "user_id": user["_id"], "name": user.get("name") or "Someone",
             "seen": utcnow()},
            upsert=True,
        )

    async def leave(self, tab: str) -> None:
        await self._tabs.delete_one({"tab": tab})

    async def here(self, post_id: str, now: dt.datetime | None = None) -> list[dict]:
        """The tabs with ``post_id`` open that beat within `TTL` seconds, oldest first."""
        since = (now or utcnow()) - dt.timedelta(seconds=TTL)
        cursor = self._tabs.find({"post_id": post_id, "seen": {"$gt": since}})
        return [tab async for tab in cursor.sort("_id", 1).limit(50)]
