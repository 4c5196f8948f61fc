"""``python -m cms serve``: run the application until SIGINT or SIGTERM.

With no MongoDB URI the embedded server is started first, supervised while
serving (restarted if it dies, see `cms.supervisor`), and stopped last.
On the first SIGINT or SIGTERM the server stops accepting connections, lets
the requests in flight finish (at most ``CMS_SHUTDOWN_GRACE`` seconds, 25 by
default, inside OpenShift's 30 s; see `cms.lifecycle`), closes the remaining
(idle) connections, lets handlers still running past the grace end (at most
`SETTLE` seconds more, then cancels them), stops its background tasks and the Markdown
render workers (`cms.render_pool`), and
only then closes the database client and the embedded server. A second
signal stops the waiting.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from tornado.httpserver import HTTPServer

from cms import db as database
from cms import listening, metrics
from cms.app import CMSApplication, make_app
from cms.commands import site_url
from cms.config import Settings
from cms.lifecycle import settle_heap
from cms.runtime import database_server, open_database
from cms.seed import seed_demo
from cms.store import Sites
from cms.supervisor import EmbeddedSupervisor

log = logging.getLogger(__name__)

SETTLE = 2.0  # seconds handlers still running after the grace get before they are cancelled
LISTED_SITES = 5  # sites whose addresses a start prints


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> int:
    """Serve until SIGINT/SIGTERM, then stop gracefully; the process's exit code."""
    settings.host = host or settings.host
    settings.port = port or settings.port
    # A SIGTERM before the event loop takes the signals over (while the
    # embedded server starts) must still unwind through database_server, which
    # stops that server. From the loop's first step on, `_signal_event` has them.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    if settings.metrics_port:
        metrics.watch_database_commands()  # before the first client is made
    with database_server(settings, role="serve") as (uri, embedded), \
            listening.announced(settings.data_dir, settings.port):  # for commands' addresses (cms.listening)
        asyncio.run(_serve(settings, uri, embedded))
    return 0


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


async def _serve(settings: Settings, uri: str, embedded: database.EmbeddedServer | None) -> None:
    # A signal during start-up (indexes, the demo) is kept and acted on once the
    # start is done, by the graceful path below: raising out of a running loop
    # could leave the loop's threads behind and hang the exit.
    stopping = _signal_event()
    async with open_database(uri, settings.database_name, platform=settings) as db:
        seeded = await seed_demo(db)
        app = make_app(settings, db)
        server = HTTPServer(app)
        server.listen(settings.port, settings.host)
        app.monitor.start()
        app.mail.start()  # the outbox's sender (cms.mail)
        app.newsletters.start()  # new posts mailed to subscribers (cms.subscriptions.dispatch)
        app.trash_sweep.start()  # the Trash's keeping time (cms.trashsweep)
        metrics_server = _serve_metrics(app, settings)
        moved = MovedClients(app, settings.database_name)
        supervisor = EmbeddedSupervisor(embedded, app.monitor, moved.use) if embedded else None
        if supervisor:
            supervisor.start()
        if seeded:
            print("Created the demo site: %s" % site_url(settings, seeded["site"]["name"]))
            print("  owner e-mail: %s" % seeded["email"])
            print("  owner password: %s  (shown once; keep it)" % seeded["password"])
        await print_sites(db, settings)
        settle_heap()  # start-up is done (cms.lifecycle)
        print("Serving on http://%s:%d/" % (settings.host, settings.port), flush=True)
        await stopping.wait()
        await finish_serving(server, app, settings.shutdown_grace, interrupt=_signal_event())
        if supervisor:
            await supervisor.stop()
        await app.monitor.stop()
        if metrics_server is not None:
            metrics_server.stop()
        app.stop_background_work()  # the poll, the access log, the image and Markdown workers
        moved.close()
    # open_database has closed the client; database_server stops an embedded server.
    log.info("stopped")


def _serve_metrics(app: CMSApplication, settings: Settings) -> metrics.MetricsServer | None:
    """``/metrics`` on ``CMS_METRICS_PORT``, apart from the sites' port; None when unset."""
    if app.sampler is None or not settings.metrics_port:
        return None
    app.sampler.start()
    server = metrics.MetricsServer(app.sampler)
    server.listen(settings.metrics_port, settings.host)
    return server


async def print_sites(db: database.Database, settings: Settings) -> None:
    """Where the first sites answer, at every start: after a restart on another
    port, the addresses printed before are no longer the ones that work."""
    names, count = await Sites(db).first_names(LISTED_SITES)
    if not names:
        return
    print("Sites:")
    for name in names:
        print("  %s" % site_url(settings, name))
    if count > len(names):
        print("  and %d more" % (count - len(names)))


class MovedClients:
    """The clients made when the embedded server came back on another port (closed at the end)."""

    def __init__(self, app: CMSApplication, name: str) -> None:
        self.app = app
        self.name = name
        self.clients: list = []

    async def use(self, uri: str) -> None:
        client = database.connect(uri)
        self.clients.append(client)
        self.app.use_database(client[self.name])
        log.warning("the embedded database moved to %s: a new client talks to it", uri)

    def close(self) -> None:
        for client in self.clients:
            client.close()


def _signal_event() -> asyncio.Event:
    """An event that the next SIGINT or SIGTERM sets (replacing any earlier one's)."""
    event = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, event.set)
    return event


async def finish_serving(
    server: HTTPServer, app: CMSApplication, grace: float, settle: float = SETTLE,
    interrupt: asyncio.Event | None = None,
) -> None:
    """Stop accepting, let the requests in flight finish, close every connection, and
    wait for the handlers still at work; after this the database client may close.

    ``interrupt`` (a second SIGINT/SIGTERM) stops the waiting for requests in flight.
    """
    log.info("shutting down: no new connections, finishing %d request(s) in flight", app.in_flight.count)
    server.stop()
    app.in_flight.stopping = True
    if not await _until_drained_or_interrupted(app, grace, interrupt):
        log.warning(
            "%d request(s) still running after %.0fs; closing them",
            max(app.in_flight.count, len(app.in_flight.handlers)), grace,
        )
    # Idle keep-alive connections (and any request past the grace period).
    await server.close_all_connections()
    # A handler whose connection is gone may still be at work (an upload being
    # processed): the database client stays open until it ends.
    cancelled = await app.in_flight.settled(settle)
    if cancelled:
        log.warning("cancelled %d handler(s) still running %.0fs after their connection closed", cancelled, settle)


async def _until_drained_or_interrupted(app: CMSApplication, grace: float, interrupt: asyncio.Event | None) -> bool:
    """Wait for the requests in flight; ``interrupt`` being set stops waiting."""
    drained = asyncio.ensure_future(app.in_flight.drained(grace))
    again = asyncio.ensure_future((interrupt or asyncio.Event()).wait())
    try:
        await asyncio.wait({drained, again}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        again.cancel()
        if interrupt is not None:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
    if not drained.done():
        drained.cancel()
        log.warning("asked again to stop: not waiting for requests in flight")
        return False
    return drained.result()
