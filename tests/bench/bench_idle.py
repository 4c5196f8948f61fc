"""Benchmark 5 (issue 13): 10,000 idle keep-alive connections on one process.

    .venv/bin/python tests/bench/bench_idle.py [--connections 10000]

Opens the connections to one app process, sends one request on each (the
kept post page) and leaves them open and idle, then prints the process's
resident memory before and with them, and how many are still answered. The
process needs a file limit above the count (``ulimit -n``). Idle keep-alive
connections are closed after the header deadline (15 s, cms/limits.py), so
the figures are read as soon as all are open. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
from pathlib import Path

import support  # noqa: I001 (tests/bench is on sys.path when run as a script)

from cms import db as database

REQUEST = b"GET /posts/post-5 HTTP/1.1\r\nHost: bench.localhost\r\n\r\n"


async def prepare(uri: str) -> None:
    client = database.connect(uri)
    await database.ensure_indexes(client["bench"])
    await support.fill_site(client["bench"], posts=10)
    client.close()


async def one(port: int) -> tuple | None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(REQUEST)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        length = int([line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")][0]
                     .split(b":")[1])
        await reader.readexactly(length)
        return reader, writer
    except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
        return None


async def hold(port: int, count: int, pid: int) -> None:
    before = support.rss_kib(pid)
    started = time.monotonic()
    opened = []
    for batch in range(0, count, 500):  # in batches: the listen backlog is finite
        opened += [c for c in await asyncio.gather(*[one(port) for _ in range(min(500, count - batch))]) if c]
    took = time.monotonic() - started
    with_them = support.rss_kib(pid)
    held = sum(1 for fd in Path("/proc/%d/fd" % pid).iterdir() if os.readlink(fd).startswith("socket:"))
    print("machine: %s" % support.machine())
    print("%d of %d connections open and idle (each answered once, keep-alive) in %.1f s"
          % (len(opened), count, took))
    print("the app holds %d sockets now (idle ones close after the 15 s header deadline)" % held)
    print("app RSS: %.1f MB before, %.1f MB with them: %.1f KB a connection"
          % (before / 1024, with_them / 1024, (with_them - before) / max(1, len(opened))))
    for _, writer in opened:
        writer.close()


def main(count: int) -> None:
    support.on_load_core()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 1000)), hard))
    with tempfile.TemporaryDirectory() as tmp, support.embedded(Path(tmp) / "db") as uri:
        asyncio.run(prepare(uri))
        port = database.free_port()
        with support.app_process(uri, port, log=Path(tmp) / "app.log") as app:
            asyncio.run(hold(port, count, app.pid))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=10000)
    args = parser.parse_args()
    main(args.connections)
