"""Which platform a data directory holds: an id kept in the database and beside it.

An emptied or swapped database file used to be a silent fresh start: a new
demo site and a new owner password where hundreds of posts had been. Now the
platform's id (`cms.store.platform.Platform`) is also kept in
``<data dir>/db/identity``, and the two must agree:

=====================  ===============================  ==========================
the file beside        the database                     then
=====================  ===============================  ==========================
none                   no id, nothing stored            a new platform: id made
none                   an id, or content without one    adopted: the file written
id X                   id X                             the same platform
id X                   no id, nothing stored            refused: emptied
id X                   content without an id            adopted (an older version's data)
id X                   id Y                             refused: another platform
=====================  ===============================  ==========================

Against a MongoDB server (no data directory of its own) only the database's
id is kept.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cms.datadir import RESTORE_HINT, DataDirError
from cms.store.platform import Platform

log = logging.getLogger(__name__)


class IdentityFile:
    """``<directory>/identity``: the platform id, one line, private."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / "identity"

    def read(self) -> str | None:
        try:
            return self.path.read_text().strip() or None
        except FileNotFoundError:
            return None

    def write(self, platform_id: str) -> None:
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(platform_id + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.path)  # never a half-written id


async def verify_identity(db, directory: Path | None) -> str:
    """Check (or make) the platform's identity; return its id.

    ``directory`` holds the embedded database's files (None for a MongoDB
    server). Raises `DataDirError` with what to do when the database is not
    the platform the directory held.
    """
    platform = Platform(db)
    stored = await platform.identity()
    kept = IdentityFile(directory).read() if directory is not None else None
    if kept and stored and kept != stored:
        raise DataDirError(
            "the database in %s belongs to another platform (%s, not %s as recorded beside it): %s"
            % (directory, stored, kept, RESTORE_HINT))
    if kept and not stored and not await platform.has_content():
        raise DataDirError(
            "the database in %s is empty, but platform %s was kept there: %s (or move the directory "
            "away to start a new platform)" % (directory, kept, RESTORE_HINT))
    if not stored:
        stored = await platform.create_identity(kept)
        log.info("platform %s recorded in the database", stored)
    if directory is not None and kept != stored:
        IdentityFile(directory).write(stored)
        log.info("platform %s recorded in %s", stored, directory)
    return stored


async def adopt_identity(db, directory: Path | None) -> str | None:
    """After a restore: the restored database's platform becomes the directory's.

    The restore was asked for, so the id beside the files follows the
    database. A backup from before ids were kept has none; its data is then
    adopted by `verify_identity` at the next start, as an older version's.
    """
    stored = await Platform(db).identity()
    if stored and directory is not None:
        IdentityFile(directory).write(stored)
        log.info("platform %s restored into %s", stored, directory)
    return stored
