"""The media library of one site: uploaded images in GridFS, tenant-bound.

Each upload is one *item* in ``media_items`` (scoped by ``site_id`` like every
site collection) and several GridFS files in the ``media`` bucket: the clean
original and its renditions (see cms/images/process.py). A file's GridFS
``_id`` is ``<site_id>/<item_id>/<digest>.<ext>`` and its ``metadata``
carries ``site_id`` and ``item_id``; its reader URL is
``/media/<item_id>/<digest>.<ext>``, where the digest is the SHA-256 of the
bytes served -- a content-addressed URL, so it may be cached forever. A file
is only ever looked up with this site's id in its ``_id`` *and* in the
filter, so one site can never read, list or delete another's files.

Storage used is kept per site in the site document, ``usage.media_bytes``
and ``usage.media_files``, changed atomically with ``$inc``.

Embedded-database notes (pinned in tests/http/test_embedded_database.py):
nx-27017 0.8 serves GridFS buckets through dedicated tables on which
``count_documents``/``aggregate`` fail and ``update_one`` changes nothing,
and it cannot store a datetime in a GridFS file's metadata. So everything
the library lists, searches or edits lives in ``media_items`` (a plain
collection), GridFS only holds bytes plus string metadata, and GridFS files
are only ever counted by iterating `find` (`count_files`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from typing import Any, Iterable

import gridfs.errors
import pymongo
from motor.motor_asyncio import AsyncIOMotorGridFSBucket

from cms.images import Limits, Processed
from cms.images import pool as images_pool
from cms.store.changes import Changes
from cms.store.errors import Invalid, NotFound, OverQuota
from cms.store.ids import new_id
from cms.store.pages import Page
from cms.store.scoped import Scoped

log = logging.getLogger(__name__)

BUCKET = "media"
DISPLAY_WIDTH = 1600  # the src an editor inserts: the largest copy up to this wide
MAX_SRCSET_WIDTH = 2400
FILE_NAME = re.compile(r"^([0-9a-f]{24})/([0-9a-f]{32})\.(jpg|png|gif|webp)$")


async def process_upload(path: str, limits: Limits) -> Processed:
    """`cms.images.process` of the file at ``path`` in an image worker process
    (`cms.images.pool`: time and memory budgets); raises `cms.images.Rejected`."""
    return await images_pool.pool.process(path, limits)


def clean_filename(name: str) -> str:
    """The uploaded file's name as shown in the library (never used as a path)."""
    name = re.sub(r"[\x00-\x1f\x7f/\\]+", " ", name or "").strip()
    return name[-120:] or "image"


def image_of(item: dict, alt: str | None = None, caption: str | None = None) -> dict:
    """What themes and `ResponsiveImage` need to show an item (also stored on posts)."""
    files = item["files"]
    own = sorted((f for f in files if f["format"] == item["format"]), key=lambda f: f["width"])
    display = ([f for f in own if f["width"] <= DISPLAY_WIDTH] or own)[-1]
    return {
        "media_id": item["_id"],
        "url": display["url"],
        "width": display["width"],
        "height": display["height"],
        "alt": item.get("alt", "") if alt is None else alt,
        "caption": caption or "",
        "variants": [{"url": f["url"], "width": f["width"]} for f in own if f["width"] <= MAX_SRCSET_WIDTH],
        "webp": [{"url": f["url"], "width": f["width"]} for f in files
                 if f["format"] == "WEBP" and f["width"] <= MAX_SRCSET_WIDTH] if item["format"] != "WEBP" else [],
    }


def clean_alt(alt: str) -> str:
    """Alt text as stored: one line, at most 300 characters. Never made up from the
    file name ("IMG 4021" describes nothing): empty until someone describes the image."""
    return " ".join((alt or "").split())[:300]


def markdown_of(item: dict) -> str:
    """The Markdown that shows ``item`` in a post (brackets would end its alt text)."""
    alt = re.sub(r"[\[\]]", "", item.get("alt", ""))
    return "![%s](%s)" % (" ".join(alt.split()), image_of(item)["url"])


def thumbnail_of(item: dict) -> str:
    """The URL of the item's smallest copy in its own format (library tiles, the picker)."""
    return (image_of(item)["variants"] or [image_of(item)])[0]["url"]


class Media:
    """One site's media library."""

    def __init__(self, db, site_id: Any) -> None:
        self.site_id = site_id
        self._db = db
        # An upload or a new alt text changes no reader page (a post shows an
        # image once it is saved with it); a deletion does: `delete` says so.
        self._items = Scoped(db.media_items, site_id, affects_pages=False)
        self._posts = Scoped(db.posts, site_id)
        self._files = db[BUCKET + ".files"]

    @functools.cached_property
    def _bucket(self) -> AsyncIOMotorGridFSBucket:
        # Made on first use: most requests that touch media never read a file.
        return AsyncIOMotorGridFSBucket(self._db, bucket_name=BUCKET)

    def _file_id(self, name: str) -> str:
        return "%s/%s" % (self.site_id, name)

    # --- adding ------------------------------------------------------------------

    async def add(self, processed: Processed, filename: str, uploaded_by: Any,
                  quota_bytes: int | None = None, alt: str = "") -> tuple[dict, bool]:
        """Store a processed upload; ``(item, created)``. The same upload twice is one item
        (given alt text then describes an item that had none).

        With ``quota_bytes``, the site's storage (every rendition counts) may not
        go past it: the room is claimed first, atomically, so two uploads at
        once cannot both squeeze in; `OverQuota` stores nothing.
        """
        alt = clean_alt(alt)
        existing = await self._items.find_one({"sha256": processed.sha256})
        if existing:
            if alt and not existing.get("alt"):
                await self._items.update_one({"_id": existing["_id"]}, {"$set": {"alt": alt}})
                existing["alt"] = alt
            return existing, False
        item_id = new_id()
        filename = clean_filename(filename)
        files = []
        for f in processed.files:
            name = "%s/%s" % (item_id, f.name)
            files.append({
                "name": name, "url": "/media/" + name, "format": f.format, "content_type": f.content_type,
                "width": f.width, "height": f.height, "length": f.length, "original": f.original,
            })
        item = {
            "_id": item_id, "filename": filename, "alt": alt,
            "format": processed.format, "content_type": processed.content_type,
            "width": processed.width, "height": processed.height, "animated": processed.animated,
            "sha256": processed.sha256, "files": files, "urls": [f["url"] for f in files],
            "bytes": sum(f["length"] for f in files), "uploaded_by": uploaded_by, "created_at": dt.datetime.now(dt.timezone.utc),
        }
        await self._claim(item["bytes"], len(files), quota_bytes)
        try:
            await self._items.insert_one(item)  # claims the content: (site_id, sha256) is unique
        except pymongo.errors.DuplicateKeyError:
            await self._count(-item["bytes"], -len(files))
            return await self._items.find_one({"sha256": processed.sha256}), False
        except BaseException:
            await self._count(-item["bytes"], -len(files))
            raise
        stored: list[str] = []
        try:
            for entry, f in zip(files, processed.files):
                file_id = self._file_id(entry["name"])
                with f.open() as source:  # from its file when the image worker spilled it
                    await self._bucket.upload_from_stream_with_id(
                        file_id, entry["name"], source,
                        metadata={"site_id": self.site_id, "item_id": item_id, "content_type": f.content_type},
                    )
                stored.append(file_id)
        except BaseException:
            log.exception("storing media item %s failed; removing what was stored", item_id)
            for file_id in stored:
                await self._delete_file(file_id)
            await self._items.delete_one({"_id": item_id})
            await self._count(-item["bytes"], -len(files))
            raise
        log.info("site %s: stored media %s (%s, %d files, %d bytes)", self.site_id, item_id, filename, len(files), item["bytes"])
        return item, True

    async def _claim(self, size: int, files: int, quota_bytes: int | None) -> None:
        """Count ``size`` bytes in the site's usage, if they fit in ``quota_bytes``.

        One conditional ``$inc``: it matches only while the usage leaves room,
        so the check and the count cannot be split by another upload. The usage
        field is made first (a condition on a missing field matches nothing).
        """
        if quota_bytes is None:
            return await self._count(size, files)
        await self._db.sites.update_one(
            {"_id": self.site_id, "usage.media_bytes": {"$exists": False}},
            {"$set": {"usage.media_bytes": 0, "usage.media_files": 0}})
        result = await self._db.sites.update_one(
            {"_id": self.site_id, "usage.media_bytes": {"$lte": quota_bytes - size}},
            {"$inc": {"usage.media_bytes": size, "usage.media_files": files}})
        if not result.matched_count:
            used = (await self.stored())["media_bytes"]
            log.info("site %s: refused %d bytes of media over its quota (%d of %d used)",
                     self.site_id, size, used, quota_bytes)
            raise OverQuota(used, quota_bytes, size)

    async def _count(self, size: int, files: int) -> None:
        await self._db.sites.update_one(
            {"_id": self.site_id}, {"$inc": {"usage.media_bytes": size, "usage.media_files": files}}
        )

    # --- reading -------------------------------------------------------------------

    async def get(self, item_id: Any) -> dict | None:
        if not isinstance(item_id, str):
            return None
        return await self._items.find_one({"_id": item_id})

    async def list(self, query: str = "", number: int = 1, per_page: int = 40) -> Page:
        """Newest first; ``query`` matches the file name or the alt text."""
        filter: dict[str, Any] = {}
        if query.strip():
            pattern = {"$regex": re.escape(query.strip()[:100]), "$options": "i"}
            filter["$or"] = [{"filename": pattern}, {"alt": pattern}]
        total = await self._items.count_documents(filter)
        cursor = self._items.find(filter).sort([("created_at", -1), ("_id", -1)]).skip((number - 1) * per_page).limit(per_page)
        return Page([item async for item in cursor], number, per_page, total)

    async def count(self) -> int:
        """How many images the library holds: uploads, not the renditions made of them."""
        return await self._items.count_documents({})

    async def check_image_url(self, url: str, label: str) -> None:
        """`Invalid` unless ``url`` (a logo, a featured image...) is empty, a file of this
        site's library, or an ``https://`` address elsewhere (taken as the author's word).
        A site path that names no file here would show a broken image to every reader."""
        if not url:
            return
        if url.startswith("/") and not url.startswith("//"):
            if not (await self.by_urls([url])).get(url):
                raise Invalid("%s: %s is not in this site's media library; upload it or choose one from the "
                              "library" % (label, url[:200]))
            return
        if not url.startswith("https://") or len(url) < 9:
            raise Invalid("%s: %s is not a /media/ file of this site or an https:// address" % (label, url[:200]))

    async def by_urls(self, urls: Iterable[str]) -> dict[str, dict]:
        """URL -> item, for the URLs that are files of this site's library."""
        urls = [u for u in urls if isinstance(u, str) and u.startswith("/media/")]
        if not urls:
            return {}
        # $in: the one way to match an element of the indexed ``urls`` array on
        # nx-27017 too (tests/http/test_embedded_database.py).
        found: dict[str, dict] = {}
        async for item in self._items.find({"urls": {"$in": urls}}):
            for url in item["urls"]:
                if url in urls:
                    found[url] = item
        return found

    async def open(self, name: str):
        """The GridFS file ``<item_id>/<digest>.<ext>`` of this site (a motor GridOut), or None."""
        if not FILE_NAME.match(name):
            return None
        try:
            grid_out = await self._bucket.open_download_stream(self._file_id(name))
        except gridfs.errors.NoFile:
            return None
        if (grid_out.metadata or {}).get("site_id") != self.site_id:  # belt and braces: the id has it too
            return None
        return grid_out

    async def usage(self, item_id: Any) -> list[dict]:
        """The posts and pages that show this item (in their text or as featured image)."""
        cursor = self._posts.find(
            {"media_ids": {"$in": [item_id]}}, {"title": 1, "type": 1, "slug": 1, "status": 1, "published_at": 1}
        ).sort("updated_at", -1)
        return [post async for post in cursor]

    async def only_in_trash(self, item_ids: list[Any]) -> set[Any]:
        """Which of these items only posts in the Trash use (cms/store/trash.py): the Media
        page flags them; they are never deleted with the posts."""
        users: dict[Any, set[bool]] = {}
        cursor = self._posts.find({"media_ids": {"$in": list(item_ids)}}, {"media_ids": 1, "status": 1})
        async for post in cursor:
            for item_id in post.get("media_ids", []):
                users.setdefault(item_id, set()).add(post.get("status") == "trashed")
        return {item_id for item_id, trashed in users.items() if trashed == {True} and item_id in item_ids}

    async def stored(self) -> dict[str, int]:
        """Storage this site uses: ``{"media_bytes", "media_files"}``."""
        site = await self._db.sites.find_one({"_id": self.site_id}, {"usage": 1})
        usage = (site or {}).get("usage") or {}
        return {"media_bytes": int(usage.get("media_bytes", 0)), "media_files": int(usage.get("media_files", 0))}

    # --- changing --------------------------------------------------------------------

    async def set_alt(self, item_id: str, alt: str) -> None:
        result = await self._items.update_one({"_id": item_id}, {"$set": {"alt": clean_alt(alt)}})
        if not result.matched_count:
            raise NotFound("no such media item")

    async def delete(self, item_id: str) -> bool:
        """Remove the item and every file of it; False when there was none."""
        item = await self.get(item_id)
        if item is None:
            return False
        for entry in item["files"]:
            await self._delete_file(self._file_id(entry["name"]))
        result = await self._items.delete_one({"_id": item_id})
        if result.deleted_count:
            await self._count(-item["bytes"], -len(item["files"]))
            await Changes(self._db).bump(self.site_id)
        log.info("site %s: deleted media %s", self.site_id, item_id)
        return bool(result.deleted_count)

    async def delete_all(self) -> int:
        """Remove every file and item of this site (the site is being deleted); how many files."""
        files = self._db[BUCKET + ".files"].find({"metadata.site_id": self.site_id}, {"_id": 1})
        ids = [f["_id"] async for f in files]
        for file_id in ids:
            await self._delete_file(file_id)
        await self._items.delete_many({})
        log.info("site %s: deleted all media (%d files)", self.site_id, len(ids))
        return len(ids)

    async def _delete_file(self, file_id: str) -> None:
        if not file_id.startswith("%s/" % self.site_id):
            raise ValueError("not a file of this site: %s" % file_id)
        try:
            await self._bucket.delete(file_id)
        except (gridfs.errors.NoFile, pymongo.errors.OperationFailure) as error:
            # nx-27017 reports a missing file as OperationFailure; MongoDB as NoFile.
            log.info("media file %s was already gone: %s", file_id, error)


async def count_files(db) -> tuple[int, int]:
    """(files, chunks) in the media bucket, all sites. Iterates: nx-27017 cannot count GridFS tables."""
    files = len([d async for d in db[BUCKET + ".files"].find({}, {"_id": 1})])
    chunks = len([d async for d in db[BUCKET + ".chunks"].find({}, {"_id": 1})])
    return files, chunks
