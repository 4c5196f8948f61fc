"""gunicorn configuration on OpenShift (named by APP_CONFIG in .s2i/environment).

The tornado worker serves ``wsgi.application`` (a ``tornado.web.Application``)
natively. The router's ``X-Forwarded-*`` headers are honoured by the app itself
(``CMS_TRUST_PROXY=1``): this worker does not turn Tornado's ``xheaders`` on.

Stopping (SIGTERM from the kubelet): the master passes SIGTERM to the workers
and waits ``graceful_timeout`` before killing them. The stock tornado worker
stops accepting on its next one-second heartbeat and stops its event loop on
the one after, whatever is still running; the hook below keeps the loop until
the requests in flight are answered (at most ``graceful_timeout`` less a
margin), and ``worker_exit`` then closes the worker's database client and
stops its Markdown render workers.

Environment: ``PORT`` (8080), ``WEB_CONCURRENCY`` (2 workers),
``GRACEFUL_TIMEOUT`` (25 s; keep it under the pod's
``terminationGracePeriodSeconds``, 30 s by default).
"""

from __future__ import annotations

import os
import time
from typing import Any

bind = "0.0.0.0:%s" % os.environ.get("PORT", "8080")
worker_class = "tornado"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", "25"))
timeout = 30
keepalive = 5  # the router reuses connections
control_socket_disable = True  # no gunicornc socket under $HOME in a container
accesslog = "-"  # what the builder passes; the tornado worker logs requests itself:
errorlog = "-"
# Tornado writes one line a request to the "tornado.access" logger (status,
# method, path, client address as X-Forwarded-For gave it, time). Requests,
# the app's own messages and gunicorn's go to stdout; nothing is printed twice.
logconfig_dict = {
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False, "qualname": "gunicorn.error"},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False, "qualname": "gunicorn.access"},
    },
}
preload_app = False  # each worker imports wsgi.py, and so has its own database client

DRAIN_MARGIN = 2.0  # seconds left to the worker to close up before the master's SIGKILL


def post_worker_init(worker: Any) -> None:
    """Once the worker has its app: make sure of the indexes, and drain on SIGTERM."""
    _ensure_indexes_when_running(worker)
    _drain_before_stopping(worker)


def _ensure_indexes_when_running(worker: Any) -> None:
    """Create the indexes (idempotent) on the worker's loop, as ``python -m cms serve`` does."""
    db = getattr(worker.wsgi, "db", None)
    if db is None:
        return
    from tornado.ioloop import IOLoop

    from cms.db import ensure_indexes

    async def ensure() -> None:
        try:
            await ensure_indexes(db)
        except Exception as e:  # the app still serves; say so once
            worker.log.warning("could not ensure the database indexes: %s", e)

    IOLoop.current().add_callback(ensure)  # the loop the worker's run() is about to start


def _drain_before_stopping(worker: Any) -> None:
    """Let the tornado worker finish the requests in flight before stopping its loop."""
    in_flight = getattr(worker.wsgi, "in_flight", None)
    if in_flight is None or not hasattr(worker, "heartbeat"):
        return
    beat = worker.heartbeat
    grace = max(worker.cfg.graceful_timeout - DRAIN_MARGIN, 0.0)
    deadline: list[float] = []

    def heartbeat() -> None:
        if not worker.alive:
            in_flight.stopping = True  # answers from now on close their connection
        # Once alive is False the first beat stops the server (server_alive
        # becomes False) and the next stops the loop: hold that one back.
        if not worker.alive and not worker.server_alive and in_flight.count:
            if not deadline:
                deadline.append(time.monotonic() + grace)
                worker.log.info("finishing %d request(s) in flight", in_flight.count)
            if time.monotonic() < deadline[0]:
                return
            worker.log.warning("%d request(s) still running after %.0fs; stopping", in_flight.count, grace)
        beat()

    worker.heartbeat = heartbeat  # run() reads it when it starts its timers


def worker_exit(server: Any, worker: Any) -> None:
    """Stop the worker's image and Markdown processes and close its database client after its loop has stopped."""
    # Each gunicorn worker made its own pools on first use (none was made in
    # the master before the fork): cms.images.pool and cms.render_pool.
    from cms import render_pool
    from cms.images import pool as images_pool

    images_pool.pool.stop()
    render_pool.shutdown()
    db = getattr(getattr(worker, "wsgi", None), "db", None)
    if db is not None:
        db.client.close()
        worker.log.info("closed the database client (pid %s)", worker.pid)
