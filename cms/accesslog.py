"""The access log, written in batches: one line a request at a fraction of the cost.

Tornado's own access log makes a ``LogRecord`` per request, formats it and
writes and flushes the stream: about 11 µs, several per cent of what a kept
page costs in all. Here a successful request appends one tuple (its time,
status, request, duration, site, response size) to a buffer, and the buffer
goes out as one record of the ``tornado.access`` logger -- so the logging
configuration still decides where it goes -- every `INTERVAL` seconds, every
`MAX_LINES` lines, and when the process stops. The lines are formatted then,
off the request's path. Answers of 400 and up are logged at once, one record
each, at Tornado's levels (warning, error): they are rare and someone may be
watching for them.

Each line names the request's method, path, status, duration, host, site,
request id (`cms.requestid`), client address, user agent and response size:
as text (``<time> <status> <method> <path> (<client>) <ms>ms host=... site=...``)
or, with ``json=True`` (``CMS_LOG_FORMAT=json``), one JSON object a line with
the fields `cms.logs.JSONFormatter` writes for every other record. The JSON
lines are built by hand with the C string encoder (a quarter of the cost of
``json.dumps`` of a dict) and handed to the formatter as ``preformatted``.

A `cms.metrics.RequestMetrics`, when given, counts each request (status
class, site, latency) as its line is written.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import time
import weakref
from json.encoder import encode_basestring as _quote
from typing import Any

from tornado.log import access_log

from cms.logs import utc_time

INTERVAL = 0.5
MAX_LINES = 512


def site_name(handler: Any) -> str | None:
    """The name of the site that answered, when one did (a handler's resolved site)."""
    site = getattr(handler, "site", None)
    return site.get("name") if isinstance(site, dict) else None


def user_agent(request: Any) -> str | None:
    agent = request.headers.get_list("User-Agent")  # no KeyError raised and caught when absent
    return agent[0] if agent else None


def response_size(handler: Any) -> int | None:
    """The body's size in bytes, when the answer said it (a streamed answer may not)."""
    size = getattr(handler, "response_size", None)
    if size is not None:
        return size
    # RequestHandler has no public view of its response headers; Tornado set
    # Content-Length in them when it finished a body it knew whole.
    length = getattr(handler, "_headers", {}).get("Content-Length")
    return int(length) if length and length.isdigit() else None


class AccessLog:
    def __init__(self, logger: logging.Logger = access_log, interval: float = INTERVAL,
                 max_lines: int = MAX_LINES, json: bool = False, metrics: Any = None) -> None:
        self.logger = logger
        self.interval = interval
        self.max_lines = max_lines
        self.json = json
        self.metrics = metrics  # a cms.metrics.RequestMetrics, or None
        self._entries: list[tuple] = []
        self._timer: asyncio.TimerHandle | None = None
        atexit.register(_flush_if_alive, weakref.ref(self))

    def __call__(self, handler: Any) -> None:
        status = handler.get_status()
        request = handler.request
        if status >= 400:
            self._log_error(status, handler)
            return
        if not self.logger.isEnabledFor(logging.INFO):
            if self.metrics is not None:
                self.metrics.record(status, site_name(handler), request.request_time())
            return
        self._entries.append((time.time(), status, request, request.request_time(), site_name(handler),
                              response_size(handler)))
        if len(self._entries) >= self.max_lines:
            self.flush()
        elif self._timer is None:
            try:
                self._timer = asyncio.get_running_loop().call_later(self.interval, self.flush)
            except RuntimeError:  # no loop running (a test calling it directly)
                self.flush()

    def _log_error(self, status: int, handler: Any) -> None:
        request, seconds = handler.request, handler.request.request_time()
        site = site_name(handler)
        if self.metrics is not None:
            self.metrics.record(status, site, seconds)
        method = self.logger.warning if status < 500 else self.logger.error
        fields = request_fields(time.time(), status, request, seconds, site, response_size(handler))
        if self.json:
            method("%s %s %d", request.method, request.uri, status, extra={"fields": fields})
        else:
            method("%s", text_line(fields), extra={"fields": fields})

    def flush(self) -> None:
        """Write what is buffered, as one record."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._entries:
            return
        entries, self._entries = self._entries, []
        if self.metrics is not None:
            self.metrics.record_batch([(status, site, seconds) for _, status, _, seconds, site, _ in entries])
        if self.json:
            lines = [json_line(*entry) for entry in entries]
            self.logger.info("%s", "\n".join(lines), extra={"preformatted": True})
        else:
            self.logger.info("%s", "\n".join([fast_text_line(*entry) for entry in entries]))


class _Stamp:
    """The UTC time of a second, formatted once a second."""

    second = -1
    text = ""

    @classmethod
    def of(cls, when: float) -> str:
        second = int(when)
        if second != cls.second:
            cls.second, cls.text = second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
        return cls.text


def request_fields(when: float, status: int, request: Any, seconds: float, site: str | None,
                   size: int | None) -> dict[str, Any]:
    """What a line says of one request."""
    return {
        "time": utc_time(when),
        "method": request.method,
        "path": request.uri,
        "status": status,
        "duration_ms": round(1000.0 * seconds, 2),
        "host": request.host,
        "site": site,
        "request_id": getattr(request, "request_id", None),
        "remote_ip": request.remote_ip,
        "user_agent": user_agent(request),
        "size": size,
    }


def text_line(f: dict[str, Any]) -> str:
    return "%s %d %s %s (%s) %.2fms host=%s site=%s id=%s size=%s agent=%s" % (
        f["time"], f["status"], f["method"], f["path"], f["remote_ip"], f["duration_ms"], f["host"],
        f["site"] or "-", f["request_id"] or "-", "-" if f["size"] is None else f["size"], _quote(f["user_agent"] or ""))


def fast_text_line(when: float, status: int, request: Any, seconds: float, site: str | None, size: int | None) -> str:
    """`text_line` of a buffered request, without the dict (the common case, kept cheap)."""
    return "%s %d %s %s (%s) %.2fms host=%s site=%s id=%s size=%s agent=%s" % (
        _Stamp.of(when), status, request.method, request.uri, request.remote_ip, 1000.0 * seconds, request.host,
        site or "-", getattr(request, "request_id", None) or "-", "-" if size is None else size,
        _quote(user_agent(request) or ""))


def _json_text(value: str | None) -> str:
    return "null" if value is None else _quote(value)


def json_line(when: float, status: int, request: Any, seconds: float, site: str | None, size: int | None) -> str:
    """One request as the JSON object `cms.logs.JSONFormatter` would write, built directly."""
    method, uri = request.method, request.uri
    return (
        '{"time": "%s", "level": "INFO", "logger": "tornado.access", "message": %s, "method": %s, "path": %s, '
        '"status": %d, "duration_ms": %.2f, "host": %s, "site": %s, "request_id": %s, "remote_ip": %s, '
        '"user_agent": %s, "size": %s}' % (
            _Stamp.of(when), _quote("%s %s %d" % (method, uri, status)), _quote(method), _quote(uri), status,
            1000.0 * seconds, _quote(request.host), _json_text(site), _json_text(getattr(request, "request_id", None)),
            _json_text(request.remote_ip), _json_text(user_agent(request)),
            "null" if size is None else size,
        )
    )


def _flush_if_alive(ref: "weakref.ref[AccessLog]") -> None:
    log = ref()
    if log is not None:
        log.flush()
