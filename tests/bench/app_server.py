"""One application process for the benchmarks (not a test): ``serve`` without the rest.

    python tests/bench/app_server.py --uri URI --db NAME --port PORT [--cold] [--hello]

Configured as ``python -m cms serve`` runs it (INFO logging, so one access-log
line a request, to stderr), on an existing database. ``--cold`` keeps no
rendered page; ``--hello`` serves a Tornado hello-world instead, the yardstick.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import tornado.web  # noqa: E402
from tornado.httpserver import HTTPServer  # noqa: E402


class Hello(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write("Hello, world")


async def main(args: argparse.Namespace) -> None:
    if args.hello:
        app = tornado.web.Application([(r"/.*", Hello)])
    else:
        from cms import db as database
        from cms.app import make_app
        from cms.config import Settings
        from cms.pagecache import PageCache

        settings = Settings(mongodb_uri=args.uri, database_name=args.db, data_dir=Path(tempfile.mkdtemp()),
                            cookie_secret="bench-cookie-secret")
        app = make_app(settings, database.connect(args.uri)[args.db])
        if args.cold:
            app.page_cache = PageCache(max_bytes=0)
        if args.live_per_address:
            app.live.max_per_address = args.live_per_address  # bench_live.py: every socket from one address
        from cms.lifecycle import settle_heap

        settle_heap()  # as serve and the gunicorn workers do once started
    server = HTTPServer(app)
    server.listen(args.port, "127.0.0.1", backlog=16384)
    print("listening", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--uri")
    parser.add_argument("--db", default="bench")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--hello", action="store_true")
    parser.add_argument("--live-per-address", type=int, default=0, help="live sockets allowed per client address")
    parser.add_argument("--quiet", action="store_true", help="no access log (to measure what it costs)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.quiet:
        logging.getLogger("tornado.access").setLevel(logging.WARNING)
    asyncio.run(main(args))
