"""A platform's database as files: MongoDB Extended JSON per collection, GridFS included.

Used to keep a data set made by an older version of the code as a test
fixture (tests/fixtures/), without committing SQLite files: `dump` writes it
(tests/fixtures/make_platform_3b094d0.py), `load` puts it into any database.
Only bson/motor here, so the script can run against old code.

``<dir>/collections/<name>.json``: the documents, canonical Extended JSON
(types kept: dates, int64, binary). ``<dir>/gridfs/<bucket>.json``: each
file's id, name, metadata and bytes (base64), read through the GridFS API
because the embedded server keeps buckets in tables plain queries do not show.
"""

from __future__ import annotations

from pathlib import Path

from bson import json_util
from bson.binary import Binary
from motor.motor_asyncio import AsyncIOMotorGridFSBucket

BUCKETS = ("media",)
OPTIONS = json_util.CANONICAL_JSON_OPTIONS


def _is_bucket(name: str) -> bool:
    """A bucket's own collection, as MongoDB ("media.files") or nx-27017 ("media_files") names it."""
    return any(name == "%s%s%s" % (bucket, sep, part)
               for bucket in BUCKETS for sep in "._" for part in ("files", "chunks"))


async def dump(db, directory: Path) -> dict[str, int]:
    """Write every collection and bucket of ``db`` under ``directory``; the counts."""
    counts = {}
    (directory / "collections").mkdir(parents=True, exist_ok=True)
    (directory / "gridfs").mkdir(exist_ok=True)
    for name in sorted(await db.list_collection_names()):
        if _is_bucket(name) or name.startswith("system."):
            continue
        documents = [d async for d in db[name].find({}).sort("_id", 1)]
        (directory / "collections" / ("%s.json" % name)).write_text(
            json_util.dumps(documents, json_options=OPTIONS, indent=1, sort_keys=True) + "\n")
        counts[name] = len(documents)
    for bucket in BUCKETS:
        grid = AsyncIOMotorGridFSBucket(db, bucket_name=bucket)
        files = []
        async for out in grid.find({}).sort("_id", 1):
            data = await (await grid.open_download_stream(out._id)).read()
            files.append({"_id": out._id, "filename": out.filename, "metadata": out.metadata,
                          "data": Binary(data)})
        (directory / "gridfs" / ("%s.json" % bucket)).write_text(
            json_util.dumps(files, json_options=OPTIONS, indent=1, sort_keys=True) + "\n")
        counts[bucket + " files"] = len(files)
    return counts


async def load(db, directory: Path) -> dict[str, int]:
    """Insert what `dump` wrote into ``db`` (meant to be empty); the counts."""
    counts = {}
    for path in sorted((directory / "collections").glob("*.json")):
        documents = json_util.loads(path.read_text(), json_options=OPTIONS)
        if documents:
            await db[path.stem].insert_many(documents)
        counts[path.stem] = len(documents)
    for path in sorted((directory / "gridfs").glob("*.json")):
        grid = AsyncIOMotorGridFSBucket(db, bucket_name=path.stem)
        files = json_util.loads(path.read_text(), json_options=OPTIONS)
        for f in files:
            await grid.upload_from_stream_with_id(f["_id"], f["filename"], bytes(f["data"]), metadata=f["metadata"])
        counts[path.stem + " files"] = len(files)
    return counts
