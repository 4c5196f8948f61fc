"""``serve`` supervises its embedded database: a killed child is restarted.

Real processes throughout: ``python -m cms serve`` on a fresh data
directory, its ``nx-27017`` child killed with SIGKILL as a crash would. While
the database is away, every answer is a themed 503 with ``Retry-After``
(never a 500, never a hang), ``/readyz`` says 503 and ``/healthz`` still 200;
then the child is back, with the same data, and pages answer 200 again.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cms import db as database
from cms.config import REPO_ROOT

pytestmark = pytest.mark.timeout(120)


def clean_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MONGODB", "OPENSHIFT_MONGODB", "COOKIE_SECRET", "CMS_"))}
    env["CMS_DATA_DIR"] = str(data_dir)
    return env


def get(port: int, host: str, path: str = "/", timeout: float = 10) -> tuple[int, http.client.HTTPMessage, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        conn.close()


def wait_for(condition, timeout: float, what: str):
    """Poll ``condition`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("not within %.0fs: %s" % (timeout, what))
        time.sleep(0.05)


class Serve:
    """``python -m cms serve`` in the background, its output in a file."""

    def __init__(self, data_dir: Path) -> None:
        self.port = database.free_port()
        self.log_path = data_dir.parent / ("serve-%d.log" % self.port)
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cms", "serve", "--port", str(self.port)],
                env=clean_env(data_dir), cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
            )
        self.data_dir = data_dir
        wait_for(lambda: self.process.poll() is not None or "Serving on" in self.output(), 120, "serve started")
        assert self.process.poll() is None, self.output()

    def output(self) -> str:
        return self.log_path.read_text()

    def child_pid(self) -> int:
        return json.loads((self.data_dir / "db" / "server.json").read_text())["pid"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)


@pytest.fixture
def serve(tmp_path):
    server = Serve(tmp_path / "data")
    try:
        yield server
    finally:
        server.stop()
        # Whatever happened, leave no database child behind.
        try:
            os.kill(server.child_pid(), signal.SIGKILL)
        except (OSError, ValueError, KeyError):
            pass


def home(serve: Serve) -> tuple[int, http.client.HTTPMessage, str]:
    return get(serve.port, "demo.localhost:%d" % serve.port)


def fresh_post(serve: Serve) -> tuple[int, http.client.HTTPMessage, str]:
    """A page no earlier request asked for: rendered from the database, not a kept copy."""
    return get(serve.port, "demo.localhost:%d" % serve.port, "/posts/code-highlighting")


def status_of(serve: Serve, path: str, host: str = "probe") -> int:
    # A probe gives up after 3 s (openshift/template.yaml): ask as it does.
    return get(serve.port, host, path, timeout=3)[0]


def test_a_killed_database_child_comes_back_by_itself_with_its_data(serve):
    assert home(serve)[0] == 200
    first = serve.child_pid()
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: "embedded database restarted" in serve.output(), 30, "the restart")
    # Never a 500 on the way: a request meets the database back, or a 503.
    # A page never asked for before: rendered afresh, from the restarted database.
    wait_for(lambda: fresh_post(serve)[0] == 200, 30, "pages answer 200 again")
    assert serve.child_pid() != first
    assert "Code that is a pleasure to read" in fresh_post(serve)[2]
    assert status_of(serve, "/readyz") == 200
    text = serve.output()
    assert "embedded database exited (code -9)" in text
    assert " 500 " not in text and "Traceback" not in text


def test_while_the_database_is_down_answers_are_503_and_healthz_fails_if_it_cannot_come_back(serve):
    assert home(serve)[0] == 200  # the resolver now knows the site: its 503 page wears its theme
    files, moved = serve.data_dir / "db", serve.data_dir / "db.moved"
    child = serve.child_pid()
    # The database's directory is gone, a file stands in its way: every restart fails.
    # (Moved first: a restart must not slip in before the move on a slow machine.)
    files.rename(moved)
    files.write_text("not a directory")
    os.kill(child, signal.SIGKILL)

    def down():
        status, headers, body = home(serve)
        assert status in (200, 503), (status, body)  # never a 500
        return (status, headers, body) if status == 503 else None

    status, headers, body = wait_for(down, 10, "a 503 while the database is down")
    assert int(headers["Retry-After"]) > 0
    assert "Demo Journal" in body and "try again in a moment" in body
    assert get(serve.port, "demo.localhost", "/admin/")[0] == 503
    assert status_of(serve, "/readyz") == 503
    # Once the restarts have failed a few times, liveness fails: the platform restarts the pod.
    wait_for(lambda: status_of(serve, "/healthz") == 503, 60, "healthz 503 after the restarts failed")
    assert "could not restart the embedded database" in serve.output()

    # Put right, it comes back by itself, and health follows.
    files.unlink()
    moved.rename(files)
    wait_for(lambda: home(serve)[0] == 200, 60, "the home page answers 200 again")
    assert status_of(serve, "/healthz") == 200 and status_of(serve, "/readyz") == 200
    assert "Code that is a pleasure to read" in fresh_post(serve)[2]
    text = serve.output()
    assert " 500 " not in text and "Traceback" not in text


def test_when_its_port_is_taken_the_database_moves_and_the_app_follows(serve):
    import socket

    assert home(serve)[0] == 200
    state = serve.data_dir / "db" / "server.json"
    port = json.loads(state.read_text())["port"]
    squatter = socket.socket()
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        # Kill the child and take its port before the restart (0.5 s later) can;
        # should the restart win on a slow machine, kill that one and try again.
        for _ in range(5):
            child = serve.child_pid()
            os.kill(child, signal.SIGKILL)
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                try:
                    squatter.bind(("127.0.0.1", port))
                    squatter.listen()
                    break
                except OSError:
                    time.sleep(0.005)
            else:
                wait_for(lambda child=child: state.exists() and serve.child_pid() != child, 30, "the restart that won")
                continue
            break
        else:
            pytest.fail("could not take the database's port")
        wait_for(lambda: "moved to" in serve.output(), 30, "the database on another port")
        assert json.loads(state.read_text())["port"] != port
        wait_for(lambda: fresh_post(serve)[0] == 200, 30, "pages answer 200 again")
        assert "Code that is a pleasure to read" in fresh_post(serve)[2]
        assert "Traceback" not in serve.output()
    finally:
        squatter.close()


def test_serve_and_commands_say_in_one_line_when_a_configured_database_does_not_answer(tmp_path):
    env = clean_env(tmp_path)
    env.update(MONGODB_URI="mongodb://127.0.0.1:%d/cms" % database.free_port(), COOKIE_SECRET="x" * 32)
    for args in (["serve", "--port", str(database.free_port())], ["site", "create", "garden"]):
        result = subprocess.run([sys.executable, "-m", "cms", *args], env=env, cwd=REPO_ROOT,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 1
        assert "error: cannot reach the database: " in result.stderr and "Connection refused" in result.stderr
        assert "Traceback" not in result.stderr
