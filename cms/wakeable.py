"""`Wakeable`: a task of this process that works at its own pace, or at once when woken.

The mail sender (`cms.mail.sender`) and the newsletter dispatcher
(`cms.subscriptions.dispatch`) each work through a queue kept in the
database: every few seconds, since another process may have queued
something, or at once when this process did (``wake``). This is their
common part: one task, started once, woken by an event, cancelled at stop;
and `woken`, the wait on such an event that every background loop uses.
"""

from __future__ import annotations

import asyncio


class Wakeable:
    """Subclasses write ``_run``: a loop that clears ``_wake``, works, then waits on it (or a poll)."""

    _wake: asyncio.Event | None = None
    _task: asyncio.Task | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.ensure_future(self._run())

    def wake(self) -> None:
        self.start()
        assert self._wake is not None
        self._wake.set()

    def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()

    async def _run(self) -> None:
        raise NotImplementedError


async def woken(event: asyncio.Event, timeout: float) -> bool:
    """Wait until ``event`` is set (True) or ``timeout`` seconds have passed (False).

    ``asyncio.timeout`` rather than ``asyncio.wait_for``: on Python 3.11 wait_for runs
    the wait as a task of its own, and a cancel that came as its timeout fired left
    the calling task "cancelling" for ever (a ``serve`` that never stopped under load:
    its database monitor, stopped at shutdown, was never done)."""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        return False
    return True
