"""The README's first command, end to end: ``python -m cms serve`` on the embedded database.

Real processes: the server, its embedded database child, and CLI commands
run beside it against the same files.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request

from cms import db as database
from cms.config import REPO_ROOT


def clean_env(data_dir) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MONGODB", "OPENSHIFT_MONGODB", "COOKIE_SECRET", "CMS_"))}
    env["CMS_DATA_DIR"] = str(data_dir)
    return env


def cli(env: dict, *args: str, stdin: str = "", cwd=REPO_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cms", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=60)


def get(port: int, host: str, path: str = "/") -> tuple[int, str]:
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class Serve:
    """``python -m cms serve`` in the background, its output collected."""

    def __init__(self, env: dict, port: int) -> None:
        self.port = port
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cms", "serve", "--port", str(port)], env=env, cwd=REPO_ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError("serve exited early:\n" + "".join(self.lines))
            self.lines.append(line)
            if line.startswith("Serving on"):
                break
        while get(port, "localhost", "/healthz")[0] != 200:
            assert time.monotonic() < deadline, "serve printed its address but /healthz never answered 200"
            time.sleep(0.1)

    def stop(self) -> float:
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        rest, _ = self.process.communicate(timeout=90)  # a deadline: half a second on a quiet machine
        self.lines.append(rest)
        assert self.process.returncode == 0, "".join(self.lines)
        return time.monotonic() - started

    @property
    def output(self) -> str:
        return "".join(self.lines)


def db_server_pid(data_dir) -> int:
    return json.loads((data_dir / "db" / "server.json").read_text())["pid"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose; it is reaped by its parent.
    with open("/proc/%d/stat" % pid) as f:
        return f.read().split()[2] != "Z"


def test_cli_without_a_running_server_starts_one_for_the_command(tmp_path):
    # No CMS_DATA_DIR: the default, ./data, relative to where the command runs.
    env = clean_env(tmp_path)
    del env["CMS_DATA_DIR"]
    env["PYTHONPATH"] = str(REPO_ROOT)
    result = cli(env, "site", "create", "garden", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "http://garden.localhost:8888/" in result.stdout
    assert (tmp_path / "data" / "db").is_dir()
    assert not (tmp_path / "data" / "db" / "server.json").exists()  # stopped again
    again = cli(env, "site", "create", "garden", cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr  # the data persisted


def test_serve_seeds_the_demo_once_shares_its_database_and_stops_cleanly(tmp_path):
    env = clean_env(tmp_path)
    port = database.free_port()
    first = Serve(env, port)
    try:
        output = first.output
        assert "http://demo.localhost:%d/" % port in output
        assert "owner e-mail: owner@example.com" in output
        password = output.split("owner password: ")[1].split()[0]
        assert len(password) >= 16
        assert (tmp_path / "cookie_secret").stat().st_mode & 0o077 == 0

        code, home = get(port, "demo.localhost:%d" % port)
        assert code == 200 and "Demo Journal" in home and "A tour of Markdown" in home
        assert 'href="/about"' in home  # the demo comes with a menu
        code, post = get(port, "demo.localhost:%d" % port, "/posts/code-highlighting")
        assert code == 200 and '<span class="k">' in post and "Tomás Reyes" in post
        assert get(port, "demo.localhost:%d" % port, "/about")[0] == 200

        # The CLI talks to serve's database server instead of starting another one.
        server_pid = db_server_pid(tmp_path)
        result = cli(env, "post", "create", "--site", "demo", "--title", "Written from the CLI",
                     stdin="Hello from a terminal.")
        assert result.returncode == 0, result.stderr
        assert db_server_pid(tmp_path) == server_pid and alive(server_pid)
        code, home = get(port, "demo.localhost:%d" % port)
        assert "Written from the CLI" in home
    finally:
        seconds = first.stop()
    assert seconds < 15
    assert not alive(server_pid)  # the embedded database stopped with serve

    second = Serve(env, port)
    try:
        code, home = get(port, "demo.localhost:%d" % port)
        assert code == 200 and "Written from the CLI" in home
    finally:
        second.stop()
    assert "password" not in second.output


def test_sigterm_while_starting_still_stops_the_embedded_database(tmp_path):
    env = clean_env(tmp_path)
    process = subprocess.Popen([sys.executable, "-m", "cms", "serve", "--port", str(database.free_port())],
                               env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    state = tmp_path / "db" / "server.json"
    deadline = time.monotonic() + 30
    while not state.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    pid = db_server_pid(tmp_path)
    process.send_signal(signal.SIGTERM)  # seeding the demo is still under way
    process.communicate(timeout=30)
    assert not alive(pid)
    assert not state.exists()


# --- owning the data directory (issue 18.4, 18.10; issue 9.11) ----------------------


def wait_until(condition, seconds: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The one ``error:`` line of a refused command (its log lines may come before it)."""
    assert result.returncode != 0, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    return errors[0]


def test_kill_9_of_serve_takes_its_database_with_it_and_the_next_serve_starts_its_own(tmp_path):
    env = clean_env(tmp_path)
    port = database.free_port()
    first = Serve(env, port)
    child = db_server_pid(tmp_path)
    first.process.kill()
    first.process.communicate(timeout=30)
    wait_until(lambda: not alive(child), what="the database child to die with its parent")

    second = Serve(env, port)
    try:
        assert db_server_pid(tmp_path) != child
        assert get(port, "demo.localhost:%d" % port)[0] == 200
    finally:
        second.stop()


def test_a_second_serve_on_the_same_data_directory_refuses_with_one_line(tmp_path):
    env = clean_env(tmp_path)
    port = database.free_port()
    first = Serve(env, port)
    try:
        child = db_server_pid(tmp_path)
        second = subprocess.run([sys.executable, "-m", "cms", "serve", "--port", str(database.free_port())],
                                env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
        line = one_line_error(second)
        assert "in use" in line and str(first.process.pid) in line
        assert alive(child) and db_server_pid(tmp_path) == child
        assert get(port, "demo.localhost:%d" % port)[0] == 200
    finally:
        first.stop()


def test_stale_pid_and_state_files_naming_live_processes_do_not_block_or_mislead(tmp_path, mongo_uri):
    """A restart loop in a container: the pids in old files now belong to someone else."""
    import pymongo

    env = clean_env(tmp_path)
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "nx-27017.pid").write_text(str(os.getpid()))  # a live, unrelated process
    # ... and a live database server that is not this directory's (the test session's own).
    other_port = int(mongo_uri.rsplit(":", 1)[1].strip("/"))
    (tmp_path / "db" / "server.json").write_text(json.dumps({"pid": os.getpid(), "port": other_port}))
    result = cli(env, "site", "create", "stale")
    assert result.returncode == 0, result.stderr
    with pymongo.MongoClient("127.0.0.1", other_port) as other:
        assert other.cms.sites.find_one({"name": "stale"}) is None  # written to the right files
    assert "already exists" in cli(env, "site", "create", "stale").stderr

    first = Serve(env, database.free_port())
    first.stop()


def test_data_directory_is_private_and_the_database_listens_on_loopback_only(tmp_path):
    data = tmp_path / "data"
    (data / "db").mkdir(parents=True)
    data.chmod(0o755)
    (data / "db").chmod(0o755)
    (data / "db" / "cms.db").touch(mode=0o644)  # left by an older version, world-readable
    (data / "db" / "cms.db").chmod(0o644)
    env = clean_env(data)
    first = Serve(env, database.free_port())
    try:
        port = json.loads((data / "db" / "server.json").read_text())["port"]
        for path in [data, *data.rglob("*")]:
            mode = path.stat().st_mode & 0o777
            assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
        with open("/proc/net/tcp") as f:
            listening = [line.split()[1] for line in f.readlines()[1:] if line.split()[3] == "0A"]
        assert "0100007F:%04X" % port in listening  # 127.0.0.1
        assert not any(address.endswith(":%04X" % port) and address != "0100007F:%04X" % port
                       for address in listening)
    finally:
        first.stop()


def test_an_unwritable_data_directory_is_one_line_not_a_traceback(tmp_path):
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    for data_dir in [not_a_directory / "data", "/sys/cms-data"]:
        env = clean_env(data_dir)
        for command in (["serve", "--port", str(database.free_port())], ["site", "create", "x"]):
            line = one_line_error(cli(env, *command))
            assert str(data_dir) in line and "CMS_DATA_DIR" in line


# --- what the data directory holds (issue 18.1, 18.2) ------------------------------


def serve_refused(env: dict) -> str:
    """``serve`` that must refuse to start: its one line."""
    result = cli(env, "serve", "--port", str(database.free_port()))
    return one_line_error(result)


def test_an_emptied_database_file_is_refused_not_a_silent_fresh_start(tmp_path):
    env = clean_env(tmp_path)
    port = database.free_port()
    first = Serve(env, port)
    assert cli(env, "post", "create", "--site", "demo", "--title", "Worth keeping", stdin="x").returncode == 0
    first.stop()
    (tmp_path / "db" / "cms.db").write_bytes(b"")  # truncate -s0

    line = serve_refused(env)
    assert "empty" in line and "python -m cms restore" in line
    assert "Created the demo site" not in line
    # The CLI says the same instead of writing into an empty platform.
    assert "python -m cms restore" in one_line_error(cli(env, "site", "create", "fresh"))
    with sqlite3.connect(tmp_path / "db" / "cms.db") as files:  # nothing seeded over it, not even an index
        assert files.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_a_database_of_another_platform_is_refused(tmp_path):
    one, other = tmp_path / "one", tmp_path / "other"
    for data in (one, other):
        Serve(clean_env(data), database.free_port()).stop()
    (one / "db" / "cms.db").write_bytes((other / "db" / "cms.db").read_bytes())
    line = serve_refused(clean_env(one))
    assert "another platform" in line and "python -m cms restore" in line


def test_a_damaged_database_file_is_refused_at_start(tmp_path):
    env = clean_env(tmp_path)
    first = Serve(env, database.free_port())
    first.stop()
    path = tmp_path / "db" / "cms.db"
    size = path.stat().st_size
    assert size > 3 * 65536, size
    with open(path, "r+b") as f:  # 64 KB of random bytes in the middle
        f.seek(size // 2 - 32768)
        f.write(os.urandom(65536))
    line = serve_refused(env)
    assert "damaged" in line and str(path) in line and "python -m cms restore" in line


def test_an_emptied_database_is_brought_back_by_restore_and_another_platform_by_restore_force(tmp_path):
    data, other, backups = tmp_path / "data", tmp_path / "other", tmp_path / "backups"
    env = clean_env(data)
    port = database.free_port()
    first = Serve(env, port)
    assert cli(env, "post", "create", "--site", "demo", "--title", "Worth keeping", stdin="x").returncode == 0
    result = cli(env, "backup", str(backups / "one"))
    assert result.returncode == 0, result.stderr
    first.stop()
    (data / "db" / "cms.db").write_bytes(b"")
    serve_refused(env)

    result = cli(env, "restore", str(backups / "one"))  # what the refusal says to do
    assert result.returncode == 0, result.stderr
    again = Serve(env, port)
    try:
        assert "Worth keeping" in get(port, "demo.localhost:%d" % port)[1]
    finally:
        again.stop()

    # Another platform's backup, restored on purpose, becomes this directory's platform.
    Serve(clean_env(other), database.free_port()).stop()
    assert cli(clean_env(other), "backup", str(backups / "other")).returncode == 0
    result = cli(env, "restore", "--force", str(backups / "other"))
    assert result.returncode == 0, result.stderr
    third = Serve(env, port)
    try:
        assert "Worth keeping" not in get(port, "demo.localhost:%d" % port)[1]
    finally:
        third.stop()


KNOCK = """
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
body = b"\\x00\\x00\\x00\\x00" + b"\\x00" + bytes.fromhex("1e0000001070696e67000100000002246462000600000061646d696e0000")
s.sendall(struct.pack("<iiii", 16 + len(body), 1, 0, 2013) + body)  # OP_MSG {ping: 1, $db: "admin"}
try:
    print(len(s.recv(4096)))
except ConnectionResetError:
    print(0)
"""


def test_the_embedded_database_answers_only_its_own_user(mongo_uri):
    """No password on the embedded server: another local account must still get nothing."""
    if os.geteuid() != 0:
        import pytest

        pytest.skip("connecting as another user needs root")
    port = mongo_uri.rsplit(":", 1)[1].strip("/")
    mine = subprocess.run(["/usr/bin/python3", "-c", KNOCK, port], capture_output=True, text=True, timeout=30)
    assert mine.returncode == 0 and int(mine.stdout) > 16, mine.stderr  # an answer to the ping
    other = subprocess.run(["/usr/bin/python3", "-c", KNOCK, port], capture_output=True, text=True, timeout=30,
                           user=65534, group=65534, cwd="/")
    assert other.returncode == 0 and int(other.stdout) == 0, other.stderr  # closed, unanswered


# --- addresses that work (issue 14: rough edges) -------------------------------------


def test_commands_print_the_address_serve_really_listens_on_and_serve_lists_the_sites(tmp_path):
    env = clean_env(tmp_path)
    env.pop("PORT", None)
    first_port = database.free_port()
    first = Serve(env, first_port)
    result = cli(env, "site", "create", "garden")
    assert result.returncode == 0, result.stderr
    assert "http://garden.localhost:%d/" % first_port in result.stdout
    child = db_server_pid(tmp_path)
    first.process.kill()  # kill -9: the address it left behind must not be trusted
    first.process.communicate(timeout=30)
    wait_until(lambda: not alive(child), what="the database child to die with its parent")

    alone = cli(env, "site", "create", "orchard")
    assert alone.returncode == 0, alone.stderr
    assert "http://orchard.localhost:8888/" in alone.stdout  # no serve: the configured port

    second_port = database.free_port()
    second = Serve(env, second_port)
    try:
        # A restart prints where the existing sites answer, not only the first start.
        for name in ("demo", "garden", "orchard"):
            assert "http://%s.localhost:%d/" % (name, second_port) in second.output, second.output
        result = cli(env, "site", "create", "meadow")
        assert "http://meadow.localhost:%d/" % second_port in result.stdout
    finally:
        second.stop()


def test_a_refused_command_prints_one_line_and_no_log_lines(tmp_path):
    env = clean_env(tmp_path)
    result = cli(env, "site", "create", "Bad Name")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [one_line_error(result)], result.stderr
    assert "invalid site name" in result.stderr
