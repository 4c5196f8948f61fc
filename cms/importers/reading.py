"""Reading an export in a process of its own, a few batches ahead of the writes.

Parsing XML and turning HTML into Markdown is pure CPU work: in a thread of
the web process it would still take the interpreter's lock from the event
loop, and readers would wait. So a `Source` is read in a child process (at
a lower CPU priority, as the render pool's workers are), which sends its
entries back in batches through a queue that holds at most `AHEAD` batches:
the file is never ahead of the database by more than that, and memory
stays bounded on both sides.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import queue
from typing import Any

from cms.importers.common import BATCH, ImportFailed, Source

AHEAD = 4  # batches read and not yet stored
NICENESS = 5
POLL = 1.0  # seconds between checks that the reading process still lives


def _read(source: Source, out: Any) -> None:
    """In the child: prepare, then every entry, in batches; a failure is sent as a message."""
    os.nice(NICENESS)
    try:
        source.prepare()
        out.put(("prepared", (source.authors, source.total)))
        batch: list = []
        for entry in source.entries():
            batch.append(entry)
            if len(batch) >= BATCH:
                out.put(("entries", batch))
                batch = []
        out.put(("entries", batch))
        out.put(("end", None))
    except ImportFailed as error:
        out.put(("failed", str(error)))
    except BaseException as error:  # noqa: BLE001 -- the parent says what it was
        out.put(("error", "%s: %s" % (type(error).__name__, error)))


class ReadingProcess:
    """`prepare` then `batches` of a `Source`, read in a child process."""

    def __init__(self, source: Source) -> None:
        self.source = source
        context = multiprocessing.get_context("forkserver")
        self._queue = context.Queue(AHEAD)
        self._process = context.Process(target=_read, args=(source, self._queue), daemon=True,
                                        name="cms-import-reader")

    async def _next(self) -> tuple[str, Any]:
        loop = asyncio.get_running_loop()
        while True:
            try:
                kind, value = await loop.run_in_executor(None, self._queue.get, True, POLL)
            except queue.Empty:
                if not self._process.is_alive():
                    raise ImportFailed("the process reading the file stopped (exit code %s)"
                                       % self._process.exitcode) from None
                continue
            if kind == "failed":
                raise ImportFailed(value)
            if kind == "error":
                raise RuntimeError("reading the file failed: %s" % value)
            return kind, value

    async def prepare(self) -> None:
        """Start reading; once the whole file is checked, the source's authors and total are known here."""
        # Off the event loop: starting a process waits for the fork server (and starts it if need be).
        await asyncio.get_running_loop().run_in_executor(None, self._process.start)
        kind, value = await self._next()
        self.source.authors, self.source.total = value

    async def batches(self):
        while True:
            kind, value = await self._next()
            if kind == "end":
                return
            if value:
                yield value

    async def stop(self) -> None:
        """End the reading process (at once if it is still reading), waiting for it off the event loop."""
        if self._process.pid is None:
            return
        if self._process.is_alive():
            self._process.terminate()
        await asyncio.get_running_loop().run_in_executor(None, self._process.join, 5)
        self._queue.close()
