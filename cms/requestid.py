"""A request id on every request: taken from ``X-Request-ID`` or made, logged, echoed.

A reader's complaint ("the page failed at 10:02") is found in the logs by
the id the response carried; a proxy or load balancer in front that already
sets ``X-Request-ID`` keeps its id through the app's log lines. An id from
outside is taken only when it is short and plain (letters, digits, ``._:-``,
at most 128 characters): anything else could forge or break log lines, and
is replaced by a made one.

Made ids are a random per-process prefix and a counter (``3f9a0c1e-1b``):
unique across the pods of a deployment, and cheaper than a UUID on the kept
page's path. `assign` runs in ``CMSApplication.find_handler`` for every
request; `EchoRequestId` (a Tornado output transform) puts the id on every
answer a handler writes, `cms.fastpath` on the kept pages it writes itself.
"""

from __future__ import annotations

import itertools
import os
import re

from tornado import httputil
from tornado.web import OutputTransform

HEADER = "X-Request-ID"
ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")


class RequestIds:
    """Makes this process's ids (a new instance after a fork gets a new prefix)."""

    def __init__(self) -> None:
        self.prefix = os.urandom(4).hex()
        self._count = itertools.count(1)

    def assign(self, request: httputil.HTTPServerRequest) -> str:
        """The request's id (stored as ``request.request_id``), from its header or new."""
        given = request.headers.get_list(HEADER)  # no KeyError raised and caught when absent (the usual case)
        if len(given) == 1 and ACCEPTED.match(given[0]):
            request.request_id = given[0]  # type: ignore[attr-defined]
        else:
            request.request_id = "%s-%x" % (self.prefix, next(self._count))  # type: ignore[attr-defined]
        return request.request_id  # type: ignore[attr-defined]


class EchoRequestId(OutputTransform):
    """Adds ``X-Request-ID`` to every answer a RequestHandler writes."""

    def __init__(self, request: httputil.HTTPServerRequest) -> None:
        self.request_id = getattr(request, "request_id", None)

    def transform_first_chunk(self, status_code: int, headers: httputil.HTTPHeaders, chunk: bytes,
                              finishing: bool) -> tuple[int, httputil.HTTPHeaders, bytes]:
        if self.request_id:
            headers[HEADER] = self.request_id
        return status_code, headers, chunk

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        return chunk

