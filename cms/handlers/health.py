"""Health checks, answered on every host without resolving a site."""

from __future__ import annotations

import tornado.web

from cms.db import ping


class HealthHandler(tornado.web.RequestHandler):
    """``/healthz``: the process is up."""

    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.write({"status": "ok"})


class ReadyHandler(tornado.web.RequestHandler):
    """``/readyz``: the database answers ``ping``; 503 otherwise."""

    async def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        if await ping(self.application.db):
            self.write({"status": "ready"})
        else:
            self.set_status(503)
            self.write({"status": "database unreachable"})
