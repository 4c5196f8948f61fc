"""Helpers for the deploy tests: processes started as the platform starts them,
and raw HTTP requests that can be held open across a shutdown."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import time
from urllib.parse import urlsplit, urlunsplit

from cms.db import port_is_free as database_port_is_free
from cms.db import terminate


def uri_with_database(mongo_uri: str, name: str) -> str:
    """``mongo_uri`` with ``name`` as the database in its path (its query kept)."""
    parts = urlsplit(mongo_uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def port_is_free(port: int, host: str = "0.0.0.0") -> bool:
    """True when gunicorn could bind ``port`` on every address now."""
    return database_port_is_free(port, host)


def wait_until_serving(process: subprocess.Popen, port: int, path: str = "/healthz", timeout: float = 120.0) -> None:
    """Return once ``path`` answers 200 on ``port``; fail if the process dies first."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("the server exited with code %s before answering" % process.returncode)
        try:
            status, _, _ = get(port, path, host="probe")
            if status == 200:
                return
        except OSError as e:
            last = e
        time.sleep(0.1)
    raise AssertionError("nothing answered %s on port %d within %.0fs (%s)" % (path, port, timeout, last))


def get(port: int, path: str, host: str, headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One GET to 127.0.0.1:port with the given Host; (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


class HeldRequest:
    """A GET whose body is sent in two halves: in flight from the first half on.

    It asks ``Expect: 100-continue``: Tornado answers "100 Continue" once the
    application has the headers, that is, once the request counts as in
    flight, so the test knows it without sleeping on a guess.
    """

    def __init__(self, port: int, path: str, host: str, timeout: float = 30) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.body = b"0123456789"
        head = "GET %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n" % (
            path, host, len(self.body))
        self.sock.sendall(head.encode())
        received = b""
        while not received.endswith(b"\r\n\r\n"):
            chunk = self.sock.recv(1)
            assert chunk, "the server closed the connection instead of taking the request"
            received += chunk
        assert received.startswith(b"HTTP/1.1 100"), received
        self.sock.sendall(self.body[:5])

    def complete(self) -> tuple[int, bytes]:
        """Send the rest and read the whole answer: (status, body)."""
        self.sock.sendall(self.body[5:])
        response = http.client.HTTPResponse(self.sock)
        response.begin()
        body = response.read()
        self.sock.close()
        self.headers = response.headers
        return response.status, body

    def close(self) -> None:
        self.sock.close()


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def stop(process: subprocess.Popen, timeout: float = 20.0) -> None:
    """SIGTERM, then SIGKILL if need be (cleanup after a failed test)."""
    terminate(process, timeout)


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: this one's, less anything that configures the app."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CMS_", "MONGODB_", "OPENSHIFT_", "GOOGLE_"))}
    env.pop("COOKIE_SECRET", None)
    env.pop("PORT", None)
    env.update(extra)
    return env


class StandaloneDatabase:
    """An nx-27017 server on a port of the test's choosing: "an external MongoDB"
    that the test can kill and bring back, on the same address, like a managed one."""

    def __init__(self, directory, port: int) -> None:
        self.directory, self.port = directory, port
        self.uri = "mongodb://127.0.0.1:%d/" % port
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> None:
        import sys

        import pymongo

        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nx_27017.nx_27017", "--data-dir", str(self.directory), "-p", str(self.port),
             "--pid-file", str(self.directory / "nx.pid"), "--log-file", str(self.directory / "nx.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, "nx-27017 exited at start"
            try:
                pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=300).admin.command("ping")
                return
            except pymongo.errors.PyMongoError:
                assert time.monotonic() < deadline, "nx-27017 did not answer within %.0fs" % timeout
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def wait_for(condition, timeout: float, what: str):
    """Poll ``condition`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        assert time.monotonic() < deadline, "not within %.0fs: %s" % (timeout, what)
        time.sleep(0.05)
