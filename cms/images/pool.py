"""Decoding untrusted images in worker processes, with a time and a memory budget.

A few kilobytes of image can ask for minutes of work and gigabytes of memory
(a 3.7 KB GIF of 40 frames of 2000×1000, a 6 KB PNG of 7000×7000). The
header checks of `cms.images.process.identify` refuse what they can before
any pixel is decoded; what passes is decoded here, never in the web
process:

* in a `pebble.ProcessPool` (a worker past its time budget is killed and
  replaced; the upload is refused with a message, nothing is stored);
* under ``RLIMIT_AS`` set in each worker (`_limit_memory`), so an image that
  needs more memory fails in the worker, with a `MemoryError` or the
  worker's death, and not the pod;
* started with ``spawn``: a fresh interpreter, not a fork of a process with
  an event loop, a database client and their threads.

The pool is made on first use, in the process that uses it (so after
gunicorn's fork, one per worker), and stopped by `stop` (``serve``'s and the
gunicorn worker's shutdown, and at exit).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import concurrent.futures.process
import logging
import multiprocessing
import os
import resource
import threading
from typing import Any, Callable, TypeVar

import pebble

from cms.images.process import Limits, Processed, Rejected, process_file

log = logging.getLogger(__name__)

MB = 1024 * 1024
T = TypeVar("T")


def _limit_memory(max_bytes: int) -> None:
    """In each worker, once: the address space it may have (decoded pixels included)."""
    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))


class ImagePool:
    """Image processing for one process: `process` off the event loop, bounded."""

    def __init__(self, workers: int = 1, timeout: float = 60.0, memory_bytes: int = 768 * MB,
                 max_waiting: int = 4) -> None:
        self.workers = workers
        self.timeout = timeout
        self.memory_bytes = memory_bytes
        # Images waiting for a worker, at most: past that an upload is refused
        # at once (503), so one author's stream of hard images cannot queue
        # everyone else's behind minutes of work.
        self.max_waiting = max_waiting
        self.busy = 0  # images being processed or waiting, in this process
        self._pool: pebble.ProcessPool | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def _running(self) -> pebble.ProcessPool:
        with self._lock:
            if self._pool is None or self._pid != os.getpid():  # none yet, or inherited through a fork
                self._pool = pebble.ProcessPool(
                    max_workers=self.workers, initializer=_limit_memory, initargs=(self.memory_bytes,),
                    context=multiprocessing.get_context("spawn"),
                )
                self._pid = os.getpid()
                log.info("image pool: %d worker(s), %.0f s and %d MB each", self.workers, self.timeout,
                         self.memory_bytes // MB)
            return self._pool

    async def process(self, path: str, limits: Limits) -> Processed:
        """`cms.images.process` of the file at ``path``; raises `Rejected` (4xx) for every failure of the image.

        The renditions are files beside ``path``: the caller removes them with `Processed.discard`.
        """
        if self.busy >= self.workers + self.max_waiting:
            log.warning("image pool: %d images in hand; refusing %s", self.busy, path)
            raise Rejected("Too many images are being processed right now; try again in a minute.", 503)
        # The renditions come back as files beside ``path`` (spilled), not as
        # bytes through the pipe: the web process never holds them whole.
        future = self._running().schedule(process_file, args=(path, limits, True), timeout=self.timeout)
        self.busy += 1
        try:
            return await asyncio.wrap_future(future)
        except Rejected:
            raise
        except (TimeoutError, concurrent.futures.TimeoutError):
            log.warning("image pool: %s took over %.0f s; its worker was replaced", path, self.timeout)
            raise Rejected("The image takes too long to process (over %d seconds); upload a smaller one."
                           % self.timeout, 413) from None
        except (MemoryError, pebble.ProcessExpired) as error:
            log.warning("image pool: %s needed too much memory: %r", path, error)
            raise Rejected("The image needs too much memory to process; upload a smaller one.", 413) from None
        except concurrent.futures.process.BrokenProcessPool:  # workers that cannot start: say so, start afresh next time
            log.exception("image pool: the workers cannot start")
            self.stop()
            raise Rejected("Images cannot be processed right now; try again in a moment.", 503) from None
        except asyncio.CancelledError:
            future.cancel()  # the client went away: stop the work too
            raise
        finally:
            self.busy -= 1

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a worker, under the same time and memory budget: for
        images the site draws itself (cms/images/cards.py), which must not block the loop."""
        if self.busy >= self.workers + self.max_waiting:
            raise Rejected("Too many images are being processed right now; try again in a minute.", 503)
        future = self._running().schedule(function, args=args, timeout=self.timeout)
        self.busy += 1
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            future.cancel()
            raise
        finally:
            self.busy -= 1

    def stop(self) -> None:
        """Stop the workers (running work is abandoned); a later `process` starts new ones."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None and self._pid == os.getpid():
            pool.stop()
            pool.join(timeout=5)


pool = ImagePool()
atexit.register(pool.stop)
