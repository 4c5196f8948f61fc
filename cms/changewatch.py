"""A process's copy of the change counters, kept fresh by one background poll.

A kept reader page is valid only under the counters it was rendered with
(`cms.pagecache`). Reading them from the database on every request made each
cache hit cost a round trip, and the embedded server answers one query at a
time. Instead one task per process reads every counter in one query every
`INTERVAL` seconds, and requests read this in-memory copy:

* a write made in this process is seen at once: `Changes.bump` reports the
  new value here directly (`cms.store.changes.add_listener`);
* a write made in another process is seen at the next poll (within
  ``interval`` seconds, well under the 1 s the platform promises).

Polling rather than a change stream: it works the same on the embedded
server, on a standalone MongoDB and on a replica set, and one small query of
a few hundred tiny documents a few times a second costs nothing next to the
requests it saves.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from cms.store import changes
from cms.supervisor import is_unavailable

log = logging.getLogger(__name__)

INTERVAL = 0.15  # seconds between two polls; other processes' writes show within this


class ChangeWatcher:
    """The counters of every site (and the platform's) as this process last saw them."""

    def __init__(self, db: Any, interval: float = INTERVAL) -> None:
        self.db = db
        self.interval = interval
        self.polls = 0
        self._counters: dict[Any, int] = {}  # n: every change readers can see
        self._structure: dict[Any, int] = {}  # s: all but one post's own content
        self._loading: asyncio.Future | None = None
        self._task: asyncio.Task | None = None
        self._stopped = False
        self._failing = False
        changes.add_listener(self._heard)

    # --- what requests use ---------------------------------------------------------

    async def counter(self, site_id: Any) -> int:
        """This site's counter: no query once the first poll is in."""
        if self._task is None:
            await self.ready()
        return self._counters.get(site_id, 0)

    async def structure(self, site_id: Any) -> int:
        """The site's ``s`` counter (cms.store.changes.Changes.bump)."""
        if self._task is None:
            await self.ready()
        return self._structure.get(site_id, 0)

    def known_structure(self, site_id: Any) -> int | None:
        return self._structure.get(site_id, 0) if self._task is not None else None

    def known(self, site_id: Any) -> int | None:
        """The counter as known now, or None before the first poll (then use `counter`)."""
        return self._counters.get(site_id, 0) if self._task is not None else None

    async def platform(self) -> int:
        if self._task is None:
            await self.ready()
        return self._counters.get(changes.PLATFORM, 0)

    async def ready(self) -> None:
        """Load the counters once and start polling (in the running event loop)."""
        if self._task is not None or self._stopped:
            return
        if self._loading is None:
            self._loading = asyncio.ensure_future(self.refresh())
        try:
            await asyncio.shield(self._loading)
        except Exception as e:
            # No database yet: try again on the next request, and meanwhile
            # answer with what we have (pages then render afresh, as before).
            # The database away is expected here (one line); anything else, a traceback.
            log.warning("could not read the change counters: %s", e, exc_info=not is_unavailable(e))
            self._loading = None
            return
        if self._task is None and not self._stopped:
            self._task = asyncio.ensure_future(self._poll_forever())

    def stop(self) -> None:
        """Stop polling (the application is shutting down)."""
        self._stopped = True
        changes.remove_listener(self._heard)
        if self._task is not None:
            self._task.cancel()

    # --- keeping the copy fresh ------------------------------------------------------------

    def _heard(self, db: Any, site_id: Any, n: int, s: int) -> None:
        """A bump in this process, on any database: keep it if it is ours."""
        if db.client is self.db.client and db.name == self.db.name:
            self._raise(site_id, n, s)

    def _raise(self, site_id: Any, n: int, s: int) -> None:
        # Counters only ever grow: a poll that started before a local bump
        # must not take it back.
        if n > self._counters.get(site_id, -1):
            self._counters[site_id] = n
        if s > self._structure.get(site_id, -1):
            self._structure[site_id] = s

    async def refresh(self) -> None:
        """Read every counter in one query."""
        cursor = self.db.changes.find({}, {"_id": 0, "site_id": 1, "n": 1, "s": 1})
        async for doc in cursor:
            self._raise(doc["site_id"], doc["n"], doc.get("s", 0))
        self.polls += 1

    async def _poll_forever(self) -> None:
        while not self._stopped:
            await asyncio.sleep(self.interval)
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # the database is away: keep serving, keep trying
                if not self._failing:
                    log.warning("change counters unreadable, retrying: %s", e)
                self._failing = True
                await asyncio.sleep(1.0)
            else:
                if self._failing:
                    log.info("change counters readable again")
                self._failing = False
