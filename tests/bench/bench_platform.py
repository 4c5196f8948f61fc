"""Benchmark 4 (issue 13): one site's cold pages as the platform grows around it.

    .venv/bin/python tests/bench/bench_platform.py [--sites 200] [--posts 100] [--requests 60]

Times the post page and home of one site of ``--posts`` posts, rendered
afresh every time (no page cache), first alone on the platform, then after
``--sites`` other sites of ``--posts`` posts each are added. Sequential
requests, p50 and p90. Targets: within 1.5x of each other, each < 20 ms
p50. App and database on core 0, the client on core 1. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import support  # noqa: I001 (tests/bench is on sys.path when run as a script)
from tornado.httpclient import AsyncHTTPClient

from cms import db as database

PATHS = {"post page": "/posts/post-50", "home": "/"}


async def timed(port: int, requests: int) -> dict:
    http = AsyncHTTPClient(force_instance=True)
    result = {}
    for name, path in PATHS.items():
        times = []
        for _ in range(requests + 5):
            started = time.perf_counter()
            response = await http.fetch("http://127.0.0.1:%d%s" % (port, path), headers={"Host": "bench.localhost"})
            times.append((time.perf_counter() - started) * 1000)
            assert response.code == 200
        times = sorted(times[5:])  # the first few warm up
        result[name] = (statistics.median(times), times[int(len(times) * 0.9)])
    http.close()
    return result


async def grow(uri: str, sites: int, posts: int) -> None:
    client = database.connect(uri)
    db = client["bench"]
    model = [s async for s in db.sites.find({"name": "bench"})][0]
    from cms.store import SiteStore

    await support.fill_platform(db, SiteStore(db, model), sites, posts)
    client.close()


async def prepare(uri: str, posts: int) -> None:
    client = database.connect(uri)
    await database.ensure_indexes(client["bench"])
    await support.fill_site(client["bench"], posts=posts)
    client.close()


def main(sites: int, posts: int, requests: int) -> None:
    support.on_load_core()
    with tempfile.TemporaryDirectory() as tmp, support.embedded(Path(tmp) / "db") as uri:
        asyncio.run(prepare(uri, posts))
        port = database.free_port()
        with support.app_process(uri, port, "--cold", log=Path(tmp) / "app.log"):
            alone = asyncio.run(timed(port, requests))
        started = time.monotonic()
        asyncio.run(grow(uri, sites, posts))
        filled = time.monotonic() - started
        with support.app_process(uri, port, "--cold", log=Path(tmp) / "app.log"):
            crowded = asyncio.run(timed(port, requests))
        print("machine: %s" % support.machine())
        print("(added %d sites x %d posts in %.0f s)" % (sites, posts, filled))
        print("%-10s %22s %22s %7s" % ("cold", "1 site: p50 / p90 ms", "%d sites: p50 / p90" % (sites + 1), "ratio"))
        for name in PATHS:
            print("%-10s %13.1f / %6.1f %13.1f / %6.1f %6.2fx" % (
                name, *alone[name], *crowded[name], crowded[name][0] / alone[name][0]))
        print("targets: ratio <= 1.5x, p50 < 20 ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    main(args.sites, args.posts, args.requests)
