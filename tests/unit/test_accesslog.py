"""The access log: every request one line, written in batches; errors at once."""

import asyncio
import logging

from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

from cms.accesslog import AccessLog


class Answered:
    """What the access log reads of a finished handler."""

    def __init__(self, status: int, uri: str) -> None:
        self.request = HTTPServerRequest(start_line=RequestStartLine("GET", uri, "HTTP/1.1"), headers=HTTPHeaders({"Host": "blog.localhost"}))
        self.request.remote_ip = "192.0.2.7"
        self._status = status

    def get_status(self) -> int:
        return self._status

    def _request_summary(self) -> str:
        return "%s %s (%s)" % (self.request.method, self.request.uri, self.request.remote_ip)


async def test_lines_are_written_together_after_the_interval(caplog):
    caplog.set_level(logging.INFO, logger="tornado.access")
    log = AccessLog(interval=0.05)
    for n in range(3):
        log(Answered(200, "/posts/%d" % n))
    assert caplog.records == []  # buffered, not yet written
    deadline = asyncio.get_running_loop().time() + 2
    while not caplog.records:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)
    (record,) = caplog.records
    lines = record.getMessage().splitlines()
    assert len(lines) == 3
    assert " 200 GET /posts/0 (192.0.2.7) " in lines[0] and "host=blog.localhost" in lines[0]


async def test_a_full_buffer_is_written_at_once_and_errors_are_never_held(caplog):
    caplog.set_level(logging.INFO, logger="tornado.access")
    log = AccessLog(interval=60, max_lines=4)
    log(Answered(404, "/nope"))
    log(Answered(500, "/broken"))
    assert [(r.levelname, r.getMessage().split()[1]) for r in caplog.records] == [("WARNING", "404"), ("ERROR", "500")]
    for n in range(4):
        log(Answered(304, "/%d" % n))
    assert len(caplog.records[-1].getMessage().splitlines()) == 4
    log(Answered(200, "/last"))
    log.flush()  # as at shutdown
    assert "/last" in caplog.records[-1].getMessage()
