"""What every importer shares: the items it reads, the run that stores them, the report, media files.

A source module (`cms.importers.wordpress`, `cms.importers.ghost`) only reads
its format: `Source.prepare` checks the file and learns the people in it,
`Source.entries` yields one `Entry` (a post or page, already converted to
Markdown) or `Skipped` at a time. Both are plain, blocking code, and run in a
process of their own (`cms.importers.reading`), so parsing and HTML conversion
never hold the event loop, while every write goes through the site's stores: posts are
created by `Posts.create` (Markdown rendered in the render pool, exactly as an
author's save), images by the upload pipeline (`cms.store.media.process_upload`
then `Media.add`: the same checks and copies as an upload).

Re-running an import changes nothing: every source item is matched by its
source id (`cms.store.imports.ImportedItems`), and a post's id is reserved
before it is written, so a run that stopped half-way is finished by the next.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import os
import re
import tempfile
import time
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterator
from urllib.parse import unquote, urlsplit

from cms.images import Limits, Rejected
from cms.importers.convert import replace_urls
from cms.render_pool import RenderRefused
from cms.store import Invalid, SiteStore, StoreError, Users
from cms.store.imports import MAX_REPORT_LINES, ImportedComments, ImportedItems
from cms.store.media import process_upload
from cms.store.redirects import normalise_from
from cms.text.slugs import is_slug, slugify

log = logging.getLogger(__name__)

BATCH = 20  # entries read per turn of the reading thread
REDIRECTS_BATCH = 200  # old addresses written at once
MAX_MARKDOWN = 500_000  # the editor's longest body (cms.handlers.admin.MAX_BODY): longer could not be saved again
PROGRESS_EVERY = 1.0  # seconds between progress reports of a long run
_SIZE_SUFFIX = re.compile(r"-(?:\d+x\d+|scaled|rotated|e\d{10,})(?=\.[A-Za-z0-9]+$)")
_MEDIA_ROOTS = ("wp-content/uploads/", "content/images/")


class ImportFailed(StoreError):
    """The file cannot be imported at all (not the format, unsafe, truncated...); nothing was written."""


@dataclasses.dataclass
class Author:
    key: str  # the source's own id or login, as entries name it
    email: str
    name: str


@dataclasses.dataclass
class Image:
    url: str
    alt: str = ""
    caption: str = ""


@dataclasses.dataclass
class Entry:
    """A post or page, read and converted, ready to be stored."""

    source_id: str
    kind: str  # "post" or "page"
    title: str
    slug: str
    markdown: str
    status: str  # "published" (a future time: scheduled) or "draft"
    published_at: dt.datetime | None
    author: str | None  # an `Author.key`
    tags: list[str] = dataclasses.field(default_factory=list)
    custom_excerpt: str = ""
    images: list[str] = dataclasses.field(default_factory=list)
    featured: Image | None = None
    old_paths: list[str] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    sticky: bool = False
    parent: str | None = None  # the source id of a page's parent page
    comments: list[dict] = dataclasses.field(default_factory=list)  # approved ones
    comments_pending: int = 0
    comments_spam: int = 0


@dataclasses.dataclass
class Skipped:
    source_id: str
    title: str
    reason: str
    kind: str = "item"


class Source:
    """One export file of one platform (subclasses: `WordPress`, `Ghost`)."""

    name = ""
    authors: list[Author]
    total: int = 0  # entries to come, once prepared (for progress)

    def prepare(self) -> None:
        """Check the file and read what entries refer to; `ImportFailed` if it cannot be imported."""
        raise NotImplementedError

    def entries(self) -> Iterator[Entry | Skipped]:
        raise NotImplementedError


def clean_tag(name: str) -> str:
    """A source's tag or category name as a tag here: the editor separates tags with commas."""
    return " ".join(name.replace(",", " ").split())[:50]


def addressable_tags(names: list[str], warnings: list[str]) -> list[str]:
    """The tags the post store takes, each with an address of its own.

    The store refuses a tag without a letter, digit or emoji ("???") and two tags that
    would share one address ("C", "C++"), so that an author is never silently
    overruled; an import cannot ask, so it drops or merges such a tag and says so.
    """
    kept: dict[str, str] = {}  # slug -> the first name with it
    for name in names:
        slug = slugify(name, 50)
        if not slug:
            warnings.append("the tag %r has no letter, digit or emoji to make its address from: dropped" % name)
        elif slug not in kept:
            kept[slug] = name
        elif kept[slug].casefold() != name.casefold():
            warnings.append("the tag %r shares the address /tags/%s with %r: merged into it" % (name, slug, kept[slug]))
    return list(kept.values())


# --- the report ---------------------------------------------------------------------


@dataclasses.dataclass
class Report:
    """What a run did, item by item: ``imported``, ``skipped``, ``warnings``, ``failed``."""

    counts: dict[str, int] = dataclasses.field(default_factory=lambda: {
        "imported": 0, "skipped": 0, "warnings": 0, "failed": 0, "media": 0, "comments": 0,
        "comments_pending": 0, "comments_spam": 0, "invited": 0, "sticky": 0})
    lines: dict[str, list[str]] = dataclasses.field(default_factory=lambda: {
        "skipped": [], "warnings": [], "failed": [], "notes": []})
    # (e-mail, token) of each invitation made: the command line prints the links once;
    # they are never stored (the database keeps only their hashes).
    invitations: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def add(self, kind: str, line: str) -> None:
        if kind in ("skipped", "failed"):
            self.counts[kind] += 1
        if len(self.lines[kind]) < MAX_REPORT_LINES:
            self.lines[kind].append(line)

    def note(self, line: str) -> None:
        if line not in self.lines["notes"]:
            self.lines["notes"].append(line)

    def as_dict(self) -> dict:
        return {"counts": dict(self.counts), "lines": {k: list(v) for k, v in self.lines.items()}}

    def text(self) -> str:
        """The closing report, as the command line prints it."""
        c = self.counts
        out = ["imported %d, skipped %d, converted with warnings %d, failed %d" % (
            c["imported"], c["skipped"], c["warnings"], c["failed"]),
            "media files %d; comments kept %d (pending %d and spam %d not imported); people invited %d" % (
            c["media"], c["comments"], c["comments_pending"], c["comments_spam"], c["invited"])]
        for kind, title in (("failed", "failed"), ("skipped", "skipped"), ("warnings", "converted with warnings"),
                            ("notes", "notes")):
            if self.lines[kind]:
                out.append("%s:" % title)
                out.extend("  " + line for line in self.lines[kind])
        return "\n".join(out)


def describe(entry: Entry | Skipped) -> str:
    return "%s %s %r" % (getattr(entry, "kind", "item"), entry.source_id, entry.title[:80])


# --- media files given beside the export ---------------------------------------------


def media_key(url: str) -> str | None:
    """The path of an uploaded file inside its platform's upload folder, from its URL (else None)."""
    path = unquote(urlsplit(url.strip()).path)
    for root in _MEDIA_ROOTS:
        at = path.find("/" + root)
        if at >= 0:
            return path[at + len(root) + 1:].lstrip("/")
    return None


class MediaFiles:
    """The uploads folder or zip given with ``--media``: files found by their path under it.

    A file is keyed by its path under ``wp-content/uploads/`` (WordPress) or
    ``content/images/`` (Ghost) when the folder holds those, else by its path in
    the folder, so the folder itself, its parent or the whole site all work.
    Zip members are read to a temporary file one at a time; no name of the zip
    ever becomes a path on disk.
    """

    def __init__(self, path: str | os.PathLike, max_bytes: int) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._zip: zipfile.ZipFile | None = None
        self._index: dict[str, Any] = {}
        if self.path.is_dir():
            for root, _, files in os.walk(self.path):
                for name in files:
                    full = Path(root) / name
                    self._add(full.relative_to(self.path).as_posix(), full)
        elif self.path.is_file():
            try:
                self._zip = zipfile.ZipFile(self.path)
            except (zipfile.BadZipFile, OSError) as error:
                raise ImportFailed("--media %s is neither a folder nor a zip file (%s)" % (self.path, error)) from None
            for info in self._zip.infolist():
                if not info.is_dir():
                    self._add(info.filename, info)
        else:
            raise ImportFailed("--media %s: no such folder or zip file" % self.path)

    def _add(self, relative: str, handle: Any) -> None:
        relative = PurePosixPath(relative).as_posix()
        self._index.setdefault(relative, handle)
        for root in _MEDIA_ROOTS + ("uploads/", "images/"):
            at = relative.find(root)
            if at == 0 or (at > 0 and relative[at - 1] == "/"):
                self._index.setdefault(relative[at + len(root):], handle)

    def __len__(self) -> int:
        return len(self._index)

    def find(self, key: str) -> Any:
        """The file for ``key``, or for the original of a resized copy (``photo-300x200.jpg``)."""
        return self._index.get(key) or self._index.get(_SIZE_SUFFIX.sub("", key))

    def extract(self, handle: Any) -> str:
        """A path to read the file from: the file itself, or a temporary copy of a zip member
        (the caller removes it with `release`). `Rejected` when it is over the size limit."""
        size = handle.file_size if isinstance(handle, zipfile.ZipInfo) else handle.stat().st_size
        if size > self.max_bytes:
            raise Rejected("the file is too large (%.1f MB)" % (size / 1024 / 1024), 413)
        if not isinstance(handle, zipfile.ZipInfo):
            return str(handle)
        fd, temporary = tempfile.mkstemp(prefix="cms-import-")
        with os.fdopen(fd, "wb") as out, self._zip.open(handle) as member:
            while chunk := member.read(1024 * 1024):
                out.write(chunk)
        return temporary

    def release(self, handle: Any, path: str) -> None:
        if isinstance(handle, zipfile.ZipInfo):
            os.unlink(path)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


# --- the run ------------------------------------------------------------------------------


class ImportRun:
    """Stores what a `Source` yields into one site, as the person ``run_by``.

    ``progress(phase, done, total, counts)`` is called as it goes (at most once
    a second while entries are stored, and at every phase change).
    """

    def __init__(self, db, site: dict, source: Source, run_by: str, media: MediaFiles | None = None,
                 progress: Callable[[str, int, int, dict], Any] | None = None, max_image_bytes: int = 20 << 20) -> None:
        self.db = db
        self.store = SiteStore(db, site)
        self.site = site
        self.source = source
        self.run_by = run_by
        self.media = media
        self.progress = progress
        self.limits = Limits(max_bytes=max_image_bytes)
        self.report = Report()
        self.items = ImportedItems(db, site["_id"])
        self.comments = ImportedComments(db, site["_id"])
        self.people: dict[str, str] = {}  # Author.key -> user id
        self._media_cache: dict[str, dict | None] = {}
        self._last_progress = 0.0
        self._redirects: list[tuple[str, str, Entry]] = []
        self.done = 0

    async def _tell(self, phase: str, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_progress >= PROGRESS_EVERY:
            self._last_progress = now
            result = self.progress(phase, self.done, self.source.total, self.report.counts)
            if asyncio.iscoroutine(result):
                await result

    async def run(self) -> Report:
        from cms.importers.reading import ReadingProcess  # it imports this module

        reader = ReadingProcess(self.source)  # the file is read and converted in a process of its own
        try:
            await self._tell("reading", force=True)
            await reader.prepare()
            await self._people()
            await self._tell("importing", force=True)
            async for batch in reader.batches():
                for entry in batch:
                    await self._one(entry)
                    self.done += 1
                    await self._tell("importing")
        finally:
            await reader.stop()
        await self._write_redirects()
        await self._tell("finished", force=True)
        return self.report

    # --- people ---

    async def _people(self) -> None:
        users = Users(self.db)
        for author in self.source.authors:
            user = await users.by_email(author.email) if author.email else None
            if user is not None and await self.store.members.role_of(user["_id"]):
                self.people[author.key] = user["_id"]
                continue
            self.people[author.key] = self.run_by
            if not author.email:
                self.report.note("author %r has no e-mail in the export: their posts are yours" % author.name)
                continue
            try:
                if await self.store.invitations.open_for(author.email) is None:
                    token, _ = await self.store.invitations.create(author.email, "author", self.run_by)
                    self.report.invitations.append((author.email, token))
                    self.report.counts["invited"] += 1
                self.report.note("%s <%s> is not a member here: invited as author (see People; no account is "
                                 "made for them); their posts are yours until you change the author"
                                 % (author.name, author.email))
            except Invalid as error:
                self.report.note("author %r could not be invited: %s; their posts are yours" % (author.name, error))

    # --- one entry ---

    async def _one(self, entry: Entry | Skipped) -> None:
        if isinstance(entry, Skipped):
            self.report.add("skipped", "%s: %s" % (describe(entry), entry.reason))
            return
        try:
            await self._store(entry)
        except (StoreError, RenderRefused) as error:
            self.report.add("failed", "%s: %s" % (describe(entry), error))
        except Exception as error:  # one bad item must not end a run of thousands
            log.exception("importing %s failed", describe(entry))
            self.report.add("failed", "%s: internal error (%s)" % (describe(entry), type(error).__name__))

    async def _store(self, entry: Entry) -> None:
        record = await self.items.reserve(self.source.name, entry.kind, entry.source_id)
        # A record made just now has no post yet; an older one may (a run stopped after writing it).
        existing = None if record.get("new") else await self.store.posts.get(record["target_id"])
        if record["done"]:
            why = "imported before" if existing else "imported before, then deleted here"
            self.report.add("skipped", "%s: %s" % (describe(entry), why))
            if existing is not None:
                await self._redirect(entry, existing)  # a table that came after the first run
            return
        if existing is None:
            existing = await self._create(entry, record["target_id"])
        await self._redirect(entry, existing)
        await self.items.mark_done(record["_id"], old_paths=entry.old_paths, sticky=entry.sticky,
                                   parent=entry.parent, title=entry.title[:200])
        await self._comments(entry, record["target_id"])
        self.report.counts["imported"] += 1
        if entry.sticky:
            self.report.counts["sticky"] += 1
            self.report.note("%s was sticky (featured): the platform pins no posts, so it is only listed here"
                             % describe(entry))
        if entry.warnings:
            self.report.counts["warnings"] += 1
            for warning in dict.fromkeys(entry.warnings):  # an image used twice is one warning
                self.report.add("warnings", "%s: %s" % (describe(entry), warning))

    async def _create(self, entry: Entry, post_id: str) -> dict:
        found: dict[str, str] = {}
        for url in entry.images:
            item = await self._media(url, entry)
            if item is not None:
                found[url] = item["files_by_url"]
        markdown = replace_urls(entry.markdown, found)
        featured = None
        if entry.featured is not None:
            item = await self._media(entry.featured.url, entry)
            if item is not None:
                featured = {"media_id": item["_id"], "alt": entry.featured.alt, "caption": entry.featured.caption}
        title = entry.title.strip() or "Untitled"
        if not entry.title.strip():
            entry.warnings.append("no title: imported as %r" % title)
        if len(markdown) > MAX_MARKDOWN:
            raise Invalid("its text is %d characters once converted; the editor takes at most %d"
                          % (len(markdown), MAX_MARKDOWN))
        if not markdown.strip():
            markdown = "*(empty)*\n"
            entry.warnings.append("no content: imported with the text *(empty)*")
        slug = await self._slug(entry)
        tags = addressable_tags(entry.tags, entry.warnings)
        post = await self.store.posts.create(
            title=title[:200], markdown=markdown, author_id=self.people.get(entry.author or "", self.run_by),
            type=entry.kind, slug=slug, tags=tags[:20], status=entry.status, published_at=entry.published_at,
            custom_excerpt=entry.custom_excerpt[:2000] or None, featured_image=featured, editor_id=self.run_by,
            post_id=post_id)
        if len(tags) > 20:
            entry.warnings.append("%d tags: the first 20 kept" % len(tags))
        if len(entry.title) > 200:
            entry.warnings.append("title cut to 200 characters")
        return post

    # --- old addresses ---

    async def _redirect(self, entry: Entry, post: dict) -> None:
        """Queue a 301 from each old path of the entry to where the post is now.

        Old addresses with a query (WordPress's ``/?p=123``) are not paths the
        redirects table keys; the home page answers them from ``import_items``
        (`cms.handlers.public.IndexHandler`).
        """
        target = ("/posts/%s" if post["type"] == "post" else "/%s") % post["slug"]
        for old in entry.old_paths:
            if "?" in old:
                continue
            try:
                if normalise_from(old) == target:
                    continue
            except Invalid as error:
                entry.warnings.append("old address %s not redirected: %s" % (old[:200], error))
                continue
            self._redirects.append((old, target, entry))
        if len(self._redirects) >= REDIRECTS_BATCH:
            await self._write_redirects()

    async def _write_redirects(self) -> None:
        queued, self._redirects = self._redirects, []
        if not queued:
            return
        try:
            await self.store.redirects.add_many([(old, new) for old, new, _ in queued], source="import")
        except Invalid:
            for old, new, entry in queued:  # one at a time, to name the one refused
                try:
                    await self.store.redirects.add_many([(old, new)], source="import")
                except Invalid as error:
                    self.report.add("warnings", "%s: old address %s not redirected: %s" % (
                        describe(entry), old[:200], error))

    async def _slug(self, entry: Entry) -> str | None:
        """The entry's own slug when it is free here; else the next free one (``slug-2``...)."""
        base = slugify(unquote(entry.slug)) or slugify(entry.title)
        if not base or not is_slug(base):
            return None
        candidate = await self.store.posts.free_slug(entry.kind, base)
        if candidate != base:
            entry.warnings.append("the slug %r is taken here: now %r" % (base, candidate))
        return candidate

    async def _comments(self, entry: Entry, post_id: str) -> None:
        for comment in entry.comments:
            if await self.comments.add(self.source.name, post_id, comment):
                self.report.counts["comments"] += 1
        # ...and shown under the post, as approved comments of this site (cms/store/comments.py).
        await self.store.comments.import_approved(post_id, self.source.name, entry.comments)
        self.report.counts["comments_pending"] += entry.comments_pending
        self.report.counts["comments_spam"] += entry.comments_spam

    async def _media(self, url: str, entry: Entry) -> dict | None:
        """The site's media item for an image URL of the export (imported now if need be), or None."""
        key = media_key(url)
        if key is None:
            if urlsplit(url).scheme in ("http", "https"):
                entry.warnings.append("image kept at its old address (not an uploaded file): %s" % url[:200])
            return None
        if key in self._media_cache:
            cached = self._media_cache[key]
            if cached is None:
                entry.warnings.append("image not imported (%s): %s" % (self._missing_why(), url[:200]))
            return cached
        item = await self._media_item(key, url, entry)
        self._media_cache[key] = item
        return item

    def _missing_why(self) -> str:
        return "not among the images given" if self.media is not None else "no images folder or zip given"

    async def _media_item(self, key: str, url: str, entry: Entry) -> dict | None:
        record = await self.items.get(self.source.name, "media", key)
        if record is not None and record["done"]:
            item = await self.store.media.get(record["target_id"])
            if item is not None:
                return _with_display_url(item)
        handle = self.media.find(key) if self.media is not None else None
        if handle is None:
            entry.warnings.append("image not imported (%s): %s" % (self._missing_why(), url[:200]))
            return None
        path = None
        try:
            path = self.media.extract(handle)
            processed = await process_upload(path, self.limits)
        except Rejected as rejected:
            entry.warnings.append("image %s refused: %s" % (key[:120], rejected.message))
            return None
        except (zipfile.BadZipFile, OSError) as error:
            entry.warnings.append("image %s could not be read from --media: %s" % (key[:120], error))
            return None
        finally:
            if path is not None:
                self.media.release(handle, path)
        try:
            item, created = await self.store.media.add(processed, PurePosixPath(key).name, self.run_by)
        finally:
            processed.discard()
        if created:
            self.report.counts["media"] += 1
        record = await self.items.reserve(self.source.name, "media", key)
        await self.items.mark_done(record["_id"], target_id=item["_id"])
        return _with_display_url(item)


def _with_display_url(item: dict) -> dict:
    from cms.store.media import image_of

    return {**item, "files_by_url": image_of(item)["url"]}
