"""Opening the database for a command: the configured server or the embedded one.

`open_database` yields a ready database (indexes ensured), and with the
settings of the platform first checks that it is the platform's own and
upgrades it (`open_platform`). With no MongoDB URI
it uses the embedded server of ``CMS_DATA_DIR``: the one ``serve`` is running
if there is one (never a second server on the same files), else one started
for the duration of the block.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import AsyncIterator, Iterator

from cms import db as database
from cms.config import Settings
from cms.datadir import prepare
from cms.identity import verify_identity
from cms.migrations import migrate


def embedded_files(settings: Settings) -> Path | None:
    """Where the embedded database keeps its files; None with a MongoDB URI."""
    return None if settings.mongodb_uri else (settings.data_dir / "db").resolve()


@contextlib.contextmanager
def database_uri(settings: Settings, role: str = "command") -> Iterator[str]:
    """Yield a MongoDB URI, starting the embedded server when none is configured.

    ``role="serve"`` owns the data directory for the block, and refuses if
    another process does (see `cms.db.EmbeddedServer.start`).
    """
    with database_server(settings, role) as (uri, _):
        yield uri


@contextlib.contextmanager
def database_server(
    settings: Settings, role: str = "command"
) -> Iterator[tuple[str, database.EmbeddedServer | None]]:
    """Yield ``(uri, server)``: the `EmbeddedServer` started for the block, or None with a MongoDB URI."""
    if settings.mongodb_uri:
        yield settings.mongodb_uri, None
        return
    prepare(settings.data_dir)
    server = database.EmbeddedServer(settings.data_dir / "db")
    try:
        yield server.start(role=role), server
    finally:
        server.stop()


@contextlib.asynccontextmanager
async def open_database(uri: str, name: str, platform: Settings | None = None) -> AsyncIterator[database.Database]:
    """The database ``name``, indexes ensured; with ``platform``, `open_platform` first."""
    client = database.connect(uri)
    try:
        db = client[name]
        if platform is not None:
            await open_platform(db, platform)  # before anything writes, even an index
        await database.ensure_indexes(db)
        yield db
    finally:
        client.close()


async def open_platform(db: database.Database, settings: Settings) -> None:
    """Make sure ``db`` is this platform's database, at this code's schema version.

    Refuses (`cms.datadir.DataDirError`, one line with what to do) an embedded
    database that is not the platform its data directory held (emptied or
    swapped files) and a database newer than the code; runs the migrations
    that are due. Every process that serves or changes the platform calls it
    first; ``restore`` does not (it fills an emptied database).
    """
    await verify_identity(db, embedded_files(settings))
    await migrate(db)
