"""Keeping the application honest and quick while its database is away.

Without this, a dead database made every request wait for PyMongo's server
selection (seconds) and then fail with a 500, ``/readyz`` outlast the probe's
timeout, and an embedded ``nx-27017`` child that crashed stayed dead.

Two jobs, two classes:

* `DatabaseMonitor`, one per application: the process-wide answer to "is the
  database there?", learnt from a background ``ping`` (each with a
  `PING_DEADLINE`) and from any request that met a connection error.
  Handlers read `DatabaseMonitor.available` in ``prepare`` and answer a
  themed 503 with ``Retry-After`` at once instead of waiting. It also makes
  sure of the indexes when asked to (retried until they are made: under
  gunicorn a worker starts even if the database is down), and readiness
  counts them.
* `EmbeddedSupervisor`, under ``python -m cms serve`` with the embedded
  server: restarts the child when it dies, with backoff, on the same port so
  the client reconnects by itself (else on a new port, with a new client).
  After `GIVE_UP_AFTER` failed restarts in a row the monitor turns
  unhealthy and ``/healthz`` fails, so a platform restarts the process; the
  supervisor keeps trying all the same.

Against an external MongoDB there is no child to restart, and the monitor
alone gives the same fast 503s and readiness.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, Awaitable, Callable

import pymongo
import pymongo.errors

from cms import db as database
from cms.datadir import DataDirError
from cms.identity import verify_identity
from cms.migrations import migrate
from cms.wakeable import woken

log = logging.getLogger(__name__)
STOP_PATIENCE = 10.0  # seconds a stopping process waits for a background task to end

PING_DEADLINE = 1.0  # seconds: readyz must answer within the probe's timeout (3 s)
UP_INTERVAL = 1.0  # seconds between pings while the database answers
DOWN_INTERVAL = 0.25  # ... and while it does not, to notice its return quickly
RETRY_AFTER = 5  # seconds a client is told to wait after a 503
WATCH_INTERVAL = 0.2  # seconds between looks at the embedded child
FIRST_BACKOFF = 0.5  # seconds before the first restart; doubled after each failure
MAX_BACKOFF = 10.0
GIVE_UP_AFTER = 3  # failed restarts in a row before /healthz fails


def is_unavailable(error: BaseException | None) -> bool:
    """True for the errors that mean "the database cannot be reached" (a 503, not a 500).

    ``ConnectionFailure`` covers PyMongo's ``AutoReconnect``, ``NetworkTimeout``,
    ``NotPrimaryError`` and ``ServerSelectionTimeoutError``.
    """
    return isinstance(error, pymongo.errors.ConnectionFailure)


class DatabaseMonitor:
    """What this process knows of its database: available, indexed, recoverable."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.available = True  # until a ping or a request says otherwise
        self.indexes_ready = True  # `start(ensure_indexes=True)` makes it earn this
        self.healthy = True  # False once the embedded server could not be restarted
        self.refused: str | None = None  # why this code must not serve this database (cms.migrations)
        self.failures = 0  # times a request or ping found it unreachable (cms.metrics reads it)
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Future | None = None

    # --- what handlers ask ------------------------------------------------------

    async def ping(self, deadline: float = PING_DEADLINE) -> bool:
        """Ping once, within ``deadline`` seconds; record and return the outcome."""
        try:
            # pymongo.timeout bounds server selection too; motor carries it to its
            # thread. wait_for is the backstop should an answer still be late.
            with pymongo.timeout(deadline):
                await asyncio.wait_for(self.db.command("ping"), deadline + 0.5)
        except (asyncio.TimeoutError, pymongo.errors.PyMongoError) as e:
            self.report_failure(e)
            return False
        self._set_available()
        return True

    async def readiness(self) -> str | None:
        """None when this process can serve; else what stands in the way (for /readyz)."""
        if self.refused:
            return self.refused
        if not self.available and self._task is not None:
            # Known to be down, and the background ping looks again every
            # DOWN_INTERVAL: say so at once rather than spend the deadline.
            return "database unreachable"
        began = time.monotonic()
        if not await self.ping():
            return "database unreachable"
        # A real read (a damaged database answers ping too), in what is left of
        # the deadline: the probe gives up after 3 s, whatever was slow.
        left = max(began + PING_DEADLINE - time.monotonic(), 0.05)
        try:
            with pymongo.timeout(left):
                damaged = await asyncio.wait_for(database.read_check(self.db), left + 0.5)
        except (asyncio.TimeoutError, pymongo.errors.PyMongoError) as e:
            if is_unavailable(e) or isinstance(e, asyncio.TimeoutError):
                self.report_failure(e)
            return "database cannot be read: %s" % one_line(e)
        if damaged:
            return damaged
        if not self.indexes_ready:
            return "database indexes not made yet"
        return None

    def report_failure(self, error: BaseException) -> None:
        """A request (or a ping) could not reach the database: answer 503s until it can."""
        self.failures += 1
        if self.available:
            log.warning("database unavailable: %s", one_line(error))
            self.available = False
        if self._wake is not None:
            self._wake.set()  # ping again now, and then often

    def _set_available(self) -> None:
        if not self.available:
            log.info("database available again")
            self.available = True
        self.healthy = True  # whoever brought it back, it is back

    # --- the background ping ---------------------------------------------------------

    def start(self, ensure_indexes: bool = False) -> None:
        """Ping in the background on the running loop (and make the indexes, if asked)."""
        if self._task is not None:
            return
        self.indexes_ready = not ensure_indexes
        self._wake = asyncio.Event()
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        await _cancelled(task)

    async def _run(self) -> None:
        while True:
            if await self.ping() and not self.indexes_ready:
                await self._ensure_indexes()
            interval = UP_INTERVAL if self.available and self.indexes_ready else DOWN_INTERVAL
            await woken(self._wake, interval)
            self._wake.clear()

    async def _ensure_indexes(self) -> None:
        try:
            # As `cms.runtime.open_platform` does for serve: the platform's id
            # and the migrations due, before the indexes (no data directory here).
            await verify_identity(self.db, None)
            await migrate(self.db)
            await database.ensure_indexes(self.db)
        except DataDirError as e:  # a database newer than this code: never ready
            if self.refused is None:
                log.error("%s", e)
            self.refused = str(e)
            return
        except pymongo.errors.PyMongoError as e:
            # Retried on the next round; readiness says why until then.
            log.warning("could not make the database indexes (will retry): %s", one_line(e))
            return
        self.indexes_ready = True
        log.info("database indexes in place")

    def use(self, db: Any) -> None:
        """Talk to another database object from now on (a new client after a restart)."""
        self.db = db
        if self._wake is not None:
            self._wake.set()


class EmbeddedSupervisor:
    """Restarts the embedded ``nx-27017`` child of ``serve`` whenever it dies."""

    def __init__(
        self,
        server: database.EmbeddedServer,
        monitor: DatabaseMonitor,
        on_new_uri: Callable[[str], Awaitable[None]],
    ) -> None:
        self.server = server
        self.monitor = monitor
        self.on_new_uri = on_new_uri  # called when the server had to move to another port
        self.restarts = 0
        self._task: asyncio.Future | None = None
        self._starting: asyncio.Future | None = None  # a restart under way in a thread

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._watch())

    async def stop(self) -> None:
        """Stop watching; a restart under way is let finish, so that `EmbeddedServer.stop` sees its child."""
        task, self._task = self._task, None
        await _cancelled(task)
        if self._starting is not None:
            with contextlib.suppress(Exception):
                await self._starting

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            process = self.server.process
            if process is None or process.poll() is None:
                continue
            log.error("the embedded database exited (code %s); restarting it", process.returncode)
            self.monitor.report_failure(RuntimeError("the embedded database exited"))
            await self._restart()

    async def _restart(self) -> None:
        delay, failures = FIRST_BACKOFF, 0
        old_uri = self.server.uri
        while True:
            await asyncio.sleep(delay)
            began = time.monotonic()
            try:
                # Blocking (it waits for the child's first ping): off the event loop.
                self._starting = asyncio.get_running_loop().run_in_executor(None, self.server.restart)
                uri = await asyncio.shield(self._starting)
            except Exception as e:  # whatever stops it starting (files, port, a crash at start): try again later
                failures += 1
                log.error("could not restart the embedded database (attempt %d): %s", failures, one_line(e))
                if failures >= GIVE_UP_AFTER and self.monitor.healthy:
                    log.error("giving up for now: /healthz fails so that the platform restarts this process")
                    self.monitor.healthy = False
                delay = min(delay * 2, MAX_BACKOFF)
                continue
            self.restarts += 1
            log.info("embedded database restarted in %.1fs (%s)", time.monotonic() - began, uri)
            if uri != old_uri:
                await self.on_new_uri(uri)
            self.monitor.healthy = True
            await self.monitor.ping()
            return


async def _cancelled(task: asyncio.Future | None, patience: float = STOP_PATIENCE) -> None:
    """Cancel a background task (if any) and wait until it has stopped -- for
    ``patience`` seconds at most: a process that is stopping never waits for ever."""
    if task is not None:
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=patience)
        if not done:
            log.warning("a background task did not stop within %.0f s; stopping without it", patience)
        elif not task.cancelled() and task.exception() is not None:
            log.warning("a background task ended with %s", one_line(task.exception()))


def one_line(error: BaseException) -> str:
    """What went wrong, in one line: PyMongo's messages run over many lines (a topology description): keep the first."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0].split(" (configured timeouts")[0][:300]
