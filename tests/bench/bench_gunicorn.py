"""Benchmark 6 (issue 13): the kept post page under gunicorn, WEB_CONCURRENCY=2.

    .venv/bin/python tests/bench/bench_gunicorn.py [--seconds 10] [--connections 64]

Runs the deployment's own command (``gunicorn wsgi --config
openshift/gunicorn.conf.py``, tornado workers) with two workers on an
embedded database, and ``wrk`` against it; prints the aggregate req/s and
latencies. The workers are not pinned: with two cores, the workers, the
database and wrk share them. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import support  # noqa: I001 (tests/bench is on sys.path when run as a script)

from cms import db as database


async def prepare(uri: str) -> None:
    client = database.connect(uri)
    await database.ensure_indexes(client["bench"])
    await support.fill_site(client["bench"], posts=50)
    client.close()


def main(seconds: int, connections: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, support.embedded(Path(tmp) / "db") as uri:
        asyncio.run(prepare(uri))
        port = database.free_port()
        env = {**os.environ, "MONGODB_URI": uri.rstrip("/") + "/bench", "COOKIE_SECRET": "bench-cookie-secret",
               "CMS_BASE_DOMAIN": "localhost", "PORT": str(port), "WEB_CONCURRENCY": "2", "CMS_DATA_DIR": tmp}
        gunicorn = [sys.executable, "-m", "gunicorn", "wsgi", "--bind=127.0.0.1:%d" % port,
                    "--config", "openshift/gunicorn.conf.py"]
        with open(Path(tmp) / "gunicorn.log", "wb") as log:
            process = subprocess.Popen(gunicorn, cwd=support.REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                url = "http://127.0.0.1:%d/posts/post-25" % port
                support.wait_for(url, "bench.localhost")
                support.wrk(url, "bench.localhost", 2, connections)  # each worker renders once, then keeps it
                result = support.wrk(url, "bench.localhost", seconds, connections)
            finally:
                process.terminate()
                process.wait(30)
        print("machine: %s" % support.machine())
        print("gunicorn, 2 tornado workers: %.0f req/s aggregate, p50 %.1f ms, p99 %.1f ms, non-2xx %d"
              % (result["rps"], result["p50"], result["p99"], result["errors"]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    main(args.seconds, args.connections)
