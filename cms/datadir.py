"""The data directory (``CMS_DATA_DIR``): private, writable, and owned by one process.

The embedded database keeps every post, person and upload in SQLite files
under ``<data dir>/db``. Three things keep them safe:

* `prepare` makes the directory private (0700; the files in it 0600, fixing
  what an older version left world-readable, where this user owns them) and
  proves it writable, so that a read-only or foreign directory is one clear
  line at start, not a traceback later.
* `DirectoryLock` is an OS lock (``fcntl.flock``) on ``<dir>/lock`` held for
  the owner's life: the kernel drops it when the owner dies, however it dies,
  so there is no stale pid file to trust or to clean up. A second ``serve``
  on the same directory is refused; a command beside a running ``serve``
  learns from the lock that the ``server.json`` it finds is live.
* `check_sqlite_files` runs SQLite's ``quick_check`` over the database files
  before the server opens them: a damaged file stops the start with one line,
  instead of a ready server whose pages fail.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import sqlite3
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

RESTORE_HINT = "restore a backup with `python -m cms restore DIR`"


class DataDirError(Exception):
    """The data directory cannot be used as it is; the message says what to do."""


def prepare(path: Path) -> Path:
    """Create ``path`` if needed, private to this user, and prove it writable."""
    path = Path(path)
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        make_private(path)
        # The only sure test of writability (root ignores modes; a read-only mount does not).
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        raise DataDirError(
            "the data directory %s is not usable (%s): make it writable by this user or set CMS_DATA_DIR"
            % (path, e.strerror or e)
        ) from None
    return path


def make_private(path: Path) -> None:
    """No access for group and others to the directory and what is directly in it.

    Only what this user owns: a directory lent by someone else (a mounted
    volume) is used as it is, with a warning, rather than refused.
    """
    me = os.geteuid()
    entries = [(str(path), os.stat(path))] + [
        (entry.path, entry.stat(follow_symlinks=False)) for entry in os.scandir(path)
        if entry.is_file(follow_symlinks=False) or entry.is_dir(follow_symlinks=False)
    ]
    for entry_path, stat in entries:
        if not stat.st_mode & 0o077:
            continue
        if stat.st_uid != me:
            log.warning("%s belongs to another user (uid %d): its mode %o is left as it is",
                        entry_path, stat.st_uid, stat.st_mode & 0o777)
            continue
        os.chmod(entry_path, stat.st_mode & 0o700)


class DirectoryLock:
    """An exclusive ``flock`` on ``<directory>/lock``, kept until `release` or death.

    The lock file names its holder (pid and role) for messages only; whether
    someone holds the lock is always asked of the kernel.
    """

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / "lock"
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, role: str) -> bool:
        """Take the lock without waiting; False when another process holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return False
            raise
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "role": role}).encode())
        self._fd = fd
        return True

    def wait(self, role: str, timeout: float) -> bool:
        """Take the lock, waiting up to ``timeout`` seconds for its holder to finish."""
        deadline = time.monotonic() + timeout
        while not self.acquire(role):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def holder(self) -> dict:
        """Who says they hold the lock: ``{"pid": ..., "role": ...}``, or ``{}``."""
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    def is_held_by_other(self) -> bool:
        """True when a live process other than this object holds the lock."""
        if self.held:
            return False
        if self.acquire("probe"):
            self.release()
            return False
        return True

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing drops the lock


def check_sqlite_files(directory: Path) -> None:
    """SQLite's ``quick_check`` on every database file in ``directory``.

    Run before the server opens them (and while this process holds the lock,
    so nothing writes meanwhile); raises `DataDirError` naming the damaged file.
    """
    for path in sorted(Path(directory).glob("*.db")):
        try:
            # Read-only, but through the WAL: a crash leaves committed pages there.
            connection = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
            try:
                result = [row[0] for row in connection.execute("PRAGMA quick_check")]
            finally:
                connection.close()
        except sqlite3.DatabaseError as e:
            result = [str(e)]
        if result != ["ok"]:
            log.error("quick_check of %s: %s", path, "; ".join(map(str, result[:5])))
            raise DataDirError("the database file %s is damaged (%s): %s"
                               % (path, str(result[0])[:120], RESTORE_HINT))
