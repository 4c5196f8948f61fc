"""The database: one motor client, the embedded server launcher, the indexes.

The application always talks MongoDB's wire protocol through motor, to a real
MongoDB or to the embedded ``nx-27017`` server (SQLite files under
``CMS_DATA_DIR``), so there is one code path. `connect` is the one place that
creates a client; it keeps to the API that PyMongo's ``AsyncMongoClient``
shares with motor, so moving to it is a one-line change here.

`EmbeddedServer` starts ``nx-27017`` as a child process on a free loopback
port, holding the directory's lock (`cms.datadir`) and with a death signal so
the child never outlives it, and records where it listens in
``<data dir>/db/server.json``; anyone else who needs the same files (the CLI
while ``serve`` runs) finds it there instead of starting a second server on
the same files, and trusts it only while the lock's holder is alive.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pymongo
from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase

from cms.datadir import DataDirError, DirectoryLock, check_sqlite_files, prepare

log = logging.getLogger(__name__)

Database = AsyncIOMotorDatabase


def connect(uri: str, **options: Any) -> AsyncIOMotorClient:
    """Create the application's database client (dates come back tz-aware UTC)."""
    options.setdefault("tz_aware", True)
    # Short: a request that meets a dead database fails (503) in 2 s rather than
    # hanging; cms.supervisor then answers the next ones at once.
    options.setdefault("serverSelectionTimeoutMS", 2000)
    options.setdefault("connect", False)  # nothing connects until first use (fork-safe)
    return AsyncIOMotorClient(uri, **options)


async def ping(db: Database) -> bool:
    """True when the database server answers ``ping``."""
    try:
        await db.command("ping")
        return True
    except Exception:  # any failure means "not ready"; the caller only needs yes/no
        return False


# nx-27017 returns a document it cannot decode as ``{_id, DAMAGED: True}``
# where MongoDB fails the read (tests/http/test_embedded_database.py).
DAMAGED = "__neosqlite_corrupted__"
READ_CHECKED = ("sites", "users", "posts")  # what every page, the sign-in and the admin read first


async def read_check(db: Database) -> str | None:
    """Read the first document of the collections every page needs; what is wrong, or None.

    ``ping`` proves a server answers, not that the data can be read: a damaged
    database answered ping while every page failed. Errors propagate (the
    caller knows which mean "unreachable").
    """
    for name in READ_CHECKED:
        document = await db[name].find_one({})
        if document is not None and document.get(DAMAGED):
            return "the %s collection holds a damaged document" % name
    return None


# --- indexes -----------------------------------------------------------------

INDEXES: dict[str, list[tuple[list[tuple[str, Any]], dict[str, Any]]]] = {
    "sites": [
        ([("name", 1)], {"unique": True}),
        # Multikey and sparse: a site may have no custom domain at all.
        ([("domains", 1)], {"unique": True, "sparse": True}),
    ],
    "users": [
        ([("email", 1)], {"unique": True}),
        ([("username", 1)], {"unique": True}),
        ([("google_sub", 1)], {"unique": True, "sparse": True}),
    ],
    "memberships": [
        ([("site_id", 1), ("user_id", 1)], {"unique": True}),
    ],
    "posts": [
        ([("site_id", 1), ("type", 1), ("slug", 1)], {"unique": True}),
        ([("site_id", 1), ("status", 1), ("published_at", -1)], {}),
        ([("site_id", 1), ("tag_slugs", 1), ("published_at", -1)], {}),
        (
            # site_id first: MongoDB then requires it in every $text query (tenancy, structurally).
            [("site_id", 1), ("title", "text"), ("markdown", "text")],
            {"weights": {"title": 10, "markdown": 1}, "name": "posts_text"},
        ),
    ],
    "revisions": [
        ([("site_id", 1), ("post_id", 1), ("version", 1)], {"unique": True}),
    ],
    "autosaves": [
        # One copy per person, post and editor tab (migration 8 drops the index without the tab).
        ([("site_id", 1), ("post_id", 1), ("user_id", 1), ("tab", 1)], {"unique": True}),
    ],
    "presence": [  # cms/store/presence.py: who has a post open in the editor
        ([("site_id", 1), ("tab", 1)], {"unique": True}),
        ([("site_id", 1), ("post_id", 1), ("seen", 1)], {}),
        ([("seen", 1)], {"expireAfterSeconds": 10 * 60}),
    ],
    "invitations": [
        ([("token_hash", 1)], {"unique": True}),
        # MongoDB removes an invitation 30 days after it expired; until then
        # its link still says "expired" rather than "not valid".
        ([("expires_at", 1)], {"expireAfterSeconds": 30 * 24 * 3600}),
        ([("site_id", 1), ("email", 1)], {}),
    ],
    "changes": [
        ([("site_id", 1)], {"unique": True}),
    ],
    "events": [  # cms/store/events.py: what live readers are told
        ([("site_id", 1), ("seq", 1)], {"unique": True}),
        ([("site_id", 1), ("key", 1)], {"unique": True}),
        ([("created", 1)], {"expireAfterSeconds": 24 * 3600}),  # events.TTL
    ],
    "sessions": [  # cms/store/sessions.py
        ([("id_hash", 1)], {"unique": True}),
        ([("site_id", 1), ("user_id", 1), ("last_seen", -1)], {}),
        ([("user_id", 1)], {}),  # sign out everywhere: every site at once
        ([("parent", 1)], {"sparse": True}),  # sign out on the platform: the sessions it handed to sites
        ([("last_seen", 1)], {"expireAfterSeconds": 14 * 24 * 3600}),  # idle sessions (store/sessions.py IDLE)
    ],
    "outbox": [  # cms/store/outbox.py
        ([("status", 1), ("next_attempt", 1)], {}),
        ([("status", 1)], {}),  # the embedded server's planner uses single-field indexes only (below)
        ([("site_id", 1), ("created_at", -1)], {}),
        ([("created_at", -1)], {}),
        ([("finished_at", 1)], {"expireAfterSeconds": 30 * 24 * 3600}),  # outbox.KEEP_DAYS
    ],
    "handovers": [  # cms/store/handovers.py: one-time tokens from the platform to a site
        ([("token_hash", 1)], {"unique": True}),
        ([("expires_at", 1)], {"expireAfterSeconds": 0}),
    ],
    "signup_codes": [  # cms/store/signup.py: invitation codes to start a site (CMS_SIGNUP=invite)
        ([("code_hash", 1)], {"unique": True}),
    ],
    "site_starts": [  # cms/store/signup.py: one person's sites are made one at a time
        ([("at", 1)], {"expireAfterSeconds": 3600}),
    ],
    "tokens": [  # cms/store/tokens.py
        ([("token_hash", 1)], {"unique": True}),
        ([("user_id", 1)], {}),
        ([("expires_at", 1)], {"expireAfterSeconds": 24 * 3600}),  # a day after expiry: "expired", then unknown
    ],
    "sign_in_failures": [
        ([("site_id", 1), ("key", 1), ("at", 1)], {}),
        ([("at", 1)], {"expireAfterSeconds": 15 * 60}),  # cms/store/throttle.py's window
    ],
    # --- media (cms/store/media.py) ---
    "media_items": [
        ([("site_id", 1), ("sha256", 1)], {"unique": True}),
        ([("site_id", 1), ("created_at", -1)], {}),
        ([("site_id", 1), ("urls", 1)], {}),
    ],
    "redirects": [  # cms/store/redirects.py
        ([("site_id", 1), ("from", 1)], {"unique": True}),
    ],
    "media.files": [  # the GridFS bucket "media"; GridFS adds its own filename index
        ([("metadata.site_id", 1), ("metadata.item_id", 1)], {}),
    ],
}
# --- imports (cms/store/imports.py) ---
INDEXES["import_jobs"] = [
    ([("site_id", 1), ("slot", 1)], {"unique": True}),  # one running import per site
    ([("site_id", 1), ("created_at", -1)], {}),
]
INDEXES["import_items"] = [([("site_id", 1), ("source", 1), ("kind", 1), ("source_id", 1)], {"unique": True})]
INDEXES["imported_comments"] = [
    ([("site_id", 1), ("source", 1), ("source_id", 1)], {"unique": True}),
    ([("site_id", 1), ("post_id", 1)], {}),
]
# --- comments (cms/store/comments.py) ---
INDEXES["comments"] = [
    ([("site_id", 1), ("post_id", 1), ("status", 1), ("created", 1)], {}),
    ([("site_id", 1), ("status", 1), ("created", -1)], {}),
    ([("site_id", 1)], {}),  # the embedded server's planner: single-field indexes only (below)
    ([("post_id", 1)], {}),
]
INDEXES["comment_blocks"] = [([("site_id", 1), ("value", 1)], {"unique": True})]
# --- e-mail subscriptions (cms/store/subscribers.py) ---
INDEXES["subscribers"] = [
    ([("site_id", 1), ("email", 1)], {"unique": True}),
    ([("site_id", 1)], {}),  # the embedded server's planner: single-field indexes only (below)
    ([("confirm_hash", 1)], {}),
]
INDEXES["newsletters"] = [
    ([("site_id", 1), ("post_id", 1)], {"unique": True}),  # a post is mailed once
    ([("status", 1), ("due", 1)], {}),
    ([("status", 1)], {}),
]
# which posts show a media item (Media.usage)
INDEXES["posts"].append(([("site_id", 1), ("media_ids", 1)], {}))
# The embedded server's planner uses single-field indexes only, never a compound
# one: without these, every query of one site scans every site's documents
# (tests/http/test_embedded_database.py pins each use with explain). MongoDB
# prefers the compound indexes above and pays only a little more per write.
INDEXES["posts"].append(([("site_id", 1)], {}))
# what a listing catches up on (cms.store.listing): few posts of any site are that recent
INDEXES["posts"].append(([("changed_ms", 1)], {}))
INDEXES["listings"] = [([("site_id", 1)], {})]
INDEXES["memberships"].append(([("site_id", 1)], {}))
INDEXES["redirects"].append(([("from", 1)], {}))  # a 404's lookup: the old path picks few rows of any site
INDEXES["memberships"].append(([("user_id", 1)], {}))


async def _has_index_on(collection, keys: list[tuple[str, Any]]) -> bool:
    """True when the collection already has an index over these fields."""
    if any(kind == "text" for _, kind in keys):
        try:  # a $text query only works with a text index in place
            await collection.find_one({"$text": {"$search": "probe"}})
            return True
        except pymongo.errors.OperationFailure:
            return False
    fields = [field for field, _ in keys]
    info = await collection.index_information()
    return any([field for field, _ in index["key"]] == fields for index in info.values())


async def ensure_indexes(db: Database) -> None:
    """Create every index the stores rely on; safe to run at every start.

    MongoDB treats a repeated ``create_index`` as a no-op. The embedded server
    fails on a repeated text index once the collection holds documents, so a
    failure is accepted when an index over the same fields is already there.
    """
    for collection, specs in INDEXES.items():
        for keys, options in specs:
            try:
                await db[collection].create_index(keys, **options)
            except pymongo.errors.OperationFailure:
                if not await _has_index_on(db[collection], keys):
                    raise


# --- the embedded server -------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when a server could listen on ``port`` now (as nx-27017 does, with SO_REUSEADDR)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def _answers_ping(port: int, timeout: float = 1.0) -> bool:
    client = pymongo.MongoClient(
        "127.0.0.1", port, serverSelectionTimeoutMS=int(timeout * 1000), connectTimeoutMS=int(timeout * 1000)
    )
    try:
        client.admin.command("ping")
        return True
    except pymongo.errors.PyMongoError:
        return False
    finally:
        client.close()


def terminate(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it is still running after ``timeout`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _die_with_parent() -> None:
    """In the child, before exec: Linux sends it SIGTERM when its parent dies.

    The death signal follows the *thread* that started the child: start it
    from a thread that lives as long as the server should (the main thread).
    """
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


try:
    _LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
except OSError:  # pragma: no cover - a libc without dlopen(NULL)
    _LIBC = None
_PR_SET_PDEATHSIG = 1


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


class EmbeddedServer:
    """An ``nx-27017`` child process serving the SQLite files in ``directory``.

    Whoever starts the server holds the directory's lock (`cms.datadir.DirectoryLock`)
    for as long as it runs: ``serve`` (role ``"serve"``) or a command run
    without ``serve``. A command that finds ``serve`` holding the lock uses
    its server, found through ``server.json``; a second ``serve`` is refused.
    """

    def __init__(self, directory: Path) -> None:
        # Absolute: the child runs in this directory, so a relative path (the
        # default ``./data``) would point somewhere else from there.
        self.directory = Path(directory).resolve()
        self.port: int | None = None
        self.process: subprocess.Popen | None = None
        self.lock = DirectoryLock(self.directory)

    @property
    def state_file(self) -> Path:
        return self.directory / "server.json"

    @property
    def uri(self) -> str:
        assert self.port is not None, "server not started"
        return f"mongodb://127.0.0.1:{self.port}/"

    @property
    def owned(self) -> bool:
        """True when this object started the process (and so must stop it)."""
        return self.process is not None

    def find_running(self) -> int | None:
        """The port of the server that the live holder of the lock runs on these files, if any.

        ``server.json`` alone proves nothing (a killed ``serve`` leaves it, and
        its pids and port may belong to others by now): it is trusted only
        while the lock is held, and only if it names the lock's holder.
        """
        try:
            state = json.loads(self.state_file.read_text())
            owner, port = int(state["owner"]), int(state["port"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if self.lock.holder().get("pid") != owner or not self.lock.is_held_by_other():
            return None
        return port if _answers_ping(port) else None

    def start(self, timeout: float = 20.0, role: str = "command", wait: float = 60.0) -> str:
        """Start a server on these files, or use ``serve``'s; return its URI.

        ``role="serve"`` refuses when anyone else holds the files. Another role
        uses the server of a running ``serve``, or waits up to ``wait`` seconds
        for another command to finish, then starts its own.
        """
        prepare(self.directory)
        deadline = time.monotonic() + wait
        while not self.lock.acquire(role):
            holder = self.lock.holder()
            if role == "serve":
                raise DataDirError(
                    "the data directory %s is in use by another %s (pid %s); stop it first"
                    % (self.directory.parent, holder.get("role", "process"), holder.get("pid", "unknown"))
                )
            if holder.get("role") == "serve":
                running = self.find_running()
                if running:
                    self.port = running
                    log.info("using the embedded database of serve (pid %s) on port %d", holder["pid"], running)
                    return self.uri
            if time.monotonic() > deadline:
                raise DataDirError(
                    "the data directory %s is busy (pid %s, %s) for over %.0fs; try again when it is done"
                    % (self.directory.parent, holder.get("pid", "unknown"), holder.get("role", "unknown"), wait)
                )
            time.sleep(0.1)
        try:
            return self._start_owned(timeout)
        except BaseException:
            self.lock.release()
            raise

    def _start_owned(self, timeout: float, port: int | None = None) -> str:
        with contextlib.suppress(FileNotFoundError):
            self.state_file.unlink()  # a killed owner's; never to be trusted again
        self._stop_leftover()
        check_sqlite_files(self.directory)
        self.port = port or free_port()
        command = [
            # A small wrapper that runs nx-27017 and stops it when this process dies.
            # -P: not cms/ first on sys.path, where our modules would shadow top-level ones.
            sys.executable, "-P", str(Path(__file__).with_name("dbchild.py")), str(os.getpid()),
            "--data-dir", str(self.directory), "--host", "127.0.0.1", "-p", str(self.port),
            # Its defaults are global (/tmp/nx_27017.pid), which would allow one server per machine.
            "--pid-file", str(self.directory / "nx-27017.pid"), "--log-file", str(self.directory / "nx-27017.log"),
        ]
        log_fd = os.open(self.directory / "server.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            self.process = subprocess.Popen(
                command,
                stdout=log_fd,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.directory,
                # Its own process group: Ctrl-C in a terminal reaches the app, which
                # then stops the server itself after the last write.
                start_new_session=True,
                umask=0o077,  # its SQLite files and log: private to this user
                preexec_fn=_die_with_parent,
            )
        finally:
            os.close(log_fd)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DataDirError(
                    "the embedded database exited at start (code %s); see %s"
                    % (self.process.returncode, self.directory / "server.log")
                )
            if _answers_ping(self.port, timeout=0.5):
                _write_private(self.state_file, json.dumps(
                    {"pid": self.process.pid, "port": self.port, "owner": os.getpid()}))
                log.info("embedded database listening on 127.0.0.1:%d", self.port)
                return self.uri
            time.sleep(0.1)
        self.stop()
        raise DataDirError("the embedded database did not answer ping within %.0fs" % timeout)

    def _stop_leftover(self) -> None:
        """Stop a server a killed owner left on these files; forget its pid file.

        Only a process whose command line names this directory is stopped: the
        pid in an old file may belong to anything by now (nx-27017 itself would
        refuse to start while it lives).
        """
        pid_file = self.directory / "nx-27017.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            pid = 0
        if pid > 0 and pid != os.getpid():
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    cmdline = f.read().decode(errors="replace")
            except OSError:
                cmdline = ""
            if "nx" in cmdline and str(self.directory) in cmdline.split("\0"):
                log.warning("stopping the embedded database (pid %d) left running on %s", pid, self.directory)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
                    deadline = time.monotonic() + 10
                    while os.path.exists("/proc/%d" % pid) and time.monotonic() < deadline:
                        time.sleep(0.05)
                    os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(FileNotFoundError):
            pid_file.unlink()

    def restart(self, timeout: float = 20.0) -> str:
        """Start the server again after its process died; on the same port while that is free.

        (`cms.supervisor.EmbeddedSupervisor` calls this; the same port lets clients reconnect.)
        """
        self.process = None  # dead; the lock is still ours
        same = self.port if self.port and port_is_free(self.port) else None
        return self._start_owned(timeout, port=same)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server if this object started it, and give up the directory."""
        if self.process is None:
            self.lock.release()
            return
        process, self.process = self.process, None
        with contextlib.suppress(OSError):
            self.state_file.unlink()
        terminate(process, timeout)
        self.lock.release()

    def __enter__(self) -> "EmbeddedServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
