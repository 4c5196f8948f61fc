"""Where ``serve`` listens, kept in the data directory, so commands print addresses that work.

``serve --port 9000`` records its port in ``<data dir>/serve/address.json``
as it starts, and holds ``<data dir>/serve/lock`` (a `DirectoryLock`) for
its life. A command beside it (``site create``, ``post create``) reads the
port only while that lock is held by the process the file names: the kernel
drops the lock when ``serve`` dies, however it dies, so the file of a killed
``serve`` is never trusted. With no ``serve`` running, the configured ``PORT``
is the address.

Only a data directory that already exists is used: a ``serve`` on a
configured MongoDB (OpenShift) may have none, and gets no directory made for this.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import Iterator

from cms.datadir import DirectoryLock

log = logging.getLogger(__name__)


def _folder(data_dir: Path) -> Path:
    return Path(data_dir) / "serve"


@contextlib.contextmanager
def announced(data_dir: Path, port: int) -> Iterator[None]:
    """Record ``port`` as serve's for the block; nothing is recorded where it cannot be."""
    lock = _record(_folder(data_dir), port) if Path(data_dir).is_dir() else None
    try:
        yield
    finally:
        if lock is not None:
            with contextlib.suppress(OSError):
                (_folder(data_dir) / "address.json").unlink()
            lock.release()


def _record(folder: Path, port: int) -> DirectoryLock | None:
    """Take the lock and write the address; the held lock, or None."""
    lock = DirectoryLock(folder)
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        if not lock.acquire("serve"):
            # Another serve on this data directory (possible on a configured MongoDB):
            # commands keep printing the first one's address.
            log.info("another serve records its address in %s; this one's is not recorded", folder)
            return None
        fd = os.open(folder / "address.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"pid": os.getpid(), "port": port}, f)
    except OSError as e:
        log.warning("cannot record serve's address in %s: %s", folder, e.strerror or e)
        lock.release()
        return None
    return lock


def serving_port(data_dir: Path) -> int | None:
    """The port of the ``serve`` running on ``data_dir`` now, or None."""
    folder = _folder(data_dir)
    try:
        recorded = json.loads((folder / "address.json").read_text())
        pid, port = int(recorded["pid"]), int(recorded["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    lock = DirectoryLock(folder)
    if lock.holder().get("pid") != pid:
        return None
    try:
        return port if lock.is_held_by_other() else None
    except OSError:
        return None
