"""JSON logs (``CMS_LOG_FORMAT=json``): one object a line, tracebacks as one field,
requests with every field a collector needs (issue 17, finding 8)."""

from __future__ import annotations

import io
import json
import logging

import pytest
from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

from cms import logs
from cms.accesslog import AccessLog
from cms.config import ConfigError, Settings


def captured(logger_name: str) -> tuple[logging.Logger, io.StringIO]:
    """A logger writing through the JSON formatter into a string, as the container's stdout would."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JSONFormatter())
    logger = logging.getLogger(logger_name)
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def objects(stream: io.StringIO) -> list[dict]:
    lines = stream.getvalue().splitlines()
    return [json.loads(line) for line in lines]  # every line one whole object


class Answered:
    """What the access log reads of a finished handler."""

    def __init__(self, status: int, uri: str, agent: str = "Mozilla/5.0 (X11)", request_id: str = "abc-1") -> None:
        self.request = HTTPServerRequest(start_line=RequestStartLine("GET", uri, "HTTP/1.1"),
                                         headers=HTTPHeaders({"Host": "blog.example.org", "User-Agent": agent}))
        self.request.remote_ip = "192.0.2.7"
        self.request.request_id = request_id
        self.site = {"name": "blog"}
        self.response_size = 1234
        self._status = status

    def get_status(self) -> int:
        return self._status


def test_a_traceback_is_one_field_of_one_line():
    logger, stream = captured("test.json.traceback")
    try:
        raise ValueError("the disk is full\nreally")
    except ValueError:
        logger.exception("could not save post %s", "hello")
    (entry,) = objects(stream)
    assert entry["level"] == "ERROR" and entry["logger"] == "test.json.traceback"
    assert entry["message"] == "could not save post hello"
    assert entry["exception"].startswith("Traceback") and "ValueError: the disk is full\nreally" in entry["exception"]
    assert entry["time"].endswith("Z")


async def test_request_lines_carry_every_field_one_object_each():
    logger, stream = captured("test.json.access")
    log = AccessLog(logger, interval=60, json=True)
    log(Answered(200, "/posts/a"))
    log(Answered(304, '/posts/"quoted"\\', agent='evil"\n{"level": "ERROR"}'))
    log(Answered(404, "/nope"))  # errors go out at once, through the formatter
    log.flush()
    error, first, second = objects(stream)
    assert first == {
        "time": first["time"], "level": "INFO", "logger": "tornado.access", "message": "GET /posts/a 200",
        "method": "GET", "path": "/posts/a", "status": 200, "duration_ms": first["duration_ms"],
        "host": "blog.example.org", "site": "blog", "request_id": "abc-1", "remote_ip": "192.0.2.7",
        "user_agent": "Mozilla/5.0 (X11)", "size": 1234,
    }
    assert first["duration_ms"] >= 0 and first["time"].endswith("Z")
    # What a client sends cannot make a line of its own or a field it did not have.
    assert second["path"] == '/posts/"quoted"\\' and second["user_agent"] == 'evil"\n{"level": "ERROR"}'
    assert second["level"] == "INFO" and second["status"] == 304
    assert (error["level"], error["status"], error["path"], error["site"]) == ("WARNING", 404, "/nope", "blog")
    assert error["request_id"] == "abc-1"


def test_the_format_comes_from_the_environment_and_text_stays_the_default():
    assert Settings.from_env({}).log_format == "text"
    assert Settings.from_env({"CMS_LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(ConfigError, match="CMS_LOG_FORMAT must be text or json"):
        Settings.from_env({"CMS_LOG_FORMAT": "xml"})


def test_gunicorn_writes_json_through_the_same_formatter():
    config = logs.gunicorn_logconfig("json")
    assert config["formatters"]["json"]["()"] == "cms.logs.JSONFormatter"
    assert config["handlers"]["console"]["formatter"] == "json"
    assert "formatters" not in logs.gunicorn_logconfig("text")  # gunicorn's own text format
