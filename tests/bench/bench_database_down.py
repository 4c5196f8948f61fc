"""How fast are the answers while the database is away? A script that prints numbers (not a test).

    .venv/bin/python tests/bench/bench_database_down.py [--requests 200]

Starts ``python -m cms serve`` on a fresh data directory (the embedded
database, the demo site), asks the home page once (the site is now known),
then kills the database child with SIGKILL and moves its directory aside so
that no restart can succeed. It then times, one after the other: the home
page (a themed 503 with Retry-After), ``/readyz`` (503) and, as the
yardstick, ``/healthz`` (a handler that does nothing). Then it puts the
directory back and times how long until the home page answers 200 again.
Target: the 503 under 100 ms, readyz within 1 s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from cms.db import free_port  # noqa: E402


def get(port: int, host: str, path: str) -> tuple[int, float]:
    began = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        response.read()
        return response.status, (time.perf_counter() - began) * 1000
    finally:
        conn.close()


def timed(port: int, host: str, path: str, n: int) -> str:
    statuses, ms = set(), []
    for _ in range(n):
        status, took = get(port, host, path)
        statuses.add(status)
        ms.append(took)
    ms.sort()
    return "%-10s status %-10s p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms  (%d requests)" % (
        path, sorted(statuses), statistics.median(ms), ms[int(len(ms) * 0.99) - 1], ms[-1], n)


def until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("gave up waiting after %.0fs" % timeout)
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB", "CMS_", "COOKIE_SECRET"))}
        env["CMS_DATA_DIR"] = str(data)
        log = open(Path(tmp) / "serve.log", "w+")
        serve = subprocess.Popen([sys.executable, "-m", "cms", "serve", "--port", str(port)], cwd=REPO, env=env,
                                 stdout=log, stderr=subprocess.STDOUT)
        try:
            until(lambda: "Serving on" in (Path(tmp) / "serve.log").read_text(), 120)
            site = "demo.localhost:%d" % port
            assert get(port, site, "/")[0] == 200
            print("database up:")
            print("  " + timed(port, site, "/", args.requests))
            print("  " + timed(port, "probe", "/healthz", args.requests))
            child = json.loads((data / "db" / "server.json").read_text())["pid"]
            (data / "db").rename(data / "db.moved")
            (data / "db").write_text("in the way: no restart can work")
            os.kill(child, signal.SIGKILL)
            until(lambda: get(port, site, "/")[0] == 503, 30)
            print("database down (killed, restarts failing):")
            print("  " + timed(port, site, "/", args.requests))
            print("  " + timed(port, "probe", "/readyz", max(10, args.requests // 20)))
            print("  " + timed(port, "probe", "/healthz", args.requests))
            (data / "db").unlink()
            (data / "db.moved").rename(data / "db")
            began = time.monotonic()
            until(lambda: get(port, site, "/search?q=markdown")[0] == 200, 60)
            print("back 200 %.1f s after the files were put back (restart backoff up to 10 s)"
                  % (time.monotonic() - began))
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(60)
            log.close()


if __name__ == "__main__":
    main()
