"""Backups of the whole platform, and their restore (``python -m cms backup|restore DIR``).

A backup directory holds:

``manifest.json``
    format name and version, when, from which database, and for every file
    below its document count and SHA-256; written last, so a backup without
    one is incomplete and is never restored.
``collections/<name>.bson``
    every document of a collection, as concatenated BSON (mongodump's format).
``media/files.bson`` and ``media/<n>.bin``
    the GridFS files of the ``media`` bucket (id, name, metadata, SHA-256) and
    their bytes. They are copied through the GridFS API, because the embedded
    server keeps GridFS in tables that plain queries do not show.

Every collection is kept except sign-in sessions and sign-in failures (short
lived: people sign in again after a restore).

A backup is one point in time while the platform serves and writes:

* on the embedded server, the SQLite file of the database is copied with
  SQLite's online backup API (one read transaction: a consistent snapshot,
  taken while ``serve`` keeps writing), and the copy is read through a second,
  private embedded server. That reads nx-27017's file layout
  (``<data dir>/db/<database>.db``); it is the one place that does;
* on a MongoDB replica set, every read is in one snapshot session;
* on a standalone MongoDB there are no snapshots: the backup says so on
  stderr (use ``mongodump`` there, see the README).

`restore` checks everything before it writes anything: the manifest's format
and version, every file's checksum and count. It refuses a database that
holds any document unless forced, in which case that database is emptied
first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import re
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterator

import bson
from bson.codec_options import CodecOptions
from motor.motor_asyncio import AsyncIOMotorGridFSBucket

from cms import db as database
from cms.config import Settings
from cms.store.saving import supports_transactions
from cms.store.scoped import RESET, now_ms

log = logging.getLogger(__name__)

FORMAT = "cms-backup"
VERSION = 1
MANIFEST = "manifest.json"
BUCKETS = ("media",)
# Short-lived sign-in state: not worth keeping, and people sign in again anyway. Kept
# listings (cms.store.listing) are a cache of the posts, read again from them.
SKIPPED = frozenset({"sessions", "sign_in_failures", "listings"})
# How GridFS buckets show up in the collection list: MongoDB's names and nx-27017's tables.
_BUCKET_COLLECTIONS = frozenset(
    "%s%s%s" % (bucket, sep, part) for bucket in BUCKETS for sep in "._" for part in ("files", "chunks"))
_CODEC = CodecOptions(tz_aware=True, tzinfo=dt.timezone.utc)
BATCH = 500
_DATED = re.compile(r"\d{8}T\d{6}Z")  # the folders `backup --keep` makes

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore refused; the message is one line fit for the user, nothing was changed."""


def _collections_to_keep(names: list[str]) -> list[str]:
    return sorted(name for name in names
                  if name not in SKIPPED and name not in _BUCKET_COLLECTIONS and not name.startswith("system."))


# --- the source: a point in time of the platform's database ---------------------------------


def _snapshot_file(source: Path, target: Path) -> None:
    """Copy a live SQLite database file with SQLite's online backup API (a consistent snapshot)."""
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


@contextlib.contextmanager
def snapshot_uri(settings: Settings) -> Iterator[tuple[str, str]]:
    """Yield ``(uri, how)``: where to read one point in time of the platform's database."""
    if settings.mongodb_uri:
        yield settings.mongodb_uri, "mongodb"
        return
    live = settings.data_dir.resolve() / "db" / ("%s.db" % settings.database_name)
    if not live.is_file():
        raise BackupError("there is no database in %s to back up" % settings.data_dir)
    with tempfile.TemporaryDirectory(prefix="cms-snapshot-") as scratch:
        _snapshot_file(live, Path(scratch) / live.name)
        server = database.EmbeddedServer(Path(scratch))
        try:
            yield server.start(), "embedded snapshot"
        finally:
            server.stop()


@contextlib.asynccontextmanager
async def _reading_session(db) -> AsyncIterator[Any]:
    """A snapshot session on a replica set (every read at one point in time); None elsewhere."""
    if not await supports_transactions(db):
        yield None
        return
    async with await db.client.start_session(snapshot=True) as session:
        yield session


# --- writing a backup -------------------------------------------------------------------------


class _HashedWriter:
    """A file that knows the SHA-256 of what was written to it."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "wb")
        self.sha256 = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self.sha256.update(data)

    def close(self) -> None:
        self._file.close()


def check_target(directory: Path) -> None:
    """`BackupError` unless ``directory`` is missing or an empty directory (a backup never overwrites)."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError("%s is not an empty directory: back up into a new one" % directory)


async def dump(db, directory: Path, progress: Progress, how: str = "") -> dict:
    """Write a backup of ``db`` into ``directory`` (created; it must be empty). Returns the manifest."""
    directory = Path(directory)
    check_target(directory)
    try:
        (directory / "collections").mkdir(parents=True, exist_ok=True)
        (directory / "media").mkdir(exist_ok=True)
    except OSError as error:
        raise BackupError("cannot write the backup to %s: %s" % (directory, error.strerror)) from None
    manifest: dict[str, Any] = {
        "format": FORMAT, "version": VERSION, "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "database": db.name, "source": how, "collections": {}, "media": {},
    }
    async with _reading_session(db) as session:
        if session is None and how == "mongodb":
            progress("warning: this MongoDB has no snapshots (not a replica set): writes during the backup "
                     "may be caught half-way; use mongodump --oplog on a replica set")
        # listCollections is not a snapshot read; the collections themselves are read in the snapshot.
        for name in _collections_to_keep(await db.list_collection_names()):
            path = directory / "collections" / ("%s.bson" % name)
            out, count = _HashedWriter(path), 0
            try:
                async for document in db[name].find({}, session=session).sort("_id", 1):
                    out.write(bson.encode(document))
                    count += 1
            finally:
                out.close()
            manifest["collections"][name] = {"file": "collections/%s.bson" % name, "count": count,
                                             "sha256": out.sha256.hexdigest()}
            progress("%s: %d documents" % (name, count))
        for bucket in BUCKETS:
            manifest["media"][bucket] = await _dump_bucket(db, bucket, directory / "media", session, progress)
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


async def _dump_bucket(db, bucket: str, folder: Path, session: Any, progress: Progress) -> dict:
    grid = AsyncIOMotorGridFSBucket(db, bucket_name=bucket)
    index = _HashedWriter(folder / ("%s.bson" % bucket))
    count = total = 0
    try:
        async for grid_out in grid.find({}, session=session).sort("_id", 1):
            stream = await grid.open_download_stream(grid_out._id, session=session)
            data = await stream.read()
            blob = "%s-%d.bin" % (bucket, count)
            (folder / blob).write_bytes(data)
            index.write(bson.encode({
                "_id": grid_out._id, "filename": grid_out.filename, "metadata": grid_out.metadata,
                "length": len(data), "sha256": hashlib.sha256(data).hexdigest(), "blob": blob,
            }))
            count += 1
            total += len(data)
    finally:
        index.close()
    progress("%s files: %d (%d bytes)" % (bucket, count, total))
    return {"file": "media/%s.bson" % bucket, "count": count, "bytes": total, "sha256": index.sha256.hexdigest()}


def backup_path(parent: Path, now: dt.datetime | None = None) -> Path:
    """Where ``backup --keep`` puts a new backup: a folder named by the UTC time."""
    return Path(parent) / (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")


def prune(parent: Path, keep: int) -> list[Path]:
    """Remove all but the ``keep`` newest complete backups in ``parent``; returns what went.

    Only folders named as `backup_path` names them are touched. One without a
    manifest that is older than the newest complete backup is an attempt that
    died half-way: it goes too, so failed runs do not fill the volume.
    """
    dated = sorted(p for p in Path(parent).iterdir() if p.is_dir() and _DATED.fullmatch(p.name))
    complete = [p for p in dated if (p / MANIFEST).is_file()]
    gone = complete[:-keep] if keep > 0 else complete
    if complete:
        gone += [p for p in dated if p not in complete and p.name < complete[-1].name]
    for path in sorted(gone):
        shutil.rmtree(path)
    return sorted(gone)


# --- reading one back -------------------------------------------------------------------------


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _documents(path: Path) -> Iterator[dict]:
    with open(path, "rb") as f:
        yield from bson.decode_file_iter(f, codec_options=_CODEC)


def _checked_file(directory: Path, entry: Any, what: str) -> Path:
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
        raise BackupError("the manifest's entry for %s is not valid" % what)
    path = (directory / entry["file"]).resolve()
    if directory.resolve() not in path.parents:
        raise BackupError("the manifest names a file outside the backup: %s" % entry["file"])
    if not path.is_file():
        raise BackupError("the backup is incomplete: %s is missing" % entry["file"])
    if _sha256_of(path) != entry.get("sha256"):
        raise BackupError("%s is damaged: its checksum does not match the manifest" % entry["file"])
    try:
        count = sum(1 for _ in _documents(path))
    except (bson.errors.BSONError, ValueError) as error:
        raise BackupError("%s is damaged: %s" % (entry["file"], error)) from None
    if count != entry.get("count"):
        raise BackupError("%s holds %d documents, the manifest says %s" % (entry["file"], count, entry.get("count")))
    return path


def verify(directory: Path) -> dict:
    """The manifest of a complete, undamaged backup in ``directory``; `BackupError` otherwise."""
    directory = Path(directory)
    if not directory.is_dir():
        raise BackupError("no backup at %s: not a directory" % directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError("no backup at %s: it has no %s (an unfinished backup?)" % (directory, MANIFEST)) from None
    except (OSError, ValueError) as error:
        raise BackupError("the manifest of %s cannot be read: %s" % (directory, error)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("%s is not a backup of this platform" % directory)
    if manifest.get("version") != VERSION:
        raise BackupError("the backup has format version %r; this version of the platform reads version %d"
                          % (manifest.get("version"), VERSION))
    collections, media = manifest.get("collections"), manifest.get("media")
    if not isinstance(collections, dict) or not isinstance(media, dict):
        raise BackupError("the manifest of %s is not valid" % directory)
    for name, entry in collections.items():
        _checked_file(directory, entry, name)
    for bucket, entry in media.items():
        if bucket not in BUCKETS:
            raise BackupError("the backup holds an unknown media bucket %r" % bucket)
        index = _checked_file(directory, entry, bucket)
        for file in _documents(index):
            blob = (directory / "media" / str(file.get("blob", ""))).resolve()
            if blob.parent != (directory / "media").resolve() or not blob.is_file():
                raise BackupError("the backup is incomplete: media file %s is missing" % file.get("blob"))
            if _sha256_of(blob) != file.get("sha256"):
                raise BackupError("media file %s is damaged: its checksum does not match" % file.get("blob"))
    return manifest


async def holds_data(db) -> bool:
    """True when any collection or media bucket of ``db`` holds a document."""
    for name in await db.list_collection_names():
        if name in _BUCKET_COLLECTIONS:
            continue
        if await db[name].find_one({}, {"_id": 1}) is not None:
            return True
    for bucket in BUCKETS:
        async for _ in AsyncIOMotorGridFSBucket(db, bucket_name=bucket).find({}).limit(1):
            return True
    return False


async def _empty(db) -> None:
    for bucket in BUCKETS:
        grid = AsyncIOMotorGridFSBucket(db, bucket_name=bucket)
        async for grid_out in grid.find({}):
            await grid.delete(grid_out._id)
    for name in await db.list_collection_names():
        if name not in _BUCKET_COLLECTIONS and not name.startswith("system."):
            await db[name].delete_many({})


async def load(db, directory: Path, progress: Progress, force: bool = False) -> dict:
    """Restore the backup in ``directory`` into ``db``; everything is checked before anything is written."""
    directory = Path(directory)
    manifest = verify(directory)
    floor = 0
    if await holds_data(db):
        if not force:
            raise BackupError("the database %s is not empty: restore into an empty one, or pass --force to "
                              "replace what it holds" % db.name)
        progress("--force: emptying the database %s" % db.name)
        floor = await _highest_counter(db)
        await _empty(db)
    progress("backup of %s verified: %d collections, %d media files" % (
        manifest.get("created_at"), len(manifest["collections"]),
        sum(entry.get("count", 0) for entry in manifest["media"].values())))
    for name, entry in sorted(manifest["collections"].items()):
        batch: list[dict] = []
        for document in _documents(directory / entry["file"]):
            batch.append(document)
            if len(batch) >= BATCH:
                await db[name].insert_many(batch, ordered=True)
                batch = []
        if batch:
            await db[name].insert_many(batch, ordered=True)
        progress("%s: %d documents" % (name, entry["count"]))
    for bucket, entry in manifest["media"].items():
        grid = AsyncIOMotorGridFSBucket(db, bucket_name=bucket)
        for file in _documents(directory / entry["file"]):
            data = (directory / "media" / file["blob"]).read_bytes()
            await grid.upload_from_stream_with_id(file["_id"], file["filename"], data, metadata=file.get("metadata"))
        progress("%s files: %d" % (bucket, entry["count"]))
    if force:
        # Processes serving this database keep pages stamped with its change counters:
        # every restored counter moves past all of them, so none is ever served again.
        # (Both: posts' own pages follow s, which never exceeds n; cms.store.changes.)
        # Restored posts carry their old write stamps: listings are read whole again.
        await db.changes.update_many({}, {"$inc": {"n": floor + 1, "s": floor + 1}, "$set": {RESET: now_ms()}})
    await database.ensure_indexes(db)
    return manifest


async def _highest_counter(db) -> int:
    highest = await db.changes.find_one({}, {"n": 1}, sort=[("n", -1)])
    return int(highest["n"]) if highest else 0
