"""Kept reader pages answered before any RequestHandler is made.

A kept page is the same bytes for every reader, yet answering it through a
`SiteHandler` meant building a handler (its default headers, cookies, the
prepare chain, the site's stores and theme) for every request: more than
half of what a hit cost. `kept_answer` is asked by the application's
``find_handler`` first: when the host is a known site and its page for this
URL is kept and fresh under the site's current change counter -- all of it
in-memory lookups, no query -- the answer is written straight to the
connection with the headers the page was rendered with. Anything else (a
miss, a stale page, a POST, a refused request) goes the usual way, where
rendering, single-flight and stale answers happen (`cms.handlers.base`).

`revalidate` renders a page that went stale in the background, through the
application like a request, with nobody on the other end of it.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

from tornado import httputil
from tornado.concurrent import Future

from cms.pagecache import Entry
from cms.store.listing import LISTINGS


def etag_matches(header: str, etag: str) -> bool:
    """``If-None-Match`` against a strong ETag, compared weakly as RFC 9110 says for GET."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


def not_modified(request_headers: httputil.HTTPHeaders, etag: str, last_modified: str | None,
                 shared_second: bool = False) -> bool:
    """Whether a kept page may answer 304: ``If-None-Match`` against its ETag; without
    one, ``If-Modified-Since`` against its ``Last-Modified`` (RFC 9110 13.1.3: a client
    that sends both is judged by the ETag alone).

    HTTP dates count whole seconds: when the page was made again within the second of
    its previous copy (``shared_second``, `SiteHandler.finish`), a client holding that
    second cannot be told which copy it has, and gets the page in full."""
    if "If-None-Match" in request_headers:
        return etag_matches(request_headers.get("If-None-Match", ""), etag)
    since = request_headers.get("If-Modified-Since")
    if not since or not last_modified:
        return False
    try:
        asked, modified = email.utils.parsedate_to_datetime(since), email.utils.parsedate_to_datetime(last_modified)
    except (TypeError, ValueError, IndexError):
        return False  # not a date: answer in full
    if asked.tzinfo is None or modified.tzinfo is None:
        return False
    return modified < asked if shared_second else modified <= asked


class _Date:
    """The ``Date`` header, formatted once a second."""

    second = -1
    text = ""

    @classmethod
    def now(cls) -> str:
        now = int(time.time())
        if now != cls.second:
            cls.second, cls.text = now, email.utils.formatdate(now, usegmt=True)
        return cls.text


class KeptAnswer(httputil.HTTPMessageDelegate):
    """Writes one kept page to the connection; quacks enough like a handler for the access log."""

    def __init__(self, application: Any, request: httputil.HTTPServerRequest, entry: Entry, site: dict) -> None:
        self.application = application
        self.request = request
        self.entry = entry
        self._status = entry.status
        self.site = site  # for the access log, as a handler's
        self.response_size = 0

    def get_status(self) -> int:
        return self._status

    def _request_summary(self) -> str:
        return "%s %s (%s)" % (self.request.method, self.request.uri, self.request.remote_ip)

    def headers_received(self, start_line: Any, headers: httputil.HTTPHeaders) -> None:
        pass

    def data_received(self, chunk: bytes) -> None:
        pass

    def on_connection_close(self) -> None:
        pass

    def finish(self) -> None:
        entry, request = self.entry, self.request
        headers = httputil.HTTPHeaders(entry.headers)
        headers["Date"] = _Date.now()
        body, etag, gzipped = entry.variant(request.headers.get("Accept-Encoding", ""))
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        headers["Etag"] = etag
        headers["X-Request-ID"] = request.request_id  # cms.requestid (find_handler gave it one)
        if not_modified(request.headers, etag, headers.get("Last-Modified"), entry.shared_second):
            self._status, body = 304, b""
            for name in ("Content-Encoding", "Content-Language", "Content-Type"):
                headers.pop(name, None)
        else:
            headers["Content-Length"] = str(len(body))
        self.response_size = len(body)
        start_line = httputil.ResponseStartLine("", self._status, httputil.responses.get(self._status, "OK"))
        connection = request.connection
        connection.write_headers(start_line, headers, body if request.method != "HEAD" else None)
        connection.finish()
        self.application.log_request(self)


def page_key(site_id: Any, request: httputil.HTTPServerRequest) -> tuple:
    """What a reader page is kept under. The Host exactly as sent: only the site's
    primary address is ever rendered (any other spelling answers 301), so no other
    spelling can find, or leave, a kept page."""
    return (site_id, request.protocol, request.host, request.uri)


def kept_answer(application: Any, request: httputil.HTTPServerRequest) -> KeptAnswer | None:
    """The answer to ``request`` from the page cache, if it may be given without a handler."""
    if request.method not in ("GET", "HEAD") or not application.monitor.available:
        return None  # (the database away: the handlers answer a themed 503, cms.supervisor)
    site = application.resolver.cached(request.host)
    if site is None or site.get("suspended"):  # a suspended site's readers get the handlers' page
        return None
    site_id, changes = site["_id"], application.changes
    counter = changes.known(site_id)
    if counter is None:
        return None
    key = page_key(site_id, request)
    depends = application.page_cache.depends(key)
    if depends is not None:  # one post's page: the site's s counter and that post's version
        listing = LISTINGS.peek(application.db, site_id, counter)
        if listing is None:
            return None
        counter = (changes.known_structure(site_id), listing.version(*depends))
    entry = application.page_cache.peek(key, counter)
    if entry is None or entry.headers is None:
        return None
    return KeptAnswer(application, request, entry, site)


class _Nobody(httputil.HTTPConnection):
    """The connection of a background render: the page cache keeps the answer, the bytes go nowhere."""

    def set_close_callback(self, callback: Any) -> None:
        pass

    def write_headers(self, start_line: Any, headers: httputil.HTTPHeaders, chunk: bytes | None = None) -> Future:
        return _done()

    def write(self, chunk: bytes) -> Future:
        return _done()

    def finish(self) -> None:
        pass


def _done() -> Future:
    future: Future = Future()
    future.set_result(None)
    return future


def revalidate(application: Any, original: httputil.HTTPServerRequest, key: Any) -> None:
    """Render ``original``'s page again in the background. ``key`` is claimed for it
    (`PageCache.claim`); the render releases it when done, kept or not."""
    request = httputil.HTTPServerRequest(
        start_line=httputil.RequestStartLine("GET", original.uri, "HTTP/1.1"),
        headers=httputil.HTTPHeaders({"Host": original.host}),
        connection=_Nobody(),
    )
    request.protocol = original.protocol
    request.remote_ip = "page-cache"
    request.cms_revalidate = key  # type: ignore[attr-defined]  # see SiteHandler.serve_cached
    application.find_handler(request).finish()  # runs the handler, as for a request whose body is in
