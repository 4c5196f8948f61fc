"""Markdown rendering in worker processes, never on the event loop.

Python-Markdown is pure Python, and some inputs cost it quadratic time (issue
9: ``"![" * 10000`` took 37 s). Rendered on the event loop, one author's
preview froze every site the process serves. Here each render runs in a small
pool of worker processes (pebble) with a time budget: a worker past its budget
is killed and replaced, and the author gets `RenderTooSlow`, whose message
says what to change. A worker's address space is capped (``setrlimit``), so
one render cannot take the pod's memory either. One person's renders (an
``owner``: a person on a site) take turns, so one account keeps at most one
worker busy whatever it sends. `cms.text.guard` keeps the known slow
constructs from getting there at all; the budget is for the rest.

The pool is made on first use in each process (gunicorn forks its workers
after importing the app: a pool made before the fork would belong to the
master alone) and stopped by `shutdown` when the server or worker stops. One
pool serves every application of a process, so tests pay for it once.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import concurrent.futures.process
import contextlib
import logging
import multiprocessing
import os
import resource
import threading
from typing import AsyncIterator, Hashable

import pebble

from cms.store.errors import StoreError
from cms.text.guard import TooMuchMarkup
from cms.text.markdown import Rendered
from cms.text.worker import render_many_or_exit, render_or_exit

log = logging.getLogger(__name__)

WORKERS = 2
BUDGET = 10.0  # seconds of one render; the longest ordinary post (500 KB) takes 1 to 3 s
MEMORY = 256 * 1024 * 1024  # address space of a worker: a fresh one has 60 MB, a 500 KB post needs 100 MB
# Renders waiting or running in this process before more are refused: each
# holds its text (at most 500 KB) while it waits, and one person's take turns.
MAX_WAITING = 64
PER_OWNER = 8  # of which one person's (a preview, saves, other tabs)
NICENESS = 10  # workers' CPU priority below the web process's


class RenderRefused(StoreError):
    """The text could not be rendered; nothing was saved. The message is for the author."""


class RenderTooSlow(RenderRefused):
    """A render went past its time budget (its worker was replaced)."""


class RenderBusy(RenderRefused):
    """Too many renders are waiting already; try again in a moment."""


def _start_worker(memory: int) -> None:
    """In each new worker: cap its address space (a MemoryError instead of the pod's OOM kill)
    and give way to the web process: a render may wait, a reader should not."""
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    os.nice(NICENESS)


class RenderPool:
    """A bounded pool of rendering processes with a time budget per render."""

    def __init__(self, workers: int = WORKERS, budget: float = BUDGET, memory: int = MEMORY,
                 max_waiting: int = MAX_WAITING) -> None:
        self.budget = budget
        self.max_waiting = max_waiting
        self.waiting = 0  # renders scheduled and not finished: what `max_waiting` bounds
        # One render at a time per owner (a person on a site): one account keeps
        # at most one worker busy, whatever it sends; the others are for everyone else.
        self._turns: dict[Hashable, tuple[asyncio.Lock, int]] = {}
        self.started = 0  # renders ever scheduled (for tests and benchmarks)
        self._workers, self._memory = workers, memory
        self._pool = self._new_pool()

    def _new_pool(self) -> pebble.ProcessPool:
        # forkserver: workers fork from a small clean process that has imported
        # the renderer once, not from this one (its threads, its sockets), and a
        # replaced worker starts in milliseconds.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["cms.text.worker"])
        return pebble.ProcessPool(
            max_workers=self._workers, initializer=_start_worker, initargs=(self._memory,), context=context
        )

    def _schedule(self, source: str, custom_excerpt: str | None) -> pebble.ProcessFuture:
        try:
            return self._pool.schedule(render_or_exit, args=(source, custom_excerpt), timeout=self.budget)
        except RuntimeError:
            # pebble gives up on its whole pool when a worker dies while none is
            # rendering (killed from outside, or by the kernel): start afresh.
            log.warning("the render pool had stopped; starting a new one")
            self._replace_pool()
            return self._pool.schedule(render_or_exit, args=(source, custom_excerpt), timeout=self.budget)

    async def render_many(self, items: list[tuple[str, str | None]], owner: Hashable | None = None
                          ) -> list[Rendered | RenderRefused]:
        """Each ``(source, custom_excerpt)`` rendered, in one task per worker (an import's batch:
        one round trip each, not one per post; an author's render waits for one such
        part at most, as the pool takes tasks in turn).

        Each part has one render's budget; past it, or where an item fails, the items
        are rendered one at a time with `render`, so a slow or bad text gets its own
        budget and its own message. Returns a `Rendered` or the `RenderRefused` per item.
        """
        if not items:
            return []
        batch: list[Rendered | None] = [None] * len(items)
        if self.waiting < self.max_waiting and self._turns.get(owner, (None, 0))[1] < PER_OWNER:
            self.waiting += 1
            self.started += 1
            try:
                async with self._turn(owner):
                    size = -(-len(items) // self._workers)
                    parts = [self._pool.schedule(render_many_or_exit, args=(items[at:at + size],), timeout=self.budget)
                             for at in range(0, len(items), size)]
                    batch = [one for part in await asyncio.gather(*map(asyncio.wrap_future, parts))
                             for one in part]
            except (TimeoutError, RuntimeError, pebble.ProcessExpired, concurrent.futures.CancelledError,
                    concurrent.futures.process.BrokenProcessPool) as error:
                log.info("a batch of %d renders was cut short (%s): one at a time", len(items), type(error).__name__)
            finally:
                self.waiting -= 1
        results: list[Rendered | RenderRefused] = []
        for (source, custom_excerpt), rendered in zip(items, batch):
            if rendered is None:
                try:
                    rendered = await self.render(source, custom_excerpt, owner)
                except RenderRefused as refused:
                    results.append(refused)
                    continue
            results.append(rendered)
        return results

    def _replace_pool(self) -> None:
        broken, self._pool = self._pool, self._new_pool()
        broken.stop()

    async def render(self, source: str, custom_excerpt: str | None = None, owner: Hashable | None = None) -> Rendered:
        """`cms.text.markdown.render` in a worker; `RenderRefused` when it cannot be done.

        Renders of the same ``owner`` run one after another (see `_turns`).
        """
        if self.waiting >= self.max_waiting:
            log.warning("render refused: %d renders already waiting", self.waiting)
            raise RenderBusy("the server is busy rendering other posts; try again in a moment")
        if owner is not None and self._turns.get(owner, (None, 0))[1] >= PER_OWNER:
            raise RenderBusy("your other texts are still rendering; try again when they are done")
        self.waiting += 1
        self.started += 1
        try:
            async with self._turn(owner):
                return await self._render(source, custom_excerpt)
        except TimeoutError:
            log.warning("render of %d characters stopped after %.1fs", len(source), self.budget)
            raise RenderTooSlow(
                "this text takes too long to render (over %g seconds); long runs of brackets, "
                "asterisks or deeply nested lists and quotes are the usual cause" % self.budget
            ) from None
        except TooMuchMarkup as e:
            raise RenderRefused(str(e)) from None
        except RecursionError:
            raise RenderRefused("this text is nested too deeply to render (lists or quotes inside each other)") from None
        except concurrent.futures.process.BrokenProcessPool:
            self._replace_pool()
            raise RenderRefused("the renderer had to restart; please try again") from None
        except pebble.ProcessExpired as e:
            # A worker out of memory exits (cms.text.worker); pebble replaces it.
            log.warning("a render worker died (exit code %s)", e.exitcode)
            raise RenderRefused("this text needs too much memory to render") from None
        except concurrent.futures.CancelledError:
            raise RenderRefused("the render was cancelled") from None
        finally:
            self.waiting -= 1

    async def _render(self, source: str, custom_excerpt: str | None) -> Rendered:
        try:
            return await asyncio.wrap_future(self._schedule(source, custom_excerpt))
        except concurrent.futures.process.BrokenProcessPool:
            # The task was lost with the pool (a worker had died just before):
            # a render changes nothing, so it is simply asked again.
            log.warning("the render pool had stopped; starting a new one")
            self._replace_pool()
            return await asyncio.wrap_future(self._schedule(source, custom_excerpt))

    @contextlib.asynccontextmanager
    async def _turn(self, owner: Hashable | None) -> AsyncIterator[None]:
        """Wait for ``owner``'s previous renders to finish (no wait without an owner)."""
        if owner is None:
            yield
            return
        lock, users = self._turns.get(owner) or (asyncio.Lock(), 0)
        self._turns[owner] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._turns[owner]
            if users > 1:
                self._turns[owner] = (lock, users - 1)
            else:
                del self._turns[owner]

    def worker_pids(self) -> list[int]:
        """The worker processes alive now (pebble's own table: pinned to pebble 5.2)."""
        return sorted(self._pool._pool_manager.worker_manager.workers)

    def shutdown(self) -> None:
        """Stop the workers now (renders still running get `RenderRefused`)."""
        self._pool.stop()
        try:
            self._pool.join(timeout=5)
        except TimeoutError:
            log.warning("render workers did not stop within 5 s")


_lock = threading.Lock()
_pool: RenderPool | None = None
_pool_pid = 0


def pool() -> RenderPool:
    """This process's pool, made on first use (and again in a forked child)."""
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool, _pool_pid = RenderPool(), os.getpid()
            atexit.register(shutdown)
        return _pool


async def render(source: str, custom_excerpt: str | None = None, owner: Hashable | None = None) -> Rendered:
    """Render Markdown off the event loop (see the module docstring); ``owner``'s renders take turns."""
    return await pool().render(source, custom_excerpt, owner)


async def render_many(items: list[tuple[str, str | None]], owner: Hashable | None = None
                      ) -> list[Rendered | RenderRefused]:
    """`RenderPool.render_many` in this process's pool."""
    return await pool().render_many(items, owner)


def shutdown() -> None:
    """Stop this process's pool, if it has one (the server's and gunicorn worker's exit)."""
    global _pool
    with _lock:
        current, _pool = _pool, None
    if current is not None and _pool_pid == os.getpid():
        current.shutdown()


def waiting() -> int:
    """Renders scheduled and not finished in this process (0 before its pool exists): for cms.metrics."""
    current = _pool
    return current.waiting if current is not None and _pool_pid == os.getpid() else 0
