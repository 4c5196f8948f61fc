"""gunicorn configuration on OpenShift (named by APP_CONFIG in .s2i/environment).

The tornado worker serves ``wsgi.application`` (a ``tornado.web.Application``)
natively. The router's ``X-Forwarded-*`` headers are honoured by the app itself
(``CMS_TRUST_PROXY=1``): this worker does not turn Tornado's ``xheaders`` on.

Stopping (SIGTERM from the kubelet): the master passes SIGTERM to the workers
and waits ``graceful_timeout`` before killing them. The stock tornado worker
stops accepting on its next one-second heartbeat and stops its event loop on
the one after, whatever is still running; the hook below keeps the loop until
the requests in flight are answered and their handlers have ended (at most
``CMS_SHUTDOWN_GRACE``, as for ``serve``), stops the worker's background
tasks, and ``worker_exit`` then closes the worker's database client and
stops its Markdown render workers.

Starting: the worker serves at once, even with the database down; its
`cms.supervisor.DatabaseMonitor` makes the indexes once the database answers
(retried until they are), and ``/readyz`` says 503 until then.

Logs: every record to stdout, as text or, with ``CMS_LOG_FORMAT=json`` (the
template's default), one JSON object a line (`cms.logs`).

Metrics: with ``CMS_METRICS_PORT`` set, the workers keep their values in
files under ``PROMETHEUS_MULTIPROC_DIR`` (made empty here, in the temporary
directory: ``/tmp``, the pod's one writable place) and the master serves
their sum on that port from a thread (`cms.metrics`); a worker's files are
retired when it exits.

Environment: ``PORT`` (8080), ``WEB_CONCURRENCY`` (2 workers),
``CMS_SHUTDOWN_GRACE`` (25 s), ``GRACEFUL_TIMEOUT`` (the grace plus a 2 s
margin; openshift/template.yaml sets 30 s: with the preStop pause before
SIGTERM it must fit in the pod's ``terminationGracePeriodSeconds``, 45 s),
``CMS_LOG_FORMAT``, ``CMS_METRICS_PORT``.
"""

from __future__ import annotations

import asyncio
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# The configuration is read by the master before it imports the app: `cms` from the source.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cms.logs import gunicorn_logconfig, log_format  # noqa: E402

bind = "0.0.0.0:%s" % os.environ.get("PORT", "8080")
worker_class = "tornado"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
DRAIN_MARGIN = 2.0  # seconds left to the worker to close up before the master's SIGKILL
shutdown_grace = float(os.environ.get("CMS_SHUTDOWN_GRACE") or 25)
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT") or math.ceil(shutdown_grace + DRAIN_MARGIN))
timeout = 30
keepalive = 5  # the router reuses connections
control_socket_disable = True  # no gunicornc socket under $HOME in a container
accesslog = "-"  # what the builder passes; the tornado worker logs requests itself:
errorlog = "-"
# Tornado writes one line a request to the "tornado.access" logger (status,
# method, path, client address as X-Forwarded-For gave it, time). Requests,
# the app's own messages and gunicorn's go to stdout; nothing is printed twice.
logconfig_dict = gunicorn_logconfig(log_format(os.environ))
preload_app = False  # each worker imports wsgi.py, and so has its own database client
metrics_port = int(os.environ.get("CMS_METRICS_PORT") or 0)
if metrics_port:
    # Before any worker imports prometheus_client: it picks its storage at import.
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), "cms-metrics"))


def on_starting(server: Any) -> None:
    """An empty metrics directory: files of an earlier master's workers would be summed too."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if metrics_port and directory:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        for stale in Path(directory).glob("*.db"):  # prometheus_client's files only
            stale.unlink()


def when_ready(server: Any) -> None:
    """The master serves every worker's metrics, summed, on CMS_METRICS_PORT (never the app's port)."""
    if not metrics_port:
        return
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    start_http_server(metrics_port, "0.0.0.0", registry=registry)
    server.log.info("metrics of every worker on port %d", metrics_port)


def child_exit(server: Any, worker: Any) -> None:
    """A gone worker's gauges stop counting (its counters stay in the sums)."""
    if metrics_port:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker: Any) -> None:
    """Once the worker has its app: watch the database (and make the indexes), and drain on SIGTERM."""
    _monitor_the_database(worker)
    _drain_before_stopping(worker)
    sampler = getattr(worker.wsgi, "sampler", None)
    if sampler is not None:  # page cache, render pool and database counters into the metrics
        from tornado.ioloop import IOLoop

        IOLoop.current().add_callback(sampler.start)
    from cms.lifecycle import settle_heap

    settle_heap()


def _monitor_the_database(worker: Any) -> None:
    """Start the app's database monitor on the worker's loop; it makes the indexes (idempotent)."""
    monitor = getattr(worker.wsgi, "monitor", None)
    if monitor is None:
        return
    from tornado.ioloop import IOLoop

    # The loop the worker's run() is about to start; a database down now only delays readiness.
    IOLoop.current().add_callback(monitor.start, ensure_indexes=True)
    mail = getattr(worker.wsgi, "mail", None)
    if mail is not None:  # the outbox's sender (cms.mail): mail queued before this worker started goes out
        IOLoop.current().add_callback(mail.start)
    newsletters = getattr(worker.wsgi, "newsletters", None)
    if newsletters is not None:  # new posts mailed to subscribers (cms.subscriptions.dispatch)
        IOLoop.current().add_callback(newsletters.start)
    trash_sweep = getattr(worker.wsgi, "trash_sweep", None)
    if trash_sweep is not None:  # deleted posts past CMS_TRASH_DAYS go for good (cms.trashsweep)
        IOLoop.current().add_callback(trash_sweep.start)


def _drain_before_stopping(worker: Any) -> None:
    """Let the tornado worker finish the requests in flight before stopping its loop."""
    in_flight = getattr(worker.wsgi, "in_flight", None)
    if in_flight is None or not hasattr(worker, "heartbeat"):
        return
    beat = worker.heartbeat
    grace = max(min(shutdown_grace, worker.cfg.graceful_timeout - DRAIN_MARGIN), 0.0)
    deadline: list[float] = []
    monitor = getattr(worker.wsgi, "monitor", None)

    def heartbeat() -> None:
        if not worker.alive and not in_flight.stopping:
            in_flight.stopping = True  # answers from now on close their connection
            if monitor is not None:  # a background task: done before the loop stops
                asyncio.ensure_future(monitor.stop())
        # Once alive is False the first beat stops the server (server_alive
        # becomes False) and the next stops the loop: hold that one back while
        # a request is answered or a handler still works (it may use the database).
        if not worker.alive and not worker.server_alive and in_flight.busy:
            if not deadline:
                deadline.append(time.monotonic() + grace)
                worker.log.info("finishing %d request(s) in flight", max(in_flight.count, len(in_flight.handlers)))
            if time.monotonic() < deadline[0]:
                return
            worker.log.warning(
                "%d request(s) still running after %.0fs; stopping", max(in_flight.count, len(in_flight.handlers)), grace
            )
        beat()

    worker.heartbeat = heartbeat  # run() reads it when it starts its timers


def worker_exit(server: Any, worker: Any) -> None:
    """Stop the worker's background work (its image and Markdown processes among it)
    and close its database client after its loop has stopped."""
    # Each gunicorn worker made its own pools on first use (none was made in
    # the master before the fork): cms.images.pool and cms.render_pool.
    app = getattr(worker, "wsgi", None)
    if hasattr(app, "stop_background_work"):
        app.stop_background_work()
    db = getattr(app, "db", None)
    if db is not None:
        db.client.close()
        worker.log.info("closed the database client (pid %s)", worker.pid)
