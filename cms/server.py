"""``python -m cms serve``: run the application until SIGINT or SIGTERM.

With no MongoDB URI the embedded server is started first and stopped last,
after the HTTP server has stopped accepting and finished what was in flight.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from tornado.httpserver import HTTPServer

from cms.app import make_app
from cms.commands import site_url
from cms.config import Settings
from cms.runtime import database_uri, open_database
from cms.seed import seed_demo

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 10.0  # seconds to finish requests in flight


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> int:
    settings.host = host or settings.host
    settings.port = port or settings.port
    with database_uri(settings) as uri:
        asyncio.run(_serve(settings, uri))
    return 0


async def _serve(settings: Settings, uri: str) -> None:
    async with open_database(uri, settings.database_name) as db:
        seeded = await seed_demo(db)
        app = make_app(settings, db)
        server = HTTPServer(app)
        server.listen(settings.port, settings.host)
        if seeded:
            print("Created the demo site: %s" % site_url(settings, seeded["site"]["name"]))
            print("  owner e-mail: %s" % seeded["email"])
            print("  owner password: %s  (shown once; keep it)" % seeded["password"])
        print("Serving on http://%s:%d/" % (settings.host, settings.port), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        log.info("shutting down: no new connections, finishing requests in flight")
        server.stop()
        try:
            await asyncio.wait_for(server.close_all_connections(), SHUTDOWN_GRACE)
        except asyncio.TimeoutError:
            log.warning("requests still running after %.0fs; closing anyway", SHUTDOWN_GRACE)
