"""Health checks, answered on every host without resolving a site.

Both read the application's `cms.supervisor.DatabaseMonitor`: readiness is a
ping and a real read, each with a 1 s deadline (the probe gives up after 3 s), plus the indexes;
liveness fails only when the embedded database could not be brought back,
the one state a restart of the process can cure.
"""

from __future__ import annotations

import tornado.web


class HealthHandler(tornado.web.RequestHandler):
    """``/healthz``: the process is up (503 once its database cannot be restarted)."""

    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        if self.application.monitor.healthy:
            self.write({"status": "ok"})
        else:
            self.set_status(503)
            self.write({"status": "the embedded database cannot be restarted"})


class ReadyHandler(tornado.web.RequestHandler):
    """``/readyz``: the database answers ``ping`` within 1 s, its first documents read back whole
    (`cms.db.read_check`), and it has its indexes; 503 otherwise."""

    async def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        problem = await self.application.monitor.readiness()
        if problem is None:
            self.write({"status": "ready"})
        else:
            self.set_status(503)
            self.write({"status": problem})
