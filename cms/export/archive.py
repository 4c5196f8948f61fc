"""The site archive: one zip with ``site.json`` and the media originals (docs/export-format.md).

The archive is written as it is read: ``site.json`` is streamed into its
zip entry one document at a time while the posts, revisions and media are
read in batches (`cms.store.site_data`), and each media original is copied
from GridFS in chunks. So a large site is never held in memory, and the
event loop gets a turn between documents and chunks.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import zipfile
from typing import IO, Any, AsyncIterator, Callable

from cms.store import SiteStore
from cms.store.posts import state_of
from cms.store.site_data import SiteData

log = logging.getLogger(__name__)

FORMAT = "cms-site-export"
VERSION = 1
SITE_JSON = "site.json"
MEDIA_DIR = "media/"
CHUNK = 256 * 1024
SITE_FIELDS = ("name", "title", "tagline", "timezone", "language", "theme", "theme_settings", "domains", "created_at",
               "comments", "newsletter")
REVISION_FIELDS = ("version", "title", "slug", "markdown", "tags", "custom_excerpt", "status", "published_at",
                   "saved_at")
MEDIA_FIELDS = ("filename", "alt", "format", "content_type", "width", "height", "animated", "sha256", "bytes",
                "created_at")
REDIRECT_FIELDS = ("from", "to", "code", "source", "created_at")
COMMENT_FIELDS = ("post_id", "source", "source_id", "parent_source_id", "author", "email", "url", "created", "html",
                  "type", "imported_at")
READER_COMMENT_FIELDS = ("id", "post_id", "parent", "name", "email", "website", "text", "status", "created", "edited",
                         "source", "source_id")
SUBSCRIBER_TIMES = ("created", "confirmed", "unsubscribed")
FILE_FIELDS = ("url", "format", "width", "height", "original")


def json_value(value: Any) -> Any:
    """A stored value as JSON can hold it: datetimes as ISO 8601 in UTC."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).isoformat()
    raise TypeError("cannot export %r" % type(value))


def epoch_time(value: float | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(value, dt.timezone.utc) if value else None


def dumps(value: Any) -> str:
    return json.dumps(value, default=json_value, ensure_ascii=False, sort_keys=False)


def original_of(item: dict) -> dict | None:
    """The media item's clean original among its files."""
    return next((f for f in item.get("files", []) if f.get("original")), None)


def original_path(item: dict) -> str | None:
    """Where the archive keeps the item's original: ``media/<item id>/<file name>``."""
    original = original_of(item)
    return MEDIA_DIR + original["name"] if original else None


class JsonWriter:
    """Writes one JSON object key by key, arrays element by element, into a binary stream."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._keys = 0

    def _raw(self, text: str) -> None:
        self._stream.write(text.encode("utf-8"))

    def start(self) -> None:
        self._raw("{\n")

    def _key(self, key: str) -> None:
        self._raw("%s%s: " % (",\n" if self._keys else "", json.dumps(key)))
        self._keys += 1

    def value(self, key: str, value: Any) -> None:
        self._key(key)
        self._raw(dumps(value))

    async def array(self, key: str, items: AsyncIterator[dict]) -> int:
        self._key(key)
        self._raw("[")
        count = 0
        async for item in items:
            self._raw("%s\n  %s" % ("," if count else "", dumps(item)))
            count += 1
        self._raw("\n]" if count else "]")
        return count

    def end(self) -> None:
        self._raw("\n}\n")


class People:
    """User ids of the site as the archive names them: by e-mail."""

    def __init__(self, people: dict[Any, dict]) -> None:
        self._people = people

    def email(self, user_id: Any) -> str | None:
        person = self._people.get(user_id)
        return person.get("email") if person else None


class ArchiveWriter:
    """Writes one site into a zip file (the format of docs/export-format.md)."""

    def __init__(self, store: SiteStore, progress: Callable[[str], None] | None = None) -> None:
        self.store = store
        self.data = SiteData(store.db, store.site_id)
        self.progress = progress or (lambda line: None)
        self.counts: dict[str, int] = {}
        self.emails = People({})  # filled once the people are read
        self.versions: dict[Any, int] = {}  # post id -> version, to leave out revisions past it

    async def write(self, path: str | os.PathLike) -> dict[str, int]:
        """Write the archive to ``path`` (a new file); what it holds: ``{"posts", "revisions", ...}``."""
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            with archive.open(SITE_JSON, "w", force_zip64=True) as stream:
                await self._site_json(JsonWriter(stream))
            self.counts["media_files"] = await self._media_files(archive)
        return self.counts

    async def _site_json(self, out: JsonWriter) -> None:
        site = await self.data.site() or self.store.site
        memberships = await self.data.memberships()
        ids = await self.data.referenced_people() | {m["user_id"] for m in memberships}
        people = await self.data.people(ids)
        roles = {m["user_id"]: m for m in memberships}
        self.emails = People(people)
        out.start()
        out.value("format", FORMAT)
        out.value("version", VERSION)
        out.value("exported_at", dt.datetime.now(dt.timezone.utc))
        out.value("site", {field: site.get(field) for field in SITE_FIELDS if field in site})
        out.value("people", [
            {"email": person["email"], "name": person.get("name", ""), "username": person.get("username", ""),
             "bio": person.get("bio", ""), "role": roles[user_id]["role"] if user_id in roles else None,
             "joined": roles[user_id].get("created_at") if user_id in roles else None}
            for user_id, person in sorted(people.items(), key=lambda pair: pair[1]["email"])
        ])
        out.value("tags", await self.store.posts.all_tags())
        self.counts["media"] = await out.array("media", self._media())
        self.counts["posts"] = await out.array("posts", self._posts())
        self.counts["revisions"] = await out.array("revisions", self._revisions())
        self.counts["redirects"] = await out.array("redirects", self._redirects())
        self.counts["comments"] = await out.array("comments", self._comments())
        self.counts["reader_comments"] = await out.array("reader_comments", self._reader_comments())
        self.counts["subscribers"] = await out.array("subscribers", self._subscribers())
        out.end()
        self.progress("wrote %(posts)d posts and pages, %(revisions)d revisions, %(media)d media items" % self.counts)

    async def _media(self) -> AsyncIterator[dict]:
        async for item in self.data.media_items():
            yield {"id": item["_id"], **{field: item.get(field) for field in MEDIA_FIELDS},
                   "uploaded_by": self.emails.email(item.get("uploaded_by")),
                   "original": original_path(item),
                   "files": [{field: f.get(field) for field in FILE_FIELDS} for f in item.get("files", [])]}

    async def _posts(self) -> AsyncIterator[dict]:
        async for post in self.data.posts():
            self.versions[post["_id"]] = post.get("version", 1)
            featured = post.get("featured_image")
            yield {
                "id": post["_id"], "type": post["type"], "slug": post["slug"], "title": post["title"],
                "markdown": post.get("markdown", ""), "custom_excerpt": post.get("custom_excerpt", ""),
                "excerpt": post.get("excerpt", ""), "tags": post.get("tags", []),
                "status": post.get("status"), "state": state_of(post),
                "published_at": post.get("published_at"), "created_at": post.get("created_at"),
                "updated_at": post.get("updated_at"), "version": post.get("version", 1),
                "author": self.emails.email(post.get("author_id")),
                "updated_by": self.emails.email(post.get("updated_by")),
                "featured_image": {key: featured.get(key) for key in ("media_id", "url", "alt", "caption")}
                if featured else None,
                "html": post.get("html", ""),
            }

    async def _revisions(self) -> AsyncIterator[dict]:
        async for revision in self.data.revisions():
            # A revision past its post's version is a save that never happened (cms/store/revisions.py).
            if revision.get("version", 0) > self.versions.get(revision.get("post_id"), -1):
                continue
            yield {"post_id": revision["post_id"], **{field: revision.get(field) for field in REVISION_FIELDS},
                   "saved_by": self.emails.email(revision.get("saved_by"))}

    async def _redirects(self) -> AsyncIterator[dict]:
        async for redirect in self.data.redirects():
            yield {field: redirect.get(field) for field in REDIRECT_FIELDS}

    async def _comments(self) -> AsyncIterator[dict]:
        async for comment in self.data.imported_comments():
            if comment.get("post_id") in self.versions:
                yield {field: comment.get(field) for field in COMMENT_FIELDS}

    async def _reader_comments(self) -> AsyncIterator[dict]:
        """Every comment of the comments store (all statuses), a member's as their e-mail."""
        async for comment in self.store.comments.all():
            if comment.get("post_id") in self.versions:
                yield {**{field: comment.get(field) for field in READER_COMMENT_FIELDS}, "id": comment["_id"],
                       "user": self.emails.email(comment.get("user_id")) if comment.get("user_id") else None}

    async def _subscribers(self) -> AsyncIterator[dict]:
        """Every e-mail subscriber (all statuses), by address; times as epoch seconds become ISO 8601."""
        async for subscriber in self.store.subscribers.all():
            yield {"email": subscriber["email"], "status": subscriber["status"],
                   **{field: epoch_time(subscriber.get(field)) for field in SUBSCRIBER_TIMES}}

    async def _media_files(self, archive: zipfile.ZipFile) -> int:
        copied = 0
        async for item in self.data.media_items():
            original = original_of(item)
            if original is None:
                continue
            source = await self.store.media.open(original["name"])
            if source is None:
                log.warning("site %s: the original of media %s is missing", self.store.site_id, item["_id"])
                continue
            info = zipfile.ZipInfo(MEDIA_DIR + original["name"], zip_time(item.get("created_at")))
            info.compress_type = zipfile.ZIP_STORED  # images are compressed already
            with archive.open(info, "w", force_zip64=True) as target:
                while chunk := await source.read(CHUNK):
                    target.write(chunk)
            copied += 1
        return copied


def zip_time(when: dt.datetime | None) -> tuple[int, int, int, int, int, int]:
    when = when or dt.datetime.now(dt.timezone.utc)
    return (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)


async def write_archive(store: SiteStore, path: str | os.PathLike,
                        progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write the whole site ``store`` as an archive at ``path``; what it holds."""
    return await ArchiveWriter(store, progress).write(path)
