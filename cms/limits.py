"""How much and how slowly a client may send: one place, for both servers.

Tornado's defaults trust the client: headers may take an hour to arrive,
every body up to 100 MB is read into memory before any handler looks at it,
and a header block over 64 KB gets the connection closed without an answer.
Here every request gets:

* a **header deadline**: the request line and headers must be in within
  ``header_timeout`` seconds of the connection being ready for a request
  (Tornado's ``header_timeout``, which is also how long an idle keep-alive
  connection is kept), so slow-header ("slowloris") sockets are closed;
* a **body limit** of ``max_form_bytes`` (the largest legitimate form, see
  `MAX_FORM_BYTES`), announced or not, and a ``body_timeout`` to read it.
  Only handlers that stream their body (uploads, see
  `cms.handlers.uploads`) raise the limit, for one request, after checking
  who is asking;
* clear answers from the headers alone, before any body is read: 413 when
  ``Content-Length`` is over the limit, 411 for a body without one
  (``Transfer-Encoding: chunked``), 414 for an address over
  ``max_url_bytes``, 431 for headers over ``max_header_bytes``. Headers are
  read up to ``header_read_cap`` so a 100 KB header still gets its 431; past
  that the connection is closed (reading more would let one socket hold any
  amount of memory).

Why the application and not ``HTTPServer(...)`` options: gunicorn's tornado
worker builds its HTTPServer with no options at all, and `python -m cms
serve` builds another; both pass every request through
``Application.start_request`` (`RequestLimits.apply`) and ``find_handler``
(`RequestLimits.refusal`), so the limits are the same under both.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from tornado.http1connection import HTTP1Connection, HTTP1ConnectionParameters
from tornado.httputil import HTTPServerRequest

log = logging.getLogger(__name__)

MB = 1024 * 1024
# The largest legitimate form is the editor's: a Markdown body of up to
# 500,000 characters (cms.handlers.admin.MAX_BODY) plus a few short fields,
# sent URL-encoded, where a character outside ASCII takes 6 to 9 bytes. 4 MB
# holds a full-length post in Latin scripts and most of one in any other,
# and four anonymous requests of that size are still only 16 MB.
MAX_FORM_BYTES = 4 * MB


@dataclasses.dataclass(frozen=True)
class RequestLimits:
    header_timeout: float = 15.0  # seconds for the request line and headers (and idle keep-alive)
    body_timeout: float = 60.0  # seconds to read a form body (uploads set their own)
    max_form_bytes: int = MAX_FORM_BYTES
    max_url_bytes: int = 8 * 1024  # 414 over this
    max_header_bytes: int = 32 * 1024  # 431 over this
    header_read_cap: int = 256 * 1024  # past this the connection is closed unanswered

    def apply(self, request_conn: Any) -> None:
        """Set this request's limits on its connection, before its headers are read."""
        conn = getattr(request_conn, "_conn", request_conn)  # under cms.lifecycle's wrapper
        if not isinstance(conn, HTTP1Connection):
            return
        conn.params = self._parameters(conn.params)
        conn.set_max_body_size(self.max_form_bytes)
        conn.set_body_timeout(self.body_timeout)

    def _parameters(self, given: HTTP1ConnectionParameters) -> HTTP1ConnectionParameters:
        # The server's own parameters with our header limits, made once per
        # server (every connection of a server shares its parameters object).
        made = getattr(given, "_cms_limited", None)
        if made is not None and made._cms_limits is self:
            return made
        made = HTTP1ConnectionParameters(
            no_keep_alive=given.no_keep_alive, chunk_size=given.chunk_size, decompress=given.decompress,
            max_header_size=self.header_read_cap, header_timeout=self.header_timeout,
            max_body_size=self.max_form_bytes, body_timeout=self.body_timeout,
        )
        made._cms_limits = self  # type: ignore[attr-defined]
        given._cms_limited = made  # type: ignore[attr-defined]
        return made

    def refusal(self, request: HTTPServerRequest, streams_body: bool) -> int | None:
        """The 4xx status to refuse ``request`` with from its headers alone, or None.

        ``streams_body``: the handler reads the body itself and checks its
        size after checking who is asking (uploads); else the form limit holds.
        """
        if len(request.uri or "") > self.max_url_bytes:
            return 414
        size = sum(len(name) + len(value) + 4 for name, value in request.headers.get_all())
        if size > self.max_header_bytes:
            return 431
        if not streams_body and announced_length(request) > self.max_form_bytes:
            return 413
        if not streams_body and "Content-Length" not in request.headers and \
                "chunked" in request.headers.get("Transfer-Encoding", "").lower():
            # A body of unknown length could only be refused part-way through,
            # with a bare 400 from Tornado; browsers always send a length.
            return 411
        return None


def announced_length(request: HTTPServerRequest) -> int:
    """The body's ``Content-Length`` (0 when absent; Tornado refuses a malformed one itself)."""
    raw = request.headers.get("Content-Length", "0").split(",")[0].strip()
    return int(raw) if raw.isdigit() else 0


def unread_body(request: HTTPServerRequest, received: int) -> bool:
    """Whether more of the body is to come after ``received`` bytes (a chunked body: always)."""
    if "Content-Length" in request.headers:
        return received < announced_length(request)
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def discard_body(request: HTTPServerRequest) -> None:
    """Before answering a request early: let its body be read and dropped, not
    refused a second time. Tornado reads nothing more once the answer is sent
    and the connection closes."""
    if "Content-Length" in request.headers:
        request.connection.set_max_body_size(announced_length(request))
    elif unread_body(request, 0):
        request.connection.set_max_body_size(1 << 62)  # read and dropped until the connection closes
