"""The background sweep that empties the Trash of what was deleted long enough ago.

Posts and pages stay in the Trash ``CMS_TRASH_DAYS`` days (cms/store/trash.py).
Each serving process runs this sweep once soon after it starts and then every
hour; N processes may sweep at once, harmlessly: a purge is one delete that only
one of them wins, and the others find nothing left to do. Only one of them a
turn sweeps at all (`cms.store.trash.take_turn`), so N processes cost one scan.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import tornado.ioloop

from cms.store.trash import sweep, take_turn

log = logging.getLogger(__name__)

EVERY_MS = 3600 * 1000
TURN = dt.timedelta(minutes=55)  # a turn is taken by one process, a little under the period
FIRST_AFTER_S = 60.0  # not during start-up, when indexes and the demo site are being made


class TrashSweep:
    """Runs `cms.store.trash.sweep` on the application's database now and then."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._periodic: tornado.ioloop.PeriodicCallback | None = None
        self._first: object | None = None

    def start(self) -> None:
        if self._periodic is not None:
            return
        self._periodic = tornado.ioloop.PeriodicCallback(self.run, EVERY_MS, jitter=0.1)
        self._periodic.start()
        self._first = tornado.ioloop.IOLoop.current().call_later(FIRST_AFTER_S, self.run)

    def stop(self) -> None:
        if self._periodic is not None:
            self._periodic.stop()
            self._periodic = None
        if self._first is not None:
            tornado.ioloop.IOLoop.current().remove_timeout(self._first)
            self._first = None

    async def run(self) -> int:
        """One sweep, if it is this process's turn; how many posts and pages went. A
        database that is away is tried next time."""
        try:
            if not await take_turn(self._app.db, "trash-sweep", TURN):
                return 0  # another process swept within the hour
            return await sweep(self._app.db, self._app.cms_settings.trash_days)
        except Exception:  # the next run tries again; a sweep must never end the process
            log.warning("trash sweep failed; trying again in an hour", exc_info=True)
            return 0
