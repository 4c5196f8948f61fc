"""What every importer shares: the items it reads, the run that stores them, the report, media files.

A source module (`cms.importers.wordpress`, `cms.importers.ghost`) only reads
its format: `Source.prepare` checks the file and learns the people in it,
`Source.entries` yields one `Entry` (a post or page, already converted to
Markdown) or `Skipped` at a time. Both are plain, blocking code, and run in a
process of their own (`cms.importers.reading`), so parsing and HTML conversion
never hold the event loop, while every write goes through the site's stores: posts are
created a batch at a time by `cms.store.importing.ImportedPosts` (Markdown rendered in
the render pool, each post what an author's save makes of it, without a live event
or a newsletter per post), images by the upload pipeline (`cms.store.media.process_upload`
then `Media.add`: the same checks and copies as an upload). Readers see the new posts
every `SHOW_EVERY` seconds and at the end, and open reader pages hear of them once.

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
from cms.store import Changes, Invalid, SiteStore, StoreError, Users
from cms.store.importing import ImportedPosts, NewPost
from cms.store.imports import MAX_REPORT_LINES, ImportedComments, ImportedItems
from cms.store.media import process_upload
from cms.store.redirects import normalise_from
from cms.text.slugs import is_slug, slugify

log = logging.getLogger(__name__)

BATCH = 20  # entries read per turn of the reading thread
REDIRECTS_BATCH = 200  # old addresses written at once
MAX_MARKDOWN = 500_000  # the editor's longest body (cms.handlers.admin.MAX_BODY): longer could not be saved again
PROGRESS_EVERY = 1.0  # seconds between progress reports of a long run
# Seconds between two moves of the site's change counter while posts come in. Each move
# makes every reader page and the site's listing be read again; once per post, readers
# of a large import waited for listings that were out of date before they were read.
SHOW_EVERY = 5.0
_SIZE_SUFFIX = re.compile(r"-(?:\d+x\d+|scaled|rotated|e\d{10,})(?=\.[A-Za-z0-9]+$)")
_MEDIA_ROOTS = ("wp-content/uploads/", "content/images/")
# This platform's own files (our WXR export names them so): ``/media/<item>/<digest>.<ext>``,
# kept as ``media/<item>/...`` in an archive export and ``static/media/<item>/...`` in a Markdown one.
_OUR_MEDIA = re.compile(r"/media/([0-9a-f]{24}/[0-9a-f]{32}\.(?:jpg|png|gif|webp))$")


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
    """The path of an uploaded file inside its platform's upload folder, from its URL (else None):
    WordPress's and Ghost's, and this platform's own (what our WXR export names)."""
    path = unquote(urlsplit(url.strip()).path)
    for root in _MEDIA_ROOTS:
        at = path.find("/" + root)
        if at >= 0:
            return path[at + len(root) + 1:].lstrip("/")
    ours = _OUR_MEDIA.search(path)
    return ours.group(1) if ours else None


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
        for root in _MEDIA_ROOTS + ("uploads/", "images/", "media/"):
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
        self.posts = ImportedPosts(db, site["_id"])
        self._changes = Changes(db)
        self._unshown = False  # posts or comments written that readers were not shown yet
        self._last_shown = time.monotonic()
        self._newest: dict | None = None  # the newest published post imported, for the one live event
        self._published = 0
        self._media_records: dict[str, dict] = {}  # media records read ahead for a batch, by key
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
                await self._batch(batch)
                self.done += len(batch)
                await self._show()
                await self._tell("importing")
        finally:
            await reader.stop()
            await self._show(force=True)  # what was written is shown, however the run ends
        await self._write_redirects()
        if self._newest is not None:
            await self.posts.announce(self._newest, self._published)
        await self._tell("finished", force=True)
        return self.report

    async def _show(self, force: bool = False) -> None:
        """Move the site's change counter, so readers see what was written, at most every `SHOW_EVERY` s."""
        if self._unshown and (force or time.monotonic() - self._last_shown >= SHOW_EVERY):
            self._unshown = False
            self._last_shown = time.monotonic()
            await self._changes.bump(self.site["_id"])

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

    # --- a batch of entries ---

    async def _batch(self, batch: list[Entry | Skipped]) -> None:
        entries: list[Entry] = []
        seen: set[tuple[str, str]] = set()
        for entry in batch:
            if isinstance(entry, Skipped):
                self.report.add("skipped", "%s: %s" % (describe(entry), entry.reason))
            elif (entry.kind, entry.source_id) in seen:
                self.report.add("skipped", "%s: in the export twice: imported once" % describe(entry))
            else:
                seen.add((entry.kind, entry.source_id))
                entries.append(entry)
        if not entries:
            return
        records = await self.items.reserve_many(self.source.name, [
            (e.kind, e.source_id, {"old_paths": e.old_paths, "sticky": e.sticky, "parent": e.parent,
                                   "title": e.title[:200]}) for e in entries])
        # A record made just now has no post yet; an older one may (a run stopped after writing it).
        existing = await self.posts.existing(r["target_id"] for r in records if not r.get("new"))
        await self._read_media_records(entries)
        made: list[tuple[Entry, dict]] = []
        for entry, record in zip(entries, records):
            post = existing.get(record["target_id"])
            if record["done"]:
                why = "imported before" if post else "imported before, then deleted here"
                self.report.add("skipped", "%s: %s" % (describe(entry), why))
                if post is not None:
                    await self._redirect(entry, post)  # a table that came after the first run
            elif post is not None:
                await self._stored(entry, record, post)
            else:
                made.append((entry, record))
        try:
            await self._create(made)
        except Exception as error:  # one bad batch must not end a run of thousands
            log.exception("importing a batch of %d failed", len(made))
            for entry, _ in made:
                self.report.add("failed", "%s: internal error (%s)" % (describe(entry), type(error).__name__))

    async def _create(self, made: list[tuple[Entry, dict]]) -> None:
        drafts: list[tuple[Entry, dict, NewPost]] = []
        for entry, record in made:
            try:
                drafts.append((entry, record, await self._draft(entry, record["target_id"])))
            except (StoreError, RenderRefused) as error:
                self.report.add("failed", "%s: %s" % (describe(entry), error))
        for kind in ("post", "page"):
            mine = [(entry, draft) for entry, _, draft in drafts if draft.type == kind and draft.slug]
            free = await self.posts.free_slugs(kind, [draft.slug for _, draft in mine])
            for (entry, draft), slug in zip(mine, free):
                if slug != draft.slug:
                    entry.warnings.append("the slug %r is taken here: now %r" % (draft.slug, slug))
                    draft.slug = slug
        results = await self.posts.create_many([draft for _, _, draft in drafts])
        done: list[tuple[Entry, dict, dict]] = []
        for (entry, record, _), result in zip(drafts, results):
            if isinstance(result, (StoreError, RenderRefused)):
                self.report.add("failed", "%s: %s" % (describe(entry), result))
                continue
            self._unshown = self._unshown or result["status"] == "published"
            if result["type"] == "post" and result["status"] == "published" and result["published_at"] <= _now():
                self._published += 1
                if self._newest is None or (result["published_at"], result["_id"]) >= (
                        self._newest["published_at"], self._newest["_id"]):
                    self._newest = result
            done.append((entry, record, result))
        for entry, _, post in done:
            await self._redirect(entry, post)
        await self._comments([(entry, post["_id"]) for entry, _, post in done])
        await self.items.mark_done_many([record["_id"] for _, record, _ in done if record.get("new")])
        for entry, record, _ in done:
            if not record.get("new"):  # made by an earlier run: its fields as this file has them
                await self._mark_done(entry, record)
            self._count(entry)

    async def _stored(self, entry: Entry, record: dict, post: dict) -> None:
        """An entry whose post an earlier run wrote without finishing: finish it."""
        try:
            await self._redirect(entry, post)
            await self._mark_done(entry, record)
            await self._comments([(entry, record["target_id"])])
        except StoreError as error:
            self.report.add("failed", "%s: %s" % (describe(entry), error))
            return
        self._count(entry)

    async def _mark_done(self, entry: Entry, record: dict) -> None:
        await self.items.mark_done(record["_id"], old_paths=entry.old_paths, sticky=entry.sticky,
                                   parent=entry.parent, title=entry.title[:200])

    def _count(self, entry: Entry) -> None:
        self.report.counts["imported"] += 1
        if entry.sticky:
            self.report.counts["sticky"] += 1
            self.report.note("%s was sticky (featured): the platform pins no posts, so it is only listed here"
                             % describe(entry))
        if entry.warnings:
            self.report.counts["warnings"] += 1
            for warning in dict.fromkeys(entry.warnings):  # an image used twice is one warning
                self.report.add("warnings", "%s: %s" % (describe(entry), warning))

    async def _draft(self, entry: Entry, post_id: str) -> NewPost:
        """The post to write for an entry, its images imported; `Invalid` if the editor could not save it."""
        found: dict[str, str] = {}
        for url in entry.images:
            item = await self._media(url, entry)
            if item is not None:
                found[url] = item["files_by_url"]
        markdown = replace_urls(entry.markdown, found)
        featured = None
        if entry.featured is not None:
            featured = await self._media(entry.featured.url, entry)
        title = entry.title.strip() or "Untitled"
        if not entry.title.strip():
            entry.warnings.append("no title: imported as %r" % title)
        if len(markdown) > MAX_MARKDOWN:
            raise Invalid("its text is %d characters once converted; the editor takes at most %d"
                          % (len(markdown), MAX_MARKDOWN))
        if not markdown.strip():
            markdown = "*(empty)*\n"
            entry.warnings.append("no content: imported with the text *(empty)*")
        tags = addressable_tags(entry.tags, entry.warnings)
        if len(tags) > 20:
            entry.warnings.append("%d tags: the first 20 kept" % len(tags))
        if len(entry.title) > 200:
            entry.warnings.append("title cut to 200 characters")
        base = slugify(unquote(entry.slug)) or slugify(entry.title)
        return NewPost(
            post_id=post_id, type=entry.kind, title=title[:200], markdown=markdown,
            author_id=self.people.get(entry.author or "", self.run_by), editor_id=self.run_by,
            slug=base if base and is_slug(base) else None, tags=tags[:20], status=entry.status,
            published_at=entry.published_at, custom_excerpt=entry.custom_excerpt[:2000] or None,
            featured_url=featured["files_by_url"] if featured else None,
            featured_alt=entry.featured.alt if featured else "", featured_caption=entry.featured.caption if featured else "")

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

    async def _comments(self, posts: list[tuple[Entry, str]]) -> None:
        """The approved comments of these entries: raw copies (`ImportedComments`), and shown under
        their posts as approved comments of this site (cms/store/comments.py)."""
        kept = [(post_id, comment) for entry, post_id in posts for comment in entry.comments]
        self.report.counts["comments"] += await self.comments.add_many(self.source.name, kept)
        if await self.store.comments.import_approved_many(
                self.source.name, [(post_id, entry.comments) for entry, post_id in posts if entry.comments],
                announce=False):
            self._unshown = True
        for entry, _ in posts:
            self.report.counts["comments_pending"] += entry.comments_pending
            self.report.counts["comments_spam"] += entry.comments_spam

    async def _read_media_records(self, entries: list[Entry]) -> None:
        """The media records of this batch's images not met before, in one query."""
        keys = {key for entry in entries for url in entry.images + ([entry.featured.url] if entry.featured else [])
                if (key := media_key(url)) is not None and key not in self._media_cache}
        self._media_records = await self.items.find_many(self.source.name, "media", sorted(keys))

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
        record = self._media_records.get(key)
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


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _with_display_url(item: dict) -> dict:
    from cms.store.media import image_of

    return {**item, "files_by_url": image_of(item)["url"]}
