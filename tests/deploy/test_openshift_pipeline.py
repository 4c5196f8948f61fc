"""The OpenShift pipeline, simulated without a cluster.

What OpenShift's Python source-to-image builder does with this repository:
copy the source, ``pip install -r requirements.txt`` into a fresh virtual
environment, read ``.s2i/environment``, find no ``app.sh``/``app.py`` and run

    gunicorn wsgi --bind=0.0.0.0:8080 --access-logfile=- --config "$APP_CONFIG"

(newer images leave ``--bind`` out when ``APP_CONFIG`` is set). The router
then forwards requests with the public Host and ``X-Forwarded-*`` headers.
This module does each of these steps, against a real (embedded) MongoDB.

The virtual environment is built once per session (the slow part); wheels
are kept in pytest's cache directory so a second session installs offline.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pymongo
import pytest

from cms.config import REPO_ROOT
from cms.db import connect, free_port
from cms.store import SiteStore
from tests.conftest import TEST_PASSWORD, World

from .support import (
    HeldRequest,
    StandaloneDatabase,
    child_env,
    get,
    port_is_free,
    refuses_connections,
    stop,
    uri_with_database,
    wait_for,
    wait_until_serving,
)

pytestmark = pytest.mark.timeout(900)  # the first test waits for the virtual environment

BASE_DOMAIN = "cms.apps.example.test"
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "venv", "data", "__pycache__", "*.pyc", ".pytest_cache", "artifacts")


def read_s2i_environment(path: Path) -> dict[str, str]:
    """``.s2i/environment``: ``NAME=value`` lines, as the builder reads them."""
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    return env


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, "%s failed:\n%s\n%s" % (" ".join(command), result.stdout, result.stderr)
    return result


@pytest.fixture(scope="session")
def built(tmp_path_factory, request):
    """The builder's output: the source in ``src`` and its virtual environment in ``venv``."""
    root = tmp_path_factory.mktemp("s2i")
    src = root / "src"
    shutil.copytree(REPO_ROOT, src, ignore=NOT_SOURCE)
    venv = root / "venv"
    started = time.monotonic()
    run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    cache = getattr(request.config, "cache", None)  # absent with -p no:cacheprovider
    wheels = cache.mkdir("openshift-wheelhouse") if cache else root / "wheels"
    offline = pip + ["install", "--no-index", "--find-links", str(wheels), "-r", "requirements.txt"]
    if subprocess.run(offline, cwd=src, capture_output=True).returncode != 0:
        # First session here: fetch from the package index, keep the wheels.
        run(pip + ["wheel", "-r", "requirements.txt", "-w", str(wheels)], cwd=src)
        run(offline, cwd=src)
    print("\nvirtual environment from requirements.txt built in %.1fs" % (time.monotonic() - started))
    return src, venv


@pytest.fixture(scope="session")
def s2i_env(built) -> dict[str, str]:
    src, _ = built
    return read_s2i_environment(src / ".s2i" / "environment")


class Deployed:
    def __init__(self, src: Path, venv: Path, env: dict[str, str], port: int, log: Path) -> None:
        self.src, self.venv, self.env, self.port, self.log = src, venv, env, port, log
        self.process: subprocess.Popen | None = None

    def output(self) -> str:
        return self.log.read_text()

    def get(self, host: str, path: str = "/", **headers: str):
        return get(self.port, path, host=host, headers=headers)


def platform_env(built, s2i_env, mongo_uri, database: str, tmp: Path, **extra: str) -> dict[str, str]:
    """The pod's environment: the image's, .s2i/environment, the template's variables."""
    _, venv = built
    env = child_env(
        PATH="%s:%s" % (venv / "bin", os.environ.get("PATH", "")),
        VIRTUAL_ENV=str(venv),
        HOME=str(tmp),
        MONGODB_URI=uri_with_database(mongo_uri, database),
        COOKIE_SECRET="deploy-test-" + uuid.uuid4().hex,
        CMS_BASE_DOMAIN=BASE_DOMAIN,
        WEB_CONCURRENCY="2",
    )
    env.pop("PYTHONPATH", None)
    env.update(s2i_env)
    env.update(extra)
    return env


def gunicorn_command(s2i_env: dict[str, str], bind: str | None) -> list[str]:
    """The builder's run command, word for word."""
    command = ["gunicorn", s2i_env.get("APP_MODULE", "wsgi")]
    if bind:
        command.append("--bind=%s" % bind)
    return command + ["--access-logfile=-", "--config", s2i_env["APP_CONFIG"]]


def start(deployed: Deployed, command: list[str]) -> None:
    with open(deployed.log, "w") as log:
        deployed.process = subprocess.Popen(
            command, cwd=deployed.src, env=deployed.env, stdout=log, stderr=subprocess.STDOUT
        )
    wait_until_serving(deployed.process, deployed.port, "/healthz")
    # Every worker ready, not just the one that answered: each makes the indexes
    # and logs it (on a busy machine the second can be seconds behind).
    workers = int(deployed.env.get("WEB_CONCURRENCY", "1"))
    wait_for(lambda: deployed.output().count("database indexes in place") >= workers, 60, "every worker ready")


def cms_cli(deployed: Deployed, *args: str, stdin: str | None = None) -> str:
    python = str(deployed.venv / "bin" / "python")
    return run([python, "-m", "cms", *args], cwd=deployed.src, env=deployed.env, input=stdin).stdout


async def make_content(uri: str, database: str) -> None:
    client = connect(uri)
    try:
        world = World(client[database])
        alpha = SiteStore(client[database], await world.sites.by_name("alpha"))
        ada = await world.member(alpha, "owner", username="ada")
        await world.post(alpha, ada, "Shipped to OpenShift", "Built from **source** by the platform.", tags=["deploy"])
        beta = await world.site("beta", title="Beta Journal")
        bo = await world.member(beta, "owner")
        await world.post(beta, bo, "Only on beta", "Beta's words.")
    finally:
        client.close()


@pytest.fixture(scope="module")
def deployed(built, s2i_env, mongo_uri, tmp_path_factory):
    """Two sites with posts made with the CLI, then the app as the builder runs it (old images' command)."""
    src, venv = built
    tmp = tmp_path_factory.mktemp("pod")
    database = "deploy_%s" % uuid.uuid4().hex[:8]
    port = 8080 if port_is_free(8080) else free_port()
    env = platform_env(built, s2i_env, mongo_uri, database, tmp, PORT=str(port))
    app = Deployed(src, venv, env, port, tmp / "gunicorn.log")
    # The CLI of the built environment makes the first site (and the indexes) ...
    assert "created site alpha" in cms_cli(app, "site", "create", "alpha", "--title", "Alpha Notes")
    # ... the stores the rest: the embedded server fails to re-create the text
    # index once a post exists, so later CLI runs (which ensure indexes) would fail.
    asyncio.run(make_content(app.env["MONGODB_URI"], database))
    start(app, gunicorn_command(s2i_env, "0.0.0.0:%d" % port))
    try:
        yield app
    finally:
        stop(app.process)
        pymongo.MongoClient(mongo_uri).drop_database(database)


def test_the_repository_gives_the_builder_gunicorn_and_a_config(s2i_env):
    assert not (REPO_ROOT / "app.sh").exists() and not (REPO_ROOT / "app.py").exists()
    assert (REPO_ROOT / "wsgi.py").is_file()
    assert re.search(r"^gunicorn==", (REPO_ROOT / "requirements.txt").read_text(), re.M)
    assert (REPO_ROOT / s2i_env["APP_CONFIG"]).is_file()
    assert s2i_env["CMS_TRUST_PROXY"] == "1"


def test_tenant_pages_answer_by_host(deployed):
    status, _, body = deployed.get("alpha." + BASE_DOMAIN)
    assert status == 200
    assert b"Alpha Notes" in body and b"Shipped to OpenShift" in body
    assert b"Only on beta" not in body
    status, _, body = deployed.get("alpha." + BASE_DOMAIN, "/posts/shipped-to-openshift")
    assert status == 200 and b"<strong>source</strong>" in body
    status, _, body = deployed.get("beta." + BASE_DOMAIN)
    assert status == 200 and b"Only on beta" in body and b"Alpha Notes" not in body
    status, _, body = deployed.get("nobody." + BASE_DOMAIN)
    assert status == 404 and b"Alpha Notes" not in body and b"Beta Journal" not in body


def test_health_endpoints_answer_on_any_host(deployed):
    for host in ("alpha." + BASE_DOMAIN, "10.128.0.7:8080"):  # the kubelet probes the pod's IP
        assert deployed.get(host, "/readyz")[0] == 200
        assert deployed.get(host, "/healthz")[0] == 200


def test_behind_the_router_urls_are_https_and_public(deployed):
    # The router ends TLS: the pod sees plain HTTP with the visitor's host and scheme in headers.
    status, headers, body = deployed.get(
        "alpha." + BASE_DOMAIN, "/feed.xml",
        **{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "alpha." + BASE_DOMAIN,
           "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Port": "443"},
    )
    assert status == 200
    assert b"https://alpha.%s/posts/shipped-to-openshift" % BASE_DOMAIN.encode() in body
    assert b"http://alpha." not in body
    # The access log names the visitor, not the router.
    deadline = time.monotonic() + 5
    while "GET /feed.xml (203.0.113.9)" not in deployed.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "200 GET /feed.xml (203.0.113.9)" in deployed.output()


def test_behind_the_router_cookies_are_secure(deployed):
    # The sign-in page sets the XSRF cookie its form needs.
    status, headers, _ = deployed.get(
        "alpha." + BASE_DOMAIN, "/login",
        **{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "alpha." + BASE_DOMAIN},
    )
    cookies = headers.get_all("Set-Cookie") or []
    assert status == 200 and cookies
    for cookie in cookies:
        assert "secure" in cookie.lower() and "samesite=lax" in cookie.lower(), cookie
    _, plain_headers, _ = deployed.get("alpha." + BASE_DOMAIN, "/login")
    assert all("secure" not in c.lower() for c in plain_headers.get_all("Set-Cookie") or []), "http keeps it usable"


def test_plain_http_keeps_http_urls(deployed):
    _, _, body = deployed.get("alpha." + BASE_DOMAIN, "/feed.xml")
    assert b"http://alpha.%s" % BASE_DOMAIN.encode() in body


def test_each_worker_builds_its_own_application(deployed):
    text = deployed.output()
    assert "Using worker: tornado" in text
    booted = re.findall(r"\[(\d+)\] \[INFO\] Booting worker", text)
    built = re.findall(r"\[(\d+)\] \[INFO\] application for %s" % re.escape(BASE_DOMAIN), text)
    assert len(booted) == 2 and sorted(booted) == sorted(built)
    master = re.search(r"\[(\d+)\] \[INFO\] Starting gunicorn", text).group(1)
    assert master not in built  # the master never imported the app


def test_sigterm_finishes_requests_in_flight_and_stops_cleanly(built, s2i_env, mongo_uri, tmp_path):
    """Newer images' command (no --bind: the config binds $PORT); SIGTERM as the kubelet sends it."""
    src, venv = built
    port = free_port()
    database = "deploy_stop_%s" % uuid.uuid4().hex[:8]
    env = platform_env(built, s2i_env, mongo_uri, database, tmp_path, PORT=str(port), GRACEFUL_TIMEOUT="10")
    app = Deployed(src, venv, env, port, tmp_path / "gunicorn.log")
    start(app, gunicorn_command(s2i_env, bind=None))
    try:
        assert "Listening at: http://0.0.0.0:%d" % port in app.output()
        held = HeldRequest(port, "/readyz", "alpha." + BASE_DOMAIN)  # counted in flight when this returns
        began = time.monotonic()
        app.process.terminate()
        wait_for(lambda: refuses_connections(port), 30, "no new connections after SIGTERM")
        # Logged at the heartbeat where the stock tornado worker would have stopped its loop.
        wait_for(lambda: "finishing 1 request(s) in flight" in app.output(), 30, "the worker holding its loop")
        assert held.complete() == (200, b'{"status": "ready"}')
        assert held.headers["Connection"] == "close"  # the client will not reuse it
        assert app.process.wait(60) == 0
        took = time.monotonic() - began
        text = app.output()
        assert text.count("closed the database client") == 2
        # Within graceful_timeout: nobody was cut short or killed.
        assert "still running after" not in text and "was sent SIGKILL" not in text and "Traceback" not in text
        print("\ngunicorn stopped %.1fs after SIGTERM" % took)
    finally:
        stop(app.process)
        pymongo.MongoClient(mongo_uri).drop_database(database)


def test_a_database_down_at_start_and_later_gives_fast_503s_and_readiness_follows_it(
    built, s2i_env, tmp_path
):
    """An external MongoDB that is down when the workers start, comes up, then dies and comes back."""
    src, venv = built
    port, db_port = free_port(), free_port()
    mongo = StandaloneDatabase(tmp_path / "mongo", db_port)
    env = platform_env(built, s2i_env, mongo.uri, "outage", tmp_path, PORT=str(port))
    app = Deployed(src, venv, env, port, tmp_path / "gunicorn.log")
    start_process = subprocess.Popen(gunicorn_command(s2i_env, bind=None), cwd=src, env=env,
                                     stdout=open(app.log, "w"), stderr=subprocess.STDOUT)
    app.process = start_process
    try:
        # The workers start without their database: alive, not ready, pages a fast 503.
        wait_until_serving(app.process, port, "/healthz")
        probe = lambda path: get(port, path, host="10.128.0.7:8080")[0]  # noqa: E731
        assert probe("/readyz") == 503
        status, headers, _ = app.get("alpha." + BASE_DOMAIN)
        assert status == 503 and int(headers["Retry-After"]) > 0

        # The database comes up: the indexes are made and the workers become ready.
        mongo.start()
        wait_for(lambda: probe("/readyz") == 200 and probe("/readyz") == 200, 30, "ready with the database up")
        keys = [index["key"] for index in pymongo.MongoClient(mongo.uri).outage.posts.index_information().values()]
        assert {"site_id": 1, "type": 1, "slug": 1} in [dict(k) for k in keys]
        # Every worker answers for real (no such site yet: a 404): two readyz
        # answers may both have come from the worker that was ready first.
        wait_for(lambda: all(app.get("alpha." + BASE_DOMAIN)[0] == 404 for _ in range(4)), 30,
                 "every worker serving with the database up")

        # It dies: 503s with Retry-After (never a 500), readyz 503 within the probe's 3 s.
        mongo.kill()

        def refused():
            status, headers, _ = app.get("alpha." + BASE_DOMAIN)
            assert status in (404, 503), status
            return status == 503 and int(headers["Retry-After"]) > 0

        wait_for(refused, 10, "a 503 with the database gone")
        wait_for(lambda: get(port, "/readyz", host="probe")[0] == 503, 10, "readyz 503")
        assert probe("/healthz") == 200  # nothing a restart of this pod would cure

        # Back on the same address: the clients reconnect by themselves.
        mongo.start()
        wait_for(lambda: probe("/readyz") == 200 and app.get("alpha." + BASE_DOMAIN)[0] == 404, 30, "ready again")
        text = app.output()
        assert "Traceback" not in text and " 500 " not in text
        assert "could not make the database indexes (will retry)" in text or "database indexes in place" in text
    finally:
        stop(app.process)
        mongo.kill()


def test_without_a_database_uri_it_refuses_to_start(built, s2i_env, tmp_path):
    src, venv = built
    env = platform_env(built, s2i_env, "mongodb://unused/", "x", tmp_path, PORT=str(free_port()))
    del env["MONGODB_URI"]
    result = subprocess.run(
        gunicorn_command(s2i_env, bind=None), cwd=src, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "wsgi.py needs a MongoDB server: set MONGODB_URI" in output
    assert "Worker failed to boot" in output


def raw_exchange(port: int, head: bytes, body: bytes = b"") -> bytes:
    """Send ``head`` and ``body`` on a fresh socket; what comes back within 10 s (up to the close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head + body)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = s.recv(65536)
            if not chunk:
                break
            received += chunk
        return received


def test_request_limits_hold_under_the_gunicorn_worker(deployed):
    """The tornado worker builds its own HTTPServer: the limits come from the app (cms/limits.py)."""
    host = "alpha." + BASE_DOMAIN
    head = b"GET / HTTP/1.1\r\nHost: %s\r\nX-Padding: %s\r\n\r\n" % (host.encode(), b"p" * 100_000)
    assert raw_exchange(deployed.port, head).startswith(b"HTTP/1.1 431 ")
    head = (b"POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\n\r\n" % (host.encode(), 90 * 1024 * 1024))
    assert raw_exchange(deployed.port, head, b"a=" + b"x" * (1024 * 1024)).startswith(b"HTTP/1.1 413 ")


def test_an_upload_is_processed_by_an_image_worker_under_gunicorn(deployed):
    """The image pool spawns its workers from inside a gunicorn worker (cms/images/pool.py)."""
    from tests import images

    host = "alpha." + BASE_DOMAIN
    cookies: dict[str, str] = {}

    def exchange(method: str, path: str, body: bytes | None = None, **headers: str) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", deployed.port, timeout=60)
        try:
            cookie = "; ".join("%s=%s" % kv for kv in cookies.items())
            conn.request(method, path, body=body, headers={"Host": host, "Cookie": cookie, **headers})
            response = conn.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, value = header.split(";", 1)[0].split("=", 1)
                cookies[name] = value
            return response.status, response.read()
        finally:
            conn.close()

    exchange("GET", "/login")
    form = urlencode({"email": "person1@example.com", "password": TEST_PASSWORD, "_xsrf": cookies["_xsrf"]})
    assert exchange("POST", "/login", form.encode(), **{"Content-Type": "application/x-www-form-urlencoded"})[0] == 303
    body, content_type = images.multipart([("dot.png", images.png_transparent(30, 20), "image/png")])
    status, answer = exchange("POST", "/admin/media", body, **{
        "Content-Type": content_type, "X-XSRFToken": cookies["_xsrf"], "Accept": "application/json"})
    assert status == 201, answer
    url = json.loads(answer)["items"][0]["url"]
    status, served = exchange("GET", url)
    assert status == 200 and images.opened(served).size == (30, 20)
