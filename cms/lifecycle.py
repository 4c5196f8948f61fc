"""Requests in flight, so that a stopping process can finish them first.

Tornado's ``HTTPServer.close_all_connections`` closes every connection at
once, including one whose response is half done, and gunicorn's tornado
worker stops its event loop about a second after SIGTERM whatever is
running. Both shutdown paths (`cms.server` and ``openshift/gunicorn.conf.py``)
instead stop accepting, wait here until the requests in flight are answered
(bounded by a grace period), and only then close connections and the
database client.

`InFlight.start_request` sits between the HTTP server and the application
(`cms.app.CMSApplication.start_request` calls it): a request counts from its
headers' arrival (an idle keep-alive connection is not a request) until its
response has been written out, or its client went away.

A handler may run on after that: its client went away, or the grace ran out
and its connection was closed (an upload still being processed, say). Its
task is tracked too (`InFlight.track`, from ``BaseHandler.prepare``), and
the stopping process waits for it (`InFlight.settled`) before it closes the
database client the handler is still using.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from typing import Any, Callable

from tornado import httputil

log = logging.getLogger(__name__)


class InFlight:
    """Counts the requests being answered by this process."""

    def __init__(self) -> None:
        self.count = 0
        self.handlers: set[asyncio.Future] = set()  # handler tasks still running
        # Set when the process starts stopping: answers from then on say
        # "Connection: close", so no client sends another request this way.
        self.stopping = False

    def start_request(
        self,
        start: Callable[[object, httputil.HTTPConnection], httputil.HTTPMessageDelegate],
        server_conn: object,
        request_conn: httputil.HTTPConnection,
    ) -> httputil.HTTPMessageDelegate:
        """Wrap the application's ``start_request`` so the request is counted."""
        tracked = _Request(self, request_conn)
        tracked.delegate = start(server_conn, tracked.connection)
        return tracked

    def track(self, task: asyncio.Future | None) -> None:
        """Count a handler's task until it is done, whether or not its client is still there."""
        if task is not None and task not in self.handlers:
            self.handlers.add(task)
            task.add_done_callback(self.handlers.discard)

    @property
    def busy(self) -> bool:
        """A request is being answered, or a handler is still running."""
        return self.count > 0 or bool(self.handlers)

    async def drained(self, timeout: float, poll: float = 0.05) -> bool:
        """Wait until nothing is in flight; False if something still is after ``timeout``."""
        deadline = time.monotonic() + timeout
        while self.busy:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(poll)
        return True

    async def settled(self, timeout: float) -> int:
        """After the connections were closed: let running handlers end (at most ``timeout``
        seconds), then cancel the rest and wait for them to unwind. How many were cancelled."""
        running = [task for task in self.handlers if task is not asyncio.current_task()]
        if not running:
            return 0
        _, late = await asyncio.wait(running, timeout=timeout)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)
        return len(late)


class _Request(httputil.HTTPMessageDelegate):
    """One request: passes everything to the application's delegate, and counts."""

    def __init__(self, in_flight: InFlight, request_conn: httputil.HTTPConnection) -> None:
        self.in_flight = in_flight
        self.active = False
        self.connection = _Connection(request_conn, self)
        self.delegate: httputil.HTTPMessageDelegate | None = None

    def begin(self) -> None:
        if not self.active:
            self.active = True
            self.in_flight.count += 1

    def end(self, *_: Any) -> None:
        if self.active:
            self.active = False
            self.in_flight.count -= 1

    def headers_received(self, start_line: Any, headers: httputil.HTTPHeaders) -> Any:
        self.begin()
        return self.delegate.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Any:
        return self.delegate.data_received(chunk)

    def finish(self) -> None:
        self.delegate.finish()

    def on_connection_close(self) -> None:
        try:
            self.delegate.on_connection_close()
        finally:
            self.end()


class _Connection:
    """The request's connection as the application sees it; notices the response's end."""

    def __init__(self, conn: httputil.HTTPConnection, request: _Request) -> None:
        self._conn = conn
        self._request = request

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def write_headers(self, start_line: Any, headers: httputil.HTTPHeaders, chunk: bytes | None = None) -> Any:
        if self._request.in_flight.stopping:
            headers["Connection"] = "close"
        return self._conn.write_headers(start_line, headers, chunk)

    def finish(self) -> None:
        try:
            self._conn.finish()
        finally:
            # Tornado's HTTP/1 connection resolves this once the last byte is flushed.
            flushed = getattr(self._conn, "_finish_future", None)
            if flushed is not None and not flushed.done():
                flushed.add_done_callback(self._request.end)
            else:
                self._request.end()

    def detach(self) -> Any:
        # A WebSocket takes the stream over: no longer an HTTP request in flight.
        self._request.end()
        return self._conn.detach()


def settle_heap() -> None:
    """Once a serving process has started: keep what start-up made out of the
    garbage collector's full passes.

    Modules, compiled templates, themes and the like live as long as the process,
    yet every full collection walks them all again; on a busy process those walks
    were the slowest moments of a kept page (its p99 about twice a Tornado
    hello-world's in tests/bench/bench_cached.py, at par once frozen). Objects
    made later are collected as usual.
    """
    gc.collect()
    gc.freeze()
