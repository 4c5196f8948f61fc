"""Answering before the body is read: `AnswersEarly` and `RefusedHandler`.

`cms.limits.RequestLimits.refusal` decides from the headers alone that a
request is too large (413), its address too long (414) or its headers too
large (431); the application routes such a request to `RefusedHandler`
instead of its own handler. Uploads (`cms.handlers.uploads`) also refuse from
the headers (not signed in, no right, too large).

Both stream the body (``stream_request_body``), so none of it is kept. The
catch with any early answer: closing the connection right after it, with
the client's data still unread, makes the kernel reset the connection, and
many clients then lose the answer they were sent (a browser reports
"connection reset" instead of the 413). `AnswersEarly` sends the whole
answer at once, then keeps reading and dropping what the client sends for
at most `LINGER_SECONDS` before it closes, as web servers do ("lingering
close").
"""

from __future__ import annotations

from typing import Any

import tornado.web
from tornado.concurrent import Future
from tornado.ioloop import IOLoop

from cms.handlers.base import BaseHandler
from cms.limits import discard_body, unread_body
from cms.uploads import StreamedForm

LINGER_SECONDS = 2.0


class AnswersEarly(tornado.web.RequestHandler):
    """Mixin for a ``stream_request_body`` handler that may answer from ``prepare``.

    Subclasses read their body in `receive` (not ``data_received``).
    """

    _linger: Any = None  # the timer that ends lingering, while it lasts
    _lingered = False
    _received = 0

    def receive(self, chunk: bytes) -> Any:
        """A piece of the body, while no answer has been given."""

    def data_received(self, chunk: bytes) -> Any:
        self._received += len(chunk)
        if self._linger is None and not self._lingered:
            return self.receive(chunk)
        if not unread_body(self.request, self._received):
            self._end_linger()  # all of it came: nothing left to reset the connection with
        return None

    def finish(self, chunk: Any = None) -> "Future[None]":
        early = not self._finished and not self._lingered and unread_body(self.request, self._received)
        if not early:
            return super().finish(chunk)
        if chunk is not None:
            self.write(chunk)
        if self._linger is None:
            discard_body(self.request)
            self.set_header("Connection", "close")
            if not self._headers_written:
                self.set_header("Content-Length", sum(len(part) for part in self._write_buffer))
            self.flush()  # the whole answer, now; the connection closes when lingering ends
            self._linger = IOLoop.current().call_later(LINGER_SECONDS, self._end_linger)
        done: Future[None] = Future()
        done.set_result(None)
        return done

    def _end_linger(self) -> None:
        if self._linger is not None:
            IOLoop.current().remove_timeout(self._linger)
            self._linger = None
        if not self._lingered:
            self._lingered = True
            if not self._finished:
                super().finish()

    def on_connection_close(self) -> None:
        if self._linger is not None:
            IOLoop.current().remove_timeout(self._linger)
            self._linger = None
            self._lingered = True
        super().on_connection_close()


class StreamsForm(AnswersEarly):
    """An `AnswersEarly` handler whose body goes into ``self.form`` (a
    `cms.uploads.StreamedForm` made in ``prepare`` once the headers pass), and
    whose temporary files are closed however the request ends."""

    form: StreamedForm | None = None

    def receive(self, chunk: bytes) -> None:
        if self.form is not None:
            self.form.write(chunk)

    def on_finish(self) -> None:
        if self.form is not None:
            self.form.close()

    def on_connection_close(self) -> None:
        if self.form is not None:
            self.form.close()
        super().on_connection_close()


@tornado.web.stream_request_body
class RefusedHandler(AnswersEarly, BaseHandler):
    """A request its headers disqualify: its status, rendered by the one ``write_error``.

    Nothing runs that could change anything: no site, no session, no XSRF check.
    """

    def initialize(self, status: int) -> None:
        self.status = status

    def check_xsrf_cookie(self) -> None:
        """Whatever token it carries, the answer is the same and nothing is done."""

    async def prepare(self) -> None:
        raise tornado.web.HTTPError(self.status)
