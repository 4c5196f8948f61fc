"""Importing a site archive (`cms.export.archive`) into a new, empty site.

The archive is read twice, streamed both times (``site.json`` with ijson, so
a large archive is never held in memory): first to check every part of it,
so a damaged or foreign file changes nothing, then to restore it. Content is
saved through the ordinary stores: media originals go through the image
pipeline again (validation, renditions), posts are saved and rendered like an
author's save, then given back their dates, version and history.

What changes on the way:

* ids: every post and media item gets a new one; media URLs in the Markdown,
  featured images and theme settings are rewritten to the new files;
* people: a person is matched by e-mail to an existing account, which joins
  the site in its archived role (someone already a member keeps their role);
  anyone else gets an invitation to that role, never an account or a
  password. Content of a person without an account is credited to the
  site's owner, and the report says so;
* the site's name and custom domains stay those of the new site.

A restore that fails part way removes what it wrote (the site was empty),
so it can simply be run again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import re
import shutil
import tempfile
import zipfile
from typing import IO, Any, Callable, Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ijson

from cms.export.archive import FORMAT, MEDIA_DIR, SITE_JSON, VERSION
from cms.images import Limits, Rejected
from cms.store import ROLES, Invalid, Sites, SiteStore, StoreError, Users
from cms.store.ids import new_id
from cms.store.posts import STATUSES, TYPES
from cms.store.site_data import SiteData
from cms.text.slugs import is_slug

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 90 * 1024 * 1024  # the largest upload the platform ever accepts (CMS_MAX_UPLOAD_MB)
MEDIA_URL = re.compile(r"/media/[0-9a-f]{24}/[0-9a-f]{32}\.(?:jpg|png|gif|webp)")
CHUNK = 256 * 1024


class ArchiveError(StoreError):
    """The file is not a site archive this platform can import; the message says why."""


@dataclasses.dataclass
class Report:
    """What a restore did, for the person who ran it."""

    posts: int = 0
    revisions: int = 0
    media: int = 0
    redirects: int = 0
    comments: int = 0
    reader_comments: int = 0
    members: list[str] = dataclasses.field(default_factory=list)
    invited: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)  # (email, role, token)
    notes: list[str] = dataclasses.field(default_factory=list)


def parse_time(value: Any, what: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ArchiveError("%s: %r is not a date" % (what, value)) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


class ArchiveReader:
    """A site archive on disk: its header, its sections streamed, its media files."""

    def __init__(self, path: str | os.PathLike) -> None:
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise ArchiveError("%s is not a site archive (a zip file): %s" % (os.fspath(path), error)) from None
        self.names = set(self.zip.namelist())
        if SITE_JSON not in self.names:
            self.zip.close()
            raise ArchiveError("the archive has no %s: it is not a site export of this platform" % SITE_JSON)

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> "ArchiveReader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _first(self, key: str) -> Any:
        with self.zip.open(SITE_JSON) as stream:
            try:
                return next(ijson.items(stream, key, use_float=True), None)
            except (ijson.JSONError, ValueError, zipfile.BadZipFile, EOFError) as error:
                raise ArchiveError("site.json is damaged: %s" % error) from None

    def header(self) -> dict:
        """``{"format", "version", "site"}``, checked."""
        if self._first("format") != FORMAT:
            raise ArchiveError("site.json is not a %s file" % FORMAT)
        version = self._first("version")
        if not isinstance(version, int) or version < 1:
            raise ArchiveError("site.json has no valid version")
        if version > VERSION:
            raise ArchiveError("the archive is of version %d; this platform reads up to version %d" % (version, VERSION))
        site = self._first("site")
        if not isinstance(site, dict):
            raise ArchiveError("site.json has no site settings")
        return {"format": FORMAT, "version": version, "site": site}

    def items(self, section: str) -> Iterator[dict]:
        """Each element of the top-level array ``section``, parsed one at a time."""
        with self.zip.open(SITE_JSON) as stream:
            try:
                for item in ijson.items(stream, section + ".item", use_float=True):
                    if not isinstance(item, dict):
                        raise ArchiveError("site.json: an entry of %s is not an object" % section)
                    yield item
            except (ijson.JSONError, ValueError, zipfile.BadZipFile, EOFError) as error:
                raise ArchiveError("site.json is damaged: %s" % error) from None

    def extract(self, name: str, target: IO[bytes]) -> None:
        try:
            with self.zip.open(name) as source:
                shutil.copyfileobj(source, target, CHUNK)
        except (zipfile.BadZipFile, KeyError, EOFError) as error:
            raise ArchiveError("the media file %s is damaged: %s" % (name, error)) from None


def _text(item: dict, field: str, what: str, required: bool = True) -> str:
    value = item.get(field)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ArchiveError("%s: %s must be text" % (what, field))
    return value


def check_settings(site: dict) -> None:
    """The archive's site and theme settings, as `Sites.update_settings`/`update_theme` will take them:
    they are written last, so they must not fail once the content is in."""
    from cms.store.sites import LANGUAGE_RE, MAX_TAGLINE, MAX_TITLE
    from cms.themes import SettingsError, ThemeError, registry

    title = " ".join(str(site.get("title") or "").split())
    if len(title) > MAX_TITLE or len(" ".join(str(site.get("tagline") or "").split())) > MAX_TAGLINE:
        raise ArchiveError("the archive's site title or tagline is too long")
    if not LANGUAGE_RE.match(str(site.get("language") or "en")):
        raise ArchiveError("the archive's language %r is not a language code" % site.get("language"))
    try:
        ZoneInfo(site.get("timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ArchiveError("the archive's time zone %r is unknown" % site.get("timezone")) from None
    try:
        registry().require(site.get("theme") or "journal").validate_settings(site.get("theme_settings") or {})
    except ThemeError:
        raise ArchiveError("the archive's theme %r is not installed here" % site.get("theme")) from None
    except SettingsError as error:
        raise ArchiveError("the archive's theme settings: %s" % error) from None
    if site.get("comments") is not None:
        from cms.store.comments import check_settings
        from cms.store.errors import Invalid as BadSettings

        comments = site["comments"]
        try:
            if not isinstance(comments, dict):
                raise BadSettings("not a mode and a number of days")
            check_settings(comments.get("mode"), comments.get("close_after_days", 0))
        except BadSettings as error:
            raise ArchiveError("the archive's comments settings: %s" % error) from None


def check(reader: ArchiveReader) -> dict:
    """Read the whole archive once and refuse it, changing nothing, if any part is wrong; its header."""
    header = reader.header()
    site = header["site"]
    check_settings(site)
    for person in reader.items("people"):
        _text(person, "email", "a person")
        if person.get("role") is not None and person.get("role") not in ROLES:
            raise ArchiveError("%s: unknown role %r" % (person["email"], person.get("role")))
    media: set[str] = set()
    missing: set[str] = set()
    for item in reader.items("media"):
        what = "media %r" % item.get("id")
        _text(item, "id", what)
        original = _text(item, "original", what)
        if not original.startswith(MEDIA_DIR):
            raise ArchiveError("%s: its file %s is not in the archive's media folder" % (what, original))
        # A file the export could not read (gone from the database) is left out of the zip:
        # the item is skipped and the report says so, rather than refusing the whole site.
        (media if original in reader.names else missing).add(item["id"])
        if original in reader.names and reader.zip.getinfo(original).file_size > MAX_IMAGE_BYTES:
            # Checked from the zip's directory: an oversized entry is never unpacked (a zip bomb).
            raise ArchiveError("%s: its file is larger than any upload may be" % what)
    posts: set[str] = set()
    for post in reader.items("posts"):
        what = "post %r" % post.get("slug")
        for field in ("id", "title", "markdown"):
            _text(post, field, what)
        if post.get("type") not in TYPES or post.get("status") not in STATUSES:
            raise ArchiveError("%s: unknown type or status" % what)
        if not is_slug(post.get("slug") or ""):
            raise ArchiveError("%s: not a valid slug" % what)
        if not isinstance(post.get("tags", []), list) or not all(isinstance(t, str) for t in post.get("tags", [])):
            raise ArchiveError("%s: tags must be a list of text" % what)
        if not isinstance(post.get("version", 1), int):
            raise ArchiveError("%s: version must be a number" % what)
        for field in ("published_at", "created_at", "updated_at"):
            parse_time(post.get(field), "%s %s" % (what, field))
        featured = post.get("featured_image")
        if featured is not None and (not isinstance(featured, dict) or featured.get("media_id") not in media | missing):
            raise ArchiveError("%s: its featured image is not a media item of the archive" % what)
        posts.add(post["id"])
    for revision in reader.items("revisions"):
        if revision.get("post_id") not in posts or not isinstance(revision.get("version"), int):
            raise ArchiveError("a revision of an unknown post, or without a version number")
        _text(revision, "markdown", "a revision")
        for field in ("published_at", "saved_at"):
            parse_time(revision.get(field), "a revision's %s" % field)
    for comment in reader.items("comments"):
        if comment.get("post_id") not in posts or comment.get("source_id") is None:
            raise ArchiveError("a comment of an unknown post, or without its source id")
        parse_time(comment.get("created"), "a comment's date")
    seen: set[str] = set()
    for comment in reader.items("reader_comments"):
        from cms.store.comments import STATUSES as COMMENT_STATUSES
        from cms.text.comments import MAX_LENGTH as MAX_COMMENT

        if comment.get("post_id") not in posts or not isinstance(comment.get("id"), str):
            raise ArchiveError("a reader's comment of an unknown post, or without its id")
        if comment.get("status") not in COMMENT_STATUSES:
            raise ArchiveError("a comment's status %r is not one of %s" % (comment.get("status"), ", ".join(COMMENT_STATUSES)))
        if not isinstance(comment.get("text"), str) or not comment["text"].strip() or len(comment["text"]) > MAX_COMMENT:
            raise ArchiveError("a comment's text is missing or longer than %d characters" % MAX_COMMENT)
        if comment.get("parent") is not None and comment["parent"] not in seen:
            raise ArchiveError("a comment replies to a comment the archive does not have before it")
        parse_time(comment.get("created"), "a comment's date")
        seen.add(comment["id"])
    for redirect in reader.items("redirects"):
        _text(redirect, "from", "a redirect")
        _text(redirect, "to", "a redirect")
    bad = reader.zip.testzip()  # every file's checksum, chunk by chunk
    if bad is not None:
        raise ArchiveError("the file %s in the archive is damaged" % bad)
    return {**header, "missing_media": missing}


class Restore:
    """One archive into one empty site (see the module docstring)."""

    def __init__(self, db, site: dict, reader: ArchiveReader, progress: Callable[[str], None] | None = None,
                 limits: Limits | None = None, quota_bytes: int | None = None) -> None:
        self.db = db
        self.store = SiteStore(db, site)
        self.data = SiteData(db, site["_id"])
        self.reader = reader
        self.progress = progress or (lambda line: None)
        self.limits = limits or Limits(max_bytes=MAX_IMAGE_BYTES)
        self.quota_bytes = quota_bytes  # the site's storage quota (cms.store.sites.quota_bytes), as for uploads
        self.report = Report()
        self.people: dict[str, Any] = {}  # e-mail -> user id of an existing account
        self.urls: dict[str, str] = {}  # old media URL -> new
        self.media_ids: dict[str, str] = {}  # old media item id -> new
        self.posts: dict[str, dict] = {}  # old post id -> {"id", "version", "save_id"}
        self.added: list[Any] = []  # memberships this restore made
        self.invitations: list[str] = []
        self.missing_media: set[str] = set()  # items whose file the archive lacks
        self.owner_id: Any = None

    async def run(self) -> Report:
        header = check(self.reader)
        self.missing_media = header["missing_media"]
        counts = await self.data.counts()
        if counts["posts"] or counts["media"]:
            raise ArchiveError("the site %s already has posts or media: import an archive into a new, empty site"
                               % self.store.site["name"])
        owner = await self.store.members.owner()
        if owner is None:
            raise ArchiveError("the site %s has no owner: give it one first" % self.store.site["name"])
        self.owner_id = owner["_id"]
        try:
            await self._people()
            await self._media()
            await self._posts()
            await self._revisions()
            await self._redirects()
            await self._comments()
            await self._reader_comments()
            await self._settings(header["site"])
        except BaseException:
            log.warning("restoring into %s failed; removing what was restored", self.store.site["name"])
            await self.data.clear(self.added)  # redirects need not go: add_many writes all or nothing, last
            for invitation_id in self.invitations:
                await self.store.invitations.revoke(invitation_id)
            raise
        return self.report

    def user(self, email: Any) -> Any:
        return self.people.get((email or "").strip().lower()) if isinstance(email, str) else None

    async def _people(self) -> None:
        users = Users(self.db)
        for person in self.reader.items("people"):
            email = person["email"].strip().lower()
            user = await users.by_email(email)
            if user is not None:
                self.people[email] = user["_id"]
            role = person.get("role")
            if role is None:
                continue
            if user is None:
                token, invitation = await self.store.invitations.create(email, role, self.owner_id)
                self.invitations.append(invitation["_id"])
                self.report.invited.append((email, role, token))
            elif await self.store.members.role_of(user["_id"]) is None:
                await self.store.members.add(user["_id"], role)
                self.added.append(user["_id"])
                self.report.members.append("%s (%s)" % (email, role))
        self.progress("people: %d members added, %d invited" % (len(self.report.members), len(self.report.invited)))

    async def _media(self) -> None:
        from cms.store.media import process_upload

        for item in self.reader.items("media"):
            if item["id"] in self.missing_media:
                self.report.notes.append("media %s (%s): its file is not in the archive; left out"
                                         % (item["id"], item.get("filename")))
                continue
            with tempfile.NamedTemporaryFile(prefix="cms-restore-", suffix=".img") as spool:
                self.reader.extract(item["original"], spool)
                spool.flush()
                try:
                    processed = await process_upload(spool.name, self.limits)
                except Rejected as error:
                    raise ArchiveError("media %s (%s): %s" % (item["id"], item.get("filename"), error)) from None
            uploader = self.user(item.get("uploaded_by")) or self.owner_id
            new, _ = await self.store.media.add(processed, item.get("filename") or "image", uploader,
                                                quota_bytes=self.quota_bytes)
            await self.data.restore_media_item(new["_id"], {
                "alt": item.get("alt") if isinstance(item.get("alt"), str) else new.get("alt", ""),
                "created_at": parse_time(item.get("created_at"), "media created_at") or new["created_at"],
            })
            self.media_ids[item["id"]] = new["_id"]
            by_kind = {(f["format"], f["width"], bool(f["original"])): f["url"] for f in new["files"]}
            for old in item.get("files") or []:
                if isinstance(old, dict) and isinstance(old.get("url"), str):
                    url = by_kind.get((old.get("format"), old.get("width"), bool(old.get("original"))))
                    self.urls[old["url"]] = url or by_kind[(new["format"], new["width"], True)]
            self.report.media += 1
        self.progress("media: %d files" % self.report.media)

    def remap(self, text: str) -> str:
        """``text`` with the archive's media URLs pointing at the new files."""
        return MEDIA_URL.sub(lambda match: self.urls.get(match.group(0), match.group(0)), text or "")

    def remap_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.remap(value)
        if isinstance(value, list):
            return [self.remap_value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.remap_value(v) for k, v in value.items()}
        return value

    async def _posts(self) -> None:
        for item in self.reader.items("posts"):
            author = self.user(item.get("author"))
            if author is None:
                author = self.owner_id
                if item.get("author"):
                    self.report.notes.append("%s %r: its author %s has no account here; credited to the owner"
                                             % (item["type"], item["slug"], item["author"]))
            featured = item.get("featured_image")
            if featured and featured["media_id"] in self.missing_media:
                self.report.notes.append("%s %r: its featured image was left out (no file)" % (item["type"], item["slug"]))
                featured = None
            try:
                post = await self.store.posts.create(
                    title=item["title"], markdown=self.remap(item["markdown"]), author_id=author,
                    type=item["type"], slug=item["slug"], tags=item.get("tags") or [], status=item["status"],
                    published_at=parse_time(item.get("published_at"), "published_at"),
                    custom_excerpt=item.get("custom_excerpt") or None, editor_id=author,
                    featured_image={"media_id": self.media_ids[featured["media_id"]], "alt": featured.get("alt"),
                                    "caption": featured.get("caption")} if featured else None,
                )
            except Invalid as error:
                raise ArchiveError("%s %r: %s" % (item["type"], item["slug"], error)) from None
            version = max(1, int(item.get("version") or 1))
            fields = {"version": version, "updated_by": self.user(item.get("updated_by")) or author}
            for field in ("created_at", "updated_at"):
                fields[field] = parse_time(item.get(field), field) or post[field]
            await self.data.restore_post(post, fields)
            self.posts[item["id"]] = {"id": post["_id"], "version": version, "save_id": post["save_id"],
                                      "author": author, "top": False}
            self.report.posts += 1
        self.progress("posts and pages: %d" % self.report.posts)

    async def _revisions(self) -> None:
        await self.data.forget_revisions()  # the saves above wrote a version 1 of each
        for item in self.reader.items("revisions"):
            post = self.posts[item["post_id"]]
            if item["version"] > post["version"]:
                continue
            top = item["version"] == post["version"]
            post["top"] = post["top"] or top
            await self.data.add_revision({
                "post_id": post["id"], "version": item["version"],
                "save_id": post["save_id"] if top else new_id(),
                "saved_by": self.user(item.get("saved_by")) or post["author"],
                "saved_at": parse_time(item.get("saved_at"), "saved_at"),
                "title": item.get("title"), "slug": item.get("slug"), "markdown": self.remap(item.get("markdown")),
                "tags": item.get("tags") or [], "custom_excerpt": item.get("custom_excerpt") or "",
                "status": item.get("status"), "published_at": parse_time(item.get("published_at"), "published_at"),
            })
            self.report.revisions += 1
        for post in self.posts.values():
            if not post["top"]:  # the archive lacked the current version's revision: make it from the post
                await self.store.revisions.settle(await self.store.posts.get(post["id"]))
        self.progress("revisions: %d" % self.report.revisions)

    async def _redirects(self) -> None:
        """The site's old addresses, each kept with its source (a hand-made one stays hand-made)."""
        from cms.store.redirects import SOURCES

        by_source: dict[str, list[dict]] = {}
        for item in self.reader.items("redirects"):
            source = item.get("source") if item.get("source") in SOURCES else "import"
            by_source.setdefault(source, []).append({"from": item["from"], "to": self.remap(item["to"]),
                                                     "code": item.get("code", 301)})
        for source, items in by_source.items():
            try:
                self.report.redirects += await self.store.redirects.add_many(items, source=source)
            except Invalid as error:
                raise ArchiveError("redirects: %s" % error) from None
        self.progress("redirects: %d" % self.report.redirects)

    async def _comments(self) -> None:
        """Comments that came with imported posts, kept raw for the comments feature (cms/store/imports.py)."""
        from cms.store.imports import ImportedComments

        comments = ImportedComments(self.db, self.store.site_id)
        for item in self.reader.items("comments"):
            fields = {k: item.get(k) for k in ("source_id", "parent_source_id", "author", "email", "url", "html",
                                               "type")}
            fields["created"] = parse_time(item.get("created"), "a comment's date")
            if await comments.add(str(item.get("source") or "archive"), self.posts[item["post_id"]]["id"], fields):
                self.report.comments += 1
        self.progress("imported comments: %d" % self.report.comments)

    async def _reader_comments(self) -> None:
        """Readers' comments (every status), under their posts' new ids, replies under their new parents."""
        ids: dict[str, str] = {}
        for item in self.reader.items("reader_comments"):
            restored = await self.store.comments.restore(
                self.posts[item["post_id"]]["id"], item, parent=ids.get(item.get("parent") or ""),
                user_id=self.user(item.get("user")), created=parse_time(item.get("created"), "a comment's date"),
                edited=parse_time(item.get("edited"), "a comment's date"))
            ids[item["id"]] = restored["_id"]
            self.report.reader_comments += 1
        self.progress("comments: %d" % self.report.reader_comments)

    async def _settings(self, archived: dict) -> None:
        sites = Sites(self.db)
        site = self.store.site
        await sites.update_settings(
            site["_id"], title=archived.get("title") or site["title"], tagline=archived.get("tagline") or "",
            timezone=archived.get("timezone") or "UTC", language=archived.get("language") or "en")
        await sites.update_theme(site["_id"], archived.get("theme") or "journal",
                                 self.remap_value(archived.get("theme_settings") or {}))
        if archived.get("comments"):
            from cms.store.comments import check_settings

            comments = archived["comments"]
            await sites.set_comment_settings(site["_id"], check_settings(comments.get("mode"),
                                                                         comments.get("close_after_days", 0)))


async def restore_archive(db, site: dict, path: str | os.PathLike, progress: Callable[[str], None] | None = None,
                          quota_bytes: int | None = None) -> Report:
    """Import the archive at ``path`` into ``site``, which must have no posts or media yet; its media
    within ``quota_bytes`` (`OverQuota` otherwise, and nothing is left of the import)."""
    with ArchiveReader(path) as reader:
        return await Restore(db, site, reader, progress, quota_bytes=quota_bytes).run()
