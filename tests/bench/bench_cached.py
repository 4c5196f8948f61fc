"""Benchmark 1 (issue 13): a kept post page against a Tornado hello-world, same run, same core.

    .venv/bin/python tests/bench/bench_cached.py [--seconds 10] [--connections 64]

The app (with its embedded database) and the hello-world each run alone on
core 0, ``wrk`` on core 1. Prints req/s and p99 of both and the ratios
(targets: >= 80 % of hello-world's req/s, p99 <= 1.5x). Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path

import support  # noqa: I001 (tests/bench is on sys.path when run as a script)

from cms import db as database


async def prepare(uri: str) -> None:
    client = database.connect(uri)
    await database.ensure_indexes(client["bench"])
    await support.fill_site(client["bench"], posts=50)
    client.close()


def access_log_cost(path: Path, n: int = 50000) -> float:
    """CPU microseconds `cms.accesslog.AccessLog` spends on one request, lines written to a file."""
    from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

    from cms.accesslog import AccessLog

    class Answered:
        request = HTTPServerRequest(start_line=RequestStartLine("GET", "/posts/post-25", "HTTP/1.1"),
                                    headers=HTTPHeaders({"Host": "bench.localhost"}))

        def get_status(self) -> int:
            return 200

    logger = logging.getLogger("bench.access")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    log, answered = AccessLog(logger), Answered()

    async def run() -> float:  # in an event loop, as in the server: batches go out by size or time
        started = time.process_time()
        for _ in range(n):
            log(answered)
        log.flush()
        return time.process_time() - started

    spent = asyncio.run(run())
    handler.close()
    return spent * 1e6 / n


def main(seconds: int, connections: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, support.embedded(Path(tmp) / "db") as uri:
        asyncio.run(prepare(uri))
        port = database.free_port()
        url = "http://127.0.0.1:%d/posts/post-25" % port
        with support.app_process(None, port, "--hello") as app:
            support.wrk(url, "bench.localhost", 2, connections)  # warm-up
            hello = support.wrk(url, "bench.localhost", seconds, connections, pid=app.pid)
        with support.app_process(uri, port, log=Path(tmp) / "app.log") as app:
            support.wrk(url, "bench.localhost", 2, connections)  # renders once, then kept
            page = support.wrk(url, "bench.localhost", seconds, connections, pid=app.pid)
        print("machine: %s" % support.machine())
        print("%-26s %9s %9s %9s %12s" % ("", "req/s", "p50 ms", "p99 ms", "CPU us/req"))
        for name, r in (("tornado hello-world", hello), ("kept post page", page)):
            print("%-26s %9.0f %9.2f %9.2f %12.0f" % (name, r["rps"], r["p50"], r["p99"], r["cpu_us"]))
        print("ratio req/s %.0f %% (target >= 80 %%), p99 %.2fx (target <= 1.5x), CPU per request %.2fx"
              % (100 * page["rps"] / hello["rps"], page["p99"] / hello["p99"], page["cpu_us"] / hello["cpu_us"]))
        log_us = access_log_cost(Path(tmp) / "access.log")
        print("access log: %.1f us of CPU a request, %.1f %% of a hit (target < 5 %%)"
              % (log_us, 100 * log_us / page["cpu_us"]))
        if page["errors"] or hello["errors"]:
            print("non-2xx answers: page %d, hello %d" % (page["errors"], hello["errors"]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    main(args.seconds, args.connections)
