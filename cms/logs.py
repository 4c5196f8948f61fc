"""How the process logs: plain text on a terminal, one JSON object a line on a platform.

A log collector (OpenShift's, Loki, Elasticsearch) reads a container's output
line by line: a traceback over forty lines becomes forty entries, and a
request line has to be taken apart with a regular expression. With
``CMS_LOG_FORMAT=json`` (the OpenShift template's default) every record is
one object on one line -- ``time``, ``level``, ``logger``, ``message``, a
traceback as the one field ``exception``, and what the record carries in
``extra={"fields": {...}}`` (the access log's method, path, status...). Text
stays the default for ``python -m cms serve`` on a laptop.

`configure` sets up the root logger for ``python -m cms``; gunicorn takes
`gunicorn_logconfig` from ``openshift/gunicorn.conf.py``, so its own
messages and the workers' are formatted alike.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Mapping

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class LogFormatError(ValueError):
    """``CMS_LOG_FORMAT`` names no format this module writes."""


def log_format(env: Mapping[str, str]) -> str:
    """``CMS_LOG_FORMAT`` (``text`` or ``json``; default ``text``), checked."""
    value = (env.get("CMS_LOG_FORMAT") or "text").strip().lower()
    if value not in FORMATS:
        raise LogFormatError("CMS_LOG_FORMAT must be text or json, got %r" % value)
    return value


class JSONFormatter(logging.Formatter):
    """One JSON object a record, on one line (newlines inside values are escaped).

    A record whose ``preformatted`` attribute is true already holds JSON
    lines as its message (the access log's batches, `cms.accesslog`): they
    are written as they are, one object a line.
    """

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "preformatted", False):
            return record.getMessage()
        entry: dict[str, Any] = {
            "time": utc_time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def utc_time(created: float) -> str:
    """ISO 8601 UTC time with milliseconds, as collectors parse it."""
    return "%s.%03dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)), int(created % 1 * 1000))


def formatter(kind: str) -> logging.Formatter:
    return JSONFormatter() if kind == "json" else logging.Formatter(TEXT_FORMAT)


def configure(kind: str, level: int) -> None:
    """Log to stderr in ``kind`` (text or json) at ``level``; like `logging.basicConfig`,
    nothing changes when the root logger has handlers already (a test's, an embedding program's)."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(kind))
    root.addHandler(handler)
    root.setLevel(level)


def gunicorn_logconfig(kind: str) -> dict[str, Any]:
    """gunicorn's ``logconfig_dict`` (merged over its defaults): its messages, the
    workers' and the requests' all to stdout, as text (gunicorn's own format) or JSON."""
    config: dict[str, Any] = {
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            name: {"level": "INFO", "handlers": ["console"], "propagate": False, "qualname": name}
            for name in ("gunicorn.error", "gunicorn.access")
        },
    }
    if kind == "json":
        config["formatters"] = {"json": {"()": "cms.logs.JSONFormatter"}}
        config["handlers"] = {"console": {"class": "logging.StreamHandler", "formatter": "json",
                                          "stream": "ext://sys.stdout"}}
    return config
