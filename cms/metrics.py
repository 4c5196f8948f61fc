"""Prometheus metrics, on a port of their own that no Route exposes.

With ``CMS_METRICS_PORT`` set (the OpenShift template: 9100) each process
counts its requests by status class and site, their latency, its page
cache's hits and misses, its render pool's queue, its database errors and
the outbox backlog, and Prometheus scrapes ``http://<pod>:9100/metrics``
(the ServiceMonitor in ``openshift/``). Unset (the default for ``serve`` on
a laptop), nothing is counted and nothing listens.

Under gunicorn each worker is its own process: prometheus_client's
multiprocess mode keeps every worker's values in files under
``PROMETHEUS_MULTIPROC_DIR`` (``openshift/gunicorn.conf.py`` makes it in
``/tmp``, the pod's only writable place), and the master serves their sum
from a thread (prometheus_client's own server, `registry`). Under ``serve`` the process serves its own
(`MetricsServer`). The variable must be set before this module is first
imported: prometheus_client picks its storage then.

Cost on a request: nothing beyond the access log's tuple. The access log
counts each request as it writes its batch (`RequestMetrics.record_batch`,
about 2 µs a request, off the request's path); the rest is read from counters the
page cache, the render pool and the database monitor keep anyway, every
`SAMPLE_INTERVAL` seconds (`Sampler`).

The ``site`` label is bounded: the first `MAX_SITE_LABELS` sites a process
answers for get their own label, every later one counts as ``other``;
requests no site answered (the platform, health checks, unknown hosts) are
``-``. A platform of thousands of sites thus makes at most
`MAX_SITE_LABELS` + 2 series per status class and process.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import pymongo.errors
import pymongo.monitoring
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from tornado.httpserver import HTTPServer
from tornado.ioloop import PeriodicCallback
from tornado.web import Application, RequestHandler

log = logging.getLogger(__name__)

MAX_SITE_LABELS = 50
SAMPLE_INTERVAL = 5.0  # seconds between samples of the page cache, render pool and database counters
OUTBOX_INTERVAL = 30.0  # seconds between counts of the outbox (a query, so rarer)
OTHER_SITES = "other"
NO_SITE = "-"

REQUESTS = Counter("cms_http_requests", "Requests answered, by status class and site.", ["status", "site"])
LATENCY = Histogram(
    "cms_http_request_duration_seconds", "Time from the request's arrival to its answer.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
PAGE_CACHE = Counter("cms_page_cache_lookups", "Reader page cache lookups: hit, stale (served while re-rendered), miss.",
                     ["result"])
RENDER_WAITING = Gauge("cms_render_pool_waiting", "Markdown renders scheduled and not finished.",
                       multiprocess_mode="livesum")
DATABASE_ERRORS = Counter("cms_database_errors", "Database commands that failed, and times the database was "
                          "found unreachable.", ["kind"])
# Every process counts the same collection: the master reports the largest (latest) count.
OUTBOX = Gauge("cms_outbox_messages", "E-mails in the outbox by status (queued + sending: the backlog).",
               ["status"], multiprocess_mode="livemax")


class SiteLabels:
    """The ``site`` label of a request: its own for the first `MAX_SITE_LABELS` sites, then ``other``."""

    def __init__(self, limit: int = MAX_SITE_LABELS) -> None:
        self.limit = limit
        self._known: set[str] = set()

    def __call__(self, site: str | None) -> str:
        if not site:
            return NO_SITE
        if site in self._known:
            return site
        if len(self._known) < self.limit:
            self._known.add(site)
            return site
        return OTHER_SITES


class RequestMetrics:
    """Counts answered requests (called by `cms.accesslog.AccessLog`)."""

    def __init__(self, limit: int = MAX_SITE_LABELS) -> None:
        self.site_label = SiteLabels(limit)

    def record(self, status: int, site: str | None, seconds: float) -> None:
        REQUESTS.labels("%dxx" % (status // 100), self.site_label(site)).inc()
        LATENCY.observe(seconds)

    def record_batch(self, answers: list[tuple[int, str | None, float]]) -> None:
        """Many ``(status, site, seconds)`` at once: one counter increment per status class and site."""
        counts: dict[tuple[int, str | None], int] = {}
        observe = LATENCY.observe
        for status, site, seconds in answers:
            key = (status // 100, site)
            counts[key] = counts.get(key, 0) + 1
            observe(seconds)
        for (kind, site), n in counts.items():
            REQUESTS.labels("%dxx" % kind, self.site_label(site)).inc(n)


class FailedCommands(pymongo.monitoring.CommandListener):
    """Counts the database commands that failed (pymongo calls it on every command)."""

    def started(self, event: pymongo.monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: pymongo.monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: pymongo.monitoring.CommandFailedEvent) -> None:
        DATABASE_ERRORS.labels("command").inc()


class Sampler:
    """Copies what the process counts anyway into the metrics, every `SAMPLE_INTERVAL` seconds."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._seen = {"hit": 0, "stale": 0, "miss": 0, "unreachable": 0}
        self._callback: PeriodicCallback | None = None
        self._outbox: PeriodicCallback | None = None

    def start(self) -> None:
        if self._callback is None:
            self._callback = PeriodicCallback(self.sample, SAMPLE_INTERVAL * 1000)
            self._callback.start()
            if getattr(self.app, "mail", None) is not None:  # the outbox (cms.mail, cms.store.outbox)
                self._outbox = PeriodicCallback(self.count_outbox, OUTBOX_INTERVAL * 1000)
                self._outbox.start()

    def stop(self) -> None:
        for callback in (self._callback, self._outbox):
            if callback is not None:
                callback.stop()
        self._callback = self._outbox = None

    def sample(self) -> None:
        from cms import render_pool

        cache = self.app.page_cache
        now = {"hit": cache.hits, "stale": cache.stale_hits, "miss": cache.misses,
               "unreachable": getattr(self.app.monitor, "failures", 0)}
        for name, value in now.items():
            # A counter that went back (a new page cache or monitor) starts over from it.
            delta = value - self._seen[name] if value >= self._seen[name] else value
            self._seen[name] = value
            if delta:
                if name == "unreachable":
                    DATABASE_ERRORS.labels("unreachable").inc(delta)
                else:
                    PAGE_CACHE.labels(name).inc(delta)
        RENDER_WAITING.set(render_pool.waiting())

    async def count_outbox(self) -> None:
        """One aggregation over the outbox's statuses (`Outbox.counts`)."""
        try:
            counts = await self.app.mail.outbox.counts()
        except pymongo.errors.PyMongoError as e:  # a failed command is counted; the gauges keep their values
            log.debug("could not count the outbox: %s", e)
            return
        for status, n in counts.items():
            OUTBOX.labels(status).set(n)


def registry() -> CollectorRegistry:
    """What ``/metrics`` reports: every process's values in multiprocess mode, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected)
        return collected
    return DEFAULT_REGISTRY


class MetricsHandler(RequestHandler):
    """``GET /metrics`` in Prometheus' text format (a sample taken first, so it is current)."""

    def initialize(self, sampler: Sampler | None = None) -> None:
        self.sampler = sampler

    def get(self) -> None:
        if self.sampler is not None:
            self.sampler.sample()
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.write(generate_latest(registry()))


class MetricsServer:
    """``/metrics`` of this process on its own port (``serve``); never on the app's port."""

    def __init__(self, sampler: Sampler | None) -> None:
        self.app = Application([(r"/metrics", MetricsHandler, {"sampler": sampler})])
        self.server: HTTPServer | None = None

    def listen(self, port: int, host: str) -> None:
        self.server = HTTPServer(self.app)
        self.server.listen(port, host)
        log.info("metrics on http://%s:%d/metrics", host, port)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


_watching: list[FailedCommands] = []


def watch_database_commands() -> None:
    """Count failed database commands of every client made from now on (once a process)."""
    if not _watching:
        _watching.append(FailedCommands())
        pymongo.monitoring.register(_watching[0])
