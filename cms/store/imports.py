"""What imports from other platforms keep: their jobs, what each source item became, old comments.

* `ImportJobs` (``import_jobs``): one document per import, with its status,
  counts and closing report, so an author may leave the Import page and come
  back. Only one import of a site runs at a time: a running job holds the
  slot ``"running"`` of the unique index ``(site_id, slot)``; a finished one
  gives it up (its slot becomes its own id). A job whose process died keeps
  the slot until its heartbeat is `STALE_SECONDS` old; the next start takes
  it over, marking it ``interrupted``.
* `ImportedItems` (``import_items``): source item (``source``, ``kind``,
  ``source_id``) -> what it became here (``target_id``). An item's target id is
  reserved *before* the post is written and the post is created with that id,
  so a re-run after a crash finds the post and finishes it, and a re-run of a
  finished import changes nothing.
* `ImportedComments` (``imported_comments``): approved comments of imported
  posts as raw records, kept for the comments feature to take over.

Times are written with ``insert_one``/``replace``, never ``$set``: nx-27017
stores a datetime written by ``$set`` as a string (tests/http/test_admin_revisions.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import pymongo

from cms.store.errors import StoreError
from cms.store.ids import new_id
from cms.store.scoped import Scoped

log = logging.getLogger(__name__)

RUNNING = "running"
STALE_SECONDS = 120.0  # a running job's process writes its heartbeat at least every few seconds
MAX_REPORT_LINES = 500  # per kind of line; the counts always cover everything


class ImportBusy(StoreError):
    """Another import of this site is running."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class ImportJobs:
    def __init__(self, db, site_id: Any) -> None:
        self._jobs = Scoped(db.import_jobs, site_id, affects_pages=False)

    async def start(self, source: str, filename: str, started_by: Any) -> dict:
        """A new running job; `ImportBusy` while another one of this site runs."""
        for _ in range(2):
            job = {
                "_id": new_id(), "slot": RUNNING, "status": RUNNING, "source": source, "filename": filename[:200],
                "started_by": started_by, "created_at": utcnow(), "heartbeat": time.time(),
                "phase": "reading", "done": 0, "total": 0, "counts": {}, "report": None, "error": None,
            }
            try:
                await self._jobs.insert_one(job)
                return job
            except pymongo.errors.DuplicateKeyError:
                running = await self._jobs.find_one({"slot": RUNNING})
                if running is None:
                    continue  # it finished meanwhile
                if time.time() - float(running.get("heartbeat", 0)) < STALE_SECONDS:
                    raise ImportBusy("an import of this site is already running (%s, started %s UTC)" % (
                        running.get("filename", "?"), running["created_at"].strftime("%Y-%m-%d %H:%M"))) from None
                log.warning("import job %s stopped beating; marked interrupted", running["_id"])
                await self._jobs.update_one({"_id": running["_id"], "slot": RUNNING}, {"$set": {
                    "slot": running["_id"], "status": "interrupted",
                    "error": "the process running this import stopped; run the import again to finish it"}})
        raise ImportBusy("an import of this site is already running")

    async def progress(self, job_id: str, phase: str, done: int, total: int, counts: dict[str, int]) -> None:
        await self._jobs.update_one({"_id": job_id}, {"$set": {
            "phase": phase, "done": done, "total": total, "counts": dict(counts), "heartbeat": time.time()}})

    async def finish(self, job_id: str, status: str, report: dict | None, error: str | None = None) -> None:
        """End the job (``done`` or ``failed``) and give up the site's slot."""
        await self._jobs.update_one({"_id": job_id}, {"$set": {
            "slot": job_id, "status": status, "report": report, "error": error, "phase": "finished",
            "heartbeat": time.time(), "finished_at_ts": time.time()}})

    async def get(self, job_id: Any) -> dict | None:
        if not isinstance(job_id, str):
            return None
        return await self._jobs.find_one({"_id": job_id})

    async def recent(self, limit: int = 10) -> list[dict]:
        cursor = self._jobs.find({}, {"report": 0}).sort([("created_at", -1), ("_id", -1)]).limit(limit)
        return [job async for job in cursor]


class ImportedItems:
    def __init__(self, db, site_id: Any) -> None:
        self._items = Scoped(db.import_items, site_id, affects_pages=False)

    async def get(self, source: str, kind: str, source_id: str) -> dict | None:
        return await self._items.find_one({"source": source, "kind": kind, "source_id": str(source_id)})

    async def imported_as(self, source: str, kind: str, source_id: str) -> str | None:
        """The id of what the source item became here, once it is done; else None."""
        record = await self.get(source, kind, source_id)
        return record["target_id"] if record is not None and record["done"] else None

    async def reserve(self, source: str, kind: str, source_id: str, **fields: Any) -> dict:
        """The record of this source item, made now (with a fresh ``target_id``, and ``new``) if there is none."""
        record = {"_id": new_id(), "source": source, "kind": kind, "source_id": str(source_id),
                  "target_id": new_id(), "done": False, "created_at": utcnow(), **fields}
        try:
            await self._items.insert_one(record)
            return {**record, "new": True}
        except pymongo.errors.DuplicateKeyError:
            found = await self.get(source, kind, source_id)
            if found is None:
                raise
            return found

    async def find_many(self, source: str, kind: str, source_ids: list[str]) -> dict[str, dict]:
        """The records of these source items of one kind, by source id (one query)."""
        if not source_ids:
            return {}
        cursor = self._items.find({"source": source, "kind": kind, "source_id": {"$in": [str(i) for i in source_ids]}})
        return {record["source_id"]: record async for record in cursor}

    async def reserve_many(self, source: str, items: list[tuple[str, str, dict]]) -> list[dict]:
        """`reserve` of each ``(kind, source_id, fields)``, in two queries rather than one per item."""
        found: dict[tuple[str, str], dict] = {}
        for kind in dict.fromkeys(kind for kind, _, _ in items):
            ids = [str(source_id) for k, source_id, _ in items if k == kind]
            for source_id, record in (await self.find_many(source, kind, ids)).items():
                found[(kind, source_id)] = record
        made = [{"_id": new_id(), "source": source, "kind": kind, "source_id": str(source_id), "target_id": new_id(),
                 "done": False, "created_at": utcnow(), **fields}
                for kind, source_id, fields in items if (kind, str(source_id)) not in found]
        if made:
            try:
                await self._items.insert_many(made, ordered=False)
            except pymongo.errors.BulkWriteError as error:
                if any(e.get("code") != 11000 for e in error.details.get("writeErrors", [])):
                    raise
                for e in error.details["writeErrors"]:  # made meanwhile by another run: that one
                    record = made[e["index"]]
                    found[(record["kind"], record["source_id"])] = await self.get(source, record["kind"],
                                                                                  record["source_id"])
            for record in made:
                found.setdefault((record["kind"], record["source_id"]), {**record, "new": True})
        return [found[(kind, str(source_id))] for kind, source_id, _ in items]

    async def mark_done_many(self, record_ids: list[str]) -> None:
        if record_ids:
            await self._items.update_many({"_id": {"$in": record_ids}}, {"$set": {"done": True}})

    async def mark_done(self, record_id: str, **fields: Any) -> None:
        await self._items.update_one({"_id": record_id}, {"$set": {"done": True, **fields}})

    async def forget(self, record_id: str) -> None:
        await self._items.delete_one({"_id": record_id})

    async def count(self, source: str | None = None) -> int:
        return await self._items.count_documents({"source": source} if source else {})

    async def of_kind(self, kind: str) -> list[dict]:
        return [record async for record in self._items.find({"kind": kind})]


class ImportedComments:
    """Raw approved comments of imported posts; matched by their source id, so re-runs add nothing."""

    def __init__(self, db, site_id: Any) -> None:
        self._comments = Scoped(db.imported_comments, site_id, affects_pages=False)

    async def add(self, source: str, post_id: str, comment: dict) -> bool:
        """Keep one comment; False when it was kept before."""
        document = {"_id": new_id(), "source": source, "post_id": post_id, **comment,
                    "source_id": str(comment["source_id"]), "imported_at": utcnow()}
        try:
            await self._comments.insert_one(document)
            return True
        except pymongo.errors.DuplicateKeyError:
            return False

    async def add_many(self, source: str, comments: list[tuple[str, dict]]) -> int:
        """Keep each ``(post_id, comment)`` in one write; how many were not kept before."""
        documents = [{"_id": new_id(), "source": source, "post_id": post_id, **comment,
                      "source_id": str(comment["source_id"]), "imported_at": utcnow()} for post_id, comment in comments]
        if not documents:
            return 0
        try:
            await self._comments.insert_many(documents, ordered=False)
        except pymongo.errors.BulkWriteError as error:
            if any(e.get("code") != 11000 for e in error.details.get("writeErrors", [])):
                raise
            return len(documents) - len(error.details["writeErrors"])
        return len(documents)

    async def of_post(self, post_id: str) -> list[dict]:
        cursor = self._comments.find({"post_id": post_id}).sort("created", 1)
        return [comment async for comment in cursor]
