"""Benchmark 2 (issue 13): pages rendered afresh every time (no page cache).

    .venv/bin/python tests/bench/bench_cold.py [--seconds 10] [--posts 100]

One site of ``--posts`` posts; the app keeps no rendered page, so each request
renders (the cost of a first visit, or of any visit right after a change).
Targets: post page >= 300 req/s, home >= 150. App and database on core 0,
``wrk`` (16 connections) on core 1. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

import support  # noqa: I001 (tests/bench is on sys.path when run as a script)

from cms import db as database


async def prepare(uri: str, posts: int) -> None:
    client = database.connect(uri)
    await database.ensure_indexes(client["bench"])
    await support.fill_site(client["bench"], posts=posts)
    client.close()


def main(seconds: int, posts: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, support.embedded(Path(tmp) / "db") as uri:
        asyncio.run(prepare(uri, posts))
        port = database.free_port()
        base = "http://127.0.0.1:%d" % port
        results = {}
        with support.app_process(uri, port, "--cold", log=Path(tmp) / "app.log") as app:
            for name, path in (("post page", "/posts/post-%d" % (posts // 2)), ("home", "/")):
                support.wrk(base + path, "bench.localhost", 2, 16)  # warm-up
                results[name] = support.wrk(base + path, "bench.localhost", seconds, 16, pid=app.pid)
        print("machine: %s" % support.machine())
        print("%-12s %9s %9s %9s %12s %8s" % ("cold", "req/s", "p50 ms", "p99 ms", "CPU us/req", "target"))
        for (name, r), target in zip(results.items(), (300, 150)):
            print("%-12s %9.0f %9.2f %9.2f %12.0f %8s" % (name, r["rps"], r["p50"], r["p99"], r["cpu_us"],
                                                         ">= %d" % target))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--posts", type=int, default=100)
    args = parser.parse_args()
    main(args.seconds, args.posts)
