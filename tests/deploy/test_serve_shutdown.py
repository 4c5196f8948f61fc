"""``python -m cms serve`` stops gracefully on SIGTERM: it stops accepting at
once, answers the requests in flight, and exits 0 within its grace period."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest

from cms.config import REPO_ROOT
from cms.db import free_port

from .support import (
    HeldRequest,
    child_env,
    refuses_connections,
    stop,
    uri_with_database,
    wait_for,
    wait_until_serving,
)

GRACE = 4.0


@pytest.fixture
def serve(mongo_uri, tmp_path):
    port = free_port()
    name = "serve_%s" % uuid.uuid4().hex[:8]
    env = child_env(
        MONGODB_URI=uri_with_database(mongo_uri, name),
        COOKIE_SECRET="test-" + uuid.uuid4().hex,
        CMS_DATA_DIR=str(tmp_path),
        CMS_SHUTDOWN_GRACE=str(GRACE),
    )
    log = open(tmp_path / "serve.log", "w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "cms", "serve", "--port", str(port)],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_until_serving(process, port)
        yield process, port, log
    finally:
        stop(process)
        log.close()
        import pymongo

        pymongo.MongoClient(mongo_uri).drop_database(name)


def output(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()


def test_sigterm_answers_the_request_in_flight_then_exits(serve):
    process, port, log = serve
    held = HeldRequest(port, "/readyz", "probe")  # counted in flight when this returns
    process.terminate()
    wait_for(lambda: refuses_connections(port), 30, "no new connections after SIGTERM")
    wait_for(lambda: "finishing 1 request(s) in flight" in output(log), 30, "the stop waiting for the request")
    status, body = held.complete()
    assert (status, body) == (200, b'{"status": "ready"}')
    assert held.headers["Connection"] == "close"  # no further request on this connection
    assert process.wait(60) == 0
    text = output(log)
    assert "stopped" in text
    assert "still running after" not in text and "Traceback" not in text  # answered, not cut at the grace


def test_a_request_that_never_ends_is_cut_after_the_grace_period(serve):
    process, port, log = serve
    held = HeldRequest(port, "/readyz", "probe")  # counted in flight when this returns
    began = time.monotonic()
    process.terminate()
    assert process.wait(60) == 0
    assert time.monotonic() - began >= GRACE  # it did wait the whole grace (a lower bound: load cannot break it)
    assert "1 request(s) still running after 4s" in output(log)
    held.close()


def test_idle_connections_do_not_hold_the_stop(serve):
    process, port, log = serve
    import http.client

    idle = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    idle.request("GET", "/healthz", headers={"Host": "probe"})
    assert idle.getresponse().read() == b'{"status": "ok"}'  # kept alive, now idle
    process.terminate()
    assert process.wait(60) == 0
    text = output(log)
    assert "finishing 0 request(s) in flight" in text and "still running after" not in text
    idle.close()
