"""The database: one motor client, the embedded server launcher, the indexes.

The application always talks MongoDB's wire protocol through motor, to a real
MongoDB or to the embedded ``nx-27017`` server (SQLite files under
``CMS_DATA_DIR``), so there is one code path. `connect` is the one place that
creates a client; it keeps to the API that PyMongo's ``AsyncMongoClient``
shares with motor, so moving to it is a one-line change here.

`EmbeddedServer` starts ``nx-27017`` as a child process on a free loopback
port and records where it listens in ``<data dir>/db/server.json``; anyone
else who needs the same files (the CLI while ``serve`` runs) finds it there
instead of starting a second server on the same files.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pymongo
from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase

log = logging.getLogger(__name__)

Database = AsyncIOMotorDatabase


def connect(uri: str, **options: Any) -> AsyncIOMotorClient:
    """Create the application's database client (dates come back tz-aware UTC)."""
    options.setdefault("tz_aware", True)
    options.setdefault("serverSelectionTimeoutMS", 5000)
    options.setdefault("connect", False)  # nothing connects until first use (fork-safe)
    return AsyncIOMotorClient(uri, **options)


async def ping(db: Database) -> bool:
    """True when the database server answers ``ping``."""
    try:
        await db.command("ping")
        return True
    except Exception:  # any failure means "not ready"; the caller only needs yes/no
        return False


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
        ([("site_id", 1), ("post_id", 1), ("user_id", 1)], {"unique": True}),
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
    "media.files": [  # the GridFS bucket "media"; GridFS adds its own filename index
        ([("metadata.site_id", 1), ("metadata.item_id", 1)], {}),
    ],
}
# which posts show a media item (Media.usage)
INDEXES["posts"].append(([("site_id", 1), ("media_ids", 1)], {}))


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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
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


class EmbeddedServer:
    """An ``nx-27017`` child process serving the SQLite files in ``directory``."""

    def __init__(self, directory: Path) -> None:
        # Absolute: the child runs in this directory, so a relative path (the
        # default ``./data``) would point somewhere else from there.
        self.directory = Path(directory).resolve()
        self.port: int | None = None
        self.process: subprocess.Popen | None = None

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
        """The port of a live server already serving these files, if any."""
        try:
            state = json.loads(self.state_file.read_text())
            pid, port = int(state["pid"]), int(state["port"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if _pid_alive(pid) and _answers_ping(port):
            return port
        return None

    def start(self, timeout: float = 20.0) -> str:
        """Reuse a running server on these files, or start one; return its URI."""
        self.directory.mkdir(parents=True, exist_ok=True)
        running = self.find_running()
        if running:
            self.port = running
            log.info("using the embedded database already running on port %d", running)
            return self.uri
        self.port = free_port()
        executable = shutil.which("nx-27017", path=str(Path(sys.executable).parent)) or shutil.which("nx-27017")
        command = [executable] if executable else [sys.executable, "-m", "nx_27017.nx_27017"]
        command += [
            "--data-dir", str(self.directory), "--host", "127.0.0.1", "-p", str(self.port),
            # Its defaults are global (/tmp/nx_27017.pid), which would allow one server per machine.
            "--pid-file", str(self.directory / "nx-27017.pid"), "--log-file", str(self.directory / "nx-27017.log"),
        ]
        log_file = open(self.directory / "server.log", "ab")
        self.process = subprocess.Popen(
            command,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.directory,
            # Its own process group: Ctrl-C in a terminal reaches the app, which
            # then stops the server itself after the last write.
            start_new_session=True,
        )
        log_file.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    "the embedded database exited at start (code %s); see %s"
                    % (self.process.returncode, self.directory / "server.log")
                )
            if _answers_ping(self.port, timeout=0.5):
                self.state_file.write_text(json.dumps({"pid": self.process.pid, "port": self.port}))
                log.info("embedded database listening on 127.0.0.1:%d", self.port)
                return self.uri
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the embedded database did not answer ping within %.0fs" % timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server if this object started it."""
        if self.process is None:
            return
        process, self.process = self.process, None
        with contextlib.suppress(OSError):
            if json.loads(self.state_file.read_text()).get("pid") == process.pid:
                self.state_file.unlink()
        terminate(process, timeout)

    def __enter__(self) -> "EmbeddedServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
