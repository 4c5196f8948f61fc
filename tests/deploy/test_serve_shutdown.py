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

from .support import HeldRequest, child_env, refuses_connections, stop, uri_with_database, wait_until_serving

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
    held = HeldRequest(port, "/readyz", "probe")
    time.sleep(0.3)  # the headers have reached the server
    began = time.monotonic()
    process.terminate()
    time.sleep(1.5)  # longer than gunicorn's tornado worker would wait by itself
    assert refuses_connections(port), "still accepting new connections after SIGTERM"
    status, body = held.complete()
    assert (status, body) == (200, b'{"status": "ready"}')
    assert held.headers["Connection"] == "close"  # no further request on this connection
    assert process.wait(GRACE + 5) == 0
    assert time.monotonic() - began < GRACE
    text = output(log)
    assert "finishing 1 request(s) in flight" in text and "stopped" in text
    assert "Traceback" not in text


def test_a_request_that_never_ends_is_cut_after_the_grace_period(serve):
    process, port, log = serve
    held = HeldRequest(port, "/readyz", "probe")
    time.sleep(0.3)
    began = time.monotonic()
    process.terminate()
    assert process.wait(GRACE + 5) == 0
    took = time.monotonic() - began
    assert GRACE - 0.5 < took < GRACE + 3
    assert "1 request(s) still running after 4s" in output(log)
    held.close()


def test_idle_connections_do_not_hold_the_stop(serve):
    process, port, log = serve
    import http.client

    idle = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    idle.request("GET", "/healthz", headers={"Host": "probe"})
    assert idle.getresponse().read() == b'{"status": "ok"}'  # kept alive, now idle
    began = time.monotonic()
    process.terminate()
    assert process.wait(GRACE + 5) == 0
    assert time.monotonic() - began < 2
    idle.close()
