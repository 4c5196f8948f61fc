"""Readers' comments on one site's posts, their moderation, and the site's blocklist.

A comment belongs to one post of one site (``site_id`` in every query, through
`Scoped`). One document each::

    {"_id", "site_id", "post_id", "parent": None | top-level comment id,
     "name", "email" (guests; never shown), "website", "user_id" (members),
     "text", "html", "status": "pending" | "approved" | "rejected" | "spam",
     "address" (the client's IP: for the blocklist), "digest" (duplicate check),
     "created", "edited", "source"/"source_id" (imported)}

Replies go one level deep: a reply to a reply hangs on the same top comment.
Readers only ever see ``approved`` ones. Writes that change what readers see
(a comment approved, or an approved one removed) move the site's change
counter, so kept pages show it at once in every process (`cms.store.changes`);
a pending comment moves nothing. Each approval is told to `cms.events`.

The blocklist (``comment_blocks``: e-mail addresses and client addresses) is
per site: a blocked sender's comment is refused, and says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any, Iterable

import pymongo

from cms import events
from cms.store import events as live_events
from cms.store.changes import Changes
from cms.store.errors import Duplicate, Invalid, NotFound
from cms.store.ids import new_id
from cms.store.scoped import Scoped
from cms.text.comments import CommentTextError, links_in, render

STATUSES = ("pending", "approved", "rejected", "spam")
MODES = ("off", "moderated", "open")
MAX_NAME = 80
MAX_EMAIL = 254
MAX_WEBSITE = 300
MAX_LINKS = 3
MAX_CLOSE_DAYS = 3650
EDIT_WINDOW = dt.timedelta(minutes=10)
DUPLICATE_WINDOW = dt.timedelta(days=1)
QUEUE_PAGE = 50
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
ID_RE = re.compile(r"^[0-9a-f]{24}$")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def aware(when: dt.datetime | None) -> dt.datetime | None:
    """A datetime read without ``tz_aware`` (another client than `cms.db`'s) is naive UTC: make it comparable."""
    if when is not None and when.tzinfo is None:
        return when.replace(tzinfo=dt.timezone.utc)
    return when


def settings_of(site: dict) -> dict:
    """The site's comment settings with their defaults: moderated, never closed by age."""
    stored = site.get("comments") or {}
    mode = stored.get("mode") if stored.get("mode") in MODES else "moderated"
    return {"mode": mode, "close_after_days": int(stored.get("close_after_days") or 0)}


def check_settings(mode: str, close_after_days: Any) -> dict:
    if mode not in MODES:
        raise Invalid("comments are off, moderated or open")
    try:
        days = int(str(close_after_days).strip() or 0)
    except ValueError:
        raise Invalid("close comments after a whole number of days (0: never)") from None
    if not 0 <= days <= MAX_CLOSE_DAYS:
        raise Invalid("close comments after 0 to %d days (0: never)" % MAX_CLOSE_DAYS)
    return {"mode": mode, "close_after_days": days}


def open_for_comments(site: dict, post: dict, now: dt.datetime | None = None) -> bool:
    """May readers comment on ``post`` now? Off site-wide, closed by hand, or too old: no."""
    settings = settings_of(site)
    if settings["mode"] == "off" or post.get("comments_closed"):
        return False
    days = settings["close_after_days"]
    published = aware(post.get("published_at"))
    if days and published is not None:
        return (now or utcnow()) - published <= dt.timedelta(days=days)
    return True


def digest_of(text: str) -> str:
    """Equal for texts that differ only in case and spacing (the duplicate check)."""
    return hashlib.sha256(" ".join(text.lower().split()).encode("utf-8")).hexdigest()[:32]


def clean_guest(name: str, email: str, website: str) -> tuple[str, str, str]:
    name = " ".join((name or "").split())
    email = (email or "").strip().lower()
    website = (website or "").strip()
    if not name:
        raise Invalid("please give your name")
    if len(name) > MAX_NAME:
        raise Invalid("the name is too long: at most %d characters" % MAX_NAME)
    if len(email) > MAX_EMAIL or not EMAIL_RE.match(email):
        raise Invalid("please give a valid e-mail address (it is never shown)")
    if website:
        if len(website) > MAX_WEBSITE or not re.match(r"^https?://[^\s/]+\.[^\s]*$", website, re.IGNORECASE) \
                or any(c in website for c in "<>\"'"):
            raise Invalid("the website must be an http(s) address")
    return name, email, website


def safe_website(value: Any) -> str:
    """A commenter's website from an import or an archive: an http(s) address, else nothing."""
    value = str(value or "").strip()
    if len(value) > MAX_WEBSITE or not re.match(r"^https?://[^\s<>\"']+$", value, re.IGNORECASE):
        return ""
    return value



def checked_html(text: str) -> str:
    """A comment's text rendered, or `Invalid` when it breaks the text rules or names too many addresses."""
    try:
        html = render(text)
    except CommentTextError as error:
        raise Invalid(str(error)) from None
    if links_in(text) > MAX_LINKS:
        raise Invalid("a comment may name at most %d web addresses" % MAX_LINKS)
    return html


class Comments:
    def __init__(self, db, site_id: Any) -> None:
        self._db = db  # for the live readers' events (cms/store/events.py)
        self._site_id = site_id
        # Writes move the change counter only when readers would see the difference (`_shown`).
        self._comments = Scoped(db.comments, site_id, affects_pages=False)
        self._blocks = Scoped(db.comment_blocks, site_id, affects_pages=False)
        self._changes = Changes(db)

    async def _shown(self) -> None:
        await self._changes.bump(self._site_id)

    # --- writing -------------------------------------------------------------------

    async def add(self, post: dict, text: str, *, status: str, parent_id: str | None = None,
                  user: dict | None = None, name: str = "", email: str = "", website: str = "",
                  address: str = "") -> dict:
        """A new comment on ``post`` (a post of this site); `Invalid`/`Duplicate` and nothing stored
        when it breaks a rule, its sender is blocked, or it repeats a recent one."""
        if status not in STATUSES:
            raise ValueError("unknown status %r" % status)
        html = checked_html(text)
        if user is not None:
            name, email, website = user.get("name") or user.get("username") or "", user.get("email", ""), ""
        else:
            name, email, website = clean_guest(name, email, website)
        if await self.blocked(email, address):
            raise Invalid("comments from this sender are not accepted on this site")
        parent = None
        if parent_id:
            found = await self.get(parent_id) if ID_RE.match(str(parent_id)) else None
            if found is None or found["post_id"] != post["_id"] or found["status"] != "approved":
                raise Invalid("the comment you reply to is not there")
            parent = found.get("parent") or found["_id"]  # one level of replies
        digest = digest_of(text)
        since = utcnow() - DUPLICATE_WINDOW
        if await self._comments.find_one({"post_id": post["_id"], "digest": digest, "created": {"$gt": since}},
                                         {"_id": 1}) is not None:
            raise Duplicate("this comment was already sent")
        comment = {"_id": new_id(), "post_id": post["_id"], "parent": parent, "name": name, "email": email,
                   "website": website, "user_id": user["_id"] if user else None, "text": text, "html": html,
                   "status": status, "address": address, "digest": digest, "created": utcnow(), "edited": None}
        await self._comments.insert_one(comment)
        if status == "approved":
            await self._shown()
            events.comment_approved(self._site_id, post["_id"], comment)
            await live_events.comment_approved(self._db, self._site_id, post["_id"], comment)  # other processes
        return comment

    async def edit(self, comment_id: str, user_id: Any, text: str, now: dt.datetime | None = None) -> dict:
        """A member's change to their own comment, within `EDIT_WINDOW` of sending it."""
        comment = await self.get(comment_id)
        if comment is None or user_id is None or comment.get("user_id") != user_id:
            raise NotFound("no such comment of yours")
        if (now or utcnow()) - aware(comment["created"]) > EDIT_WINDOW:
            raise Invalid("a comment can be changed for %d minutes after sending it"
                          % (EDIT_WINDOW.total_seconds() // 60))
        html = checked_html(text)
        # A replace, not ``$set``: nx-27017 stores a datetime written by ``$set`` as a string
        # (pinned in tests/http/test_admin_revisions.py), MongoDB as a date.
        changed = {**comment, "text": text, "html": html, "digest": digest_of(text), "edited": utcnow()}
        await self._comments.replace_one({"_id": comment_id}, changed)
        if changed["status"] == "approved":
            await self._shown()
        return changed

    async def moderate(self, comment_id: str, status: str) -> dict:
        """Approve, reject or mark as spam; `NotFound` for another site's or a missing comment."""
        if status not in STATUSES:
            raise Invalid("unknown status %r" % status)
        before = await self.get(comment_id)
        if before is None:
            raise NotFound("no such comment")
        after = {**before, "status": status, "moderated": utcnow()}  # a replace: see `edit`
        await self._comments.replace_one({"_id": comment_id}, after)
        if "approved" in (before["status"], status) and before["status"] != status:
            await self._shown()
        if status == "approved" and before["status"] != "approved":
            events.comment_approved(self._site_id, after["post_id"], after)
            await live_events.comment_approved(self._db, self._site_id, after["post_id"], after)  # other processes
        return after

    async def delete(self, comment_id: str) -> bool:
        """Delete a comment and its replies; False when it is not there."""
        comment = await self.get(comment_id)
        if comment is None:
            return False
        await self._comments.delete_many({"$or": [{"_id": comment_id}, {"parent": comment_id}]})
        await self._shown()
        return True

    async def import_approved(self, post_id: str, source: str, comments: Iterable[dict], announce: bool = True) -> int:
        """Approved comments of an imported post (the importers' raw form: ``source_id``,
        ``parent_source_id``, ``author``, ``email``, ``url``, ``created``, ``html``); pingbacks
        and trackbacks are left out, and re-runs add nothing (the id is made from the source's).
        ``announce=False``: the caller moves the change counter (an import: once for many posts)."""
        return await self.import_approved_many(source, [(post_id, comments)], announce)

    async def import_approved_many(self, source: str, posts: Iterable[tuple[str, Iterable[dict]]],
                                   announce: bool = True) -> int:
        """`import_approved` of many posts' comments, in one write (an import's batch)."""
        added = 0
        documents: list[dict] = []
        for post_id, comments in posts:
            parents: dict[str, str] = {}
            for raw in comments:
                if (raw.get("type") or "comment") != "comment":
                    continue
                key = "%s:%s:%s:%s" % (self._site_id, source, post_id, raw.get("source_id"))
                comment_id = hashlib.sha256(key.encode()).hexdigest()[:24]
                parents[str(raw.get("source_id"))] = comment_id
                text = raw.get("text") or raw.get("html") or ""
                try:
                    html = render(text[:5000])
                except CommentTextError:
                    continue
                parent = parents.get(str(raw.get("parent_source_id") or ""))
                website = safe_website(raw.get("url"))
                documents.append({
                    "_id": comment_id, "post_id": post_id, "parent": parent,
                    "name": (raw.get("author") or "")[:80] or "Anonymous", "email": raw.get("email") or "",
                    "website": website[:MAX_WEBSITE], "user_id": None, "text": text, "html": html,
                    "status": "approved", "address": "", "digest": digest_of(text),
                    "created": raw.get("created") or utcnow(), "edited": None, "source": source,
                    "source_id": str(raw.get("source_id"))})
        if documents:  # one write; those kept before are refused by their id
            try:
                await self._comments.insert_many(documents, ordered=False)
                added = len(documents)
            except pymongo.errors.BulkWriteError as error:
                if any(e.get("code") != 11000 for e in error.details.get("writeErrors", [])):
                    raise
                added = len(documents) - len(error.details["writeErrors"])
        if added and announce:
            await self._shown()
        return added

    async def restore(self, post_id: str, item: dict, *, parent: str | None, user_id: Any,
                      created: dt.datetime | None, edited: dt.datetime | None) -> dict:
        """A comment from a site archive (`cms.export.restore_site` checked it), under a new id."""
        text = item["text"]
        try:
            html = render(text)
        except CommentTextError as error:
            raise Invalid(str(error)) from None
        document = {"_id": new_id(), "post_id": post_id, "parent": parent, "name": str(item.get("name") or "")[:MAX_NAME],
                    "email": str(item.get("email") or "")[:MAX_EMAIL], "website": safe_website(item.get("website")),
                    "user_id": user_id, "text": text, "html": html, "status": item["status"], "address": "",
                    "digest": digest_of(text), "created": created or utcnow(), "edited": edited}
        if item.get("source"):
            document.update(source=str(item["source"]), source_id=str(item.get("source_id")))
        await self._comments.insert_one(document)
        return document  # the restore's last step (the site's settings) moves the change counter

    # --- reading -------------------------------------------------------------------

    async def get(self, comment_id: Any) -> dict | None:
        if not isinstance(comment_id, str) or not ID_RE.match(comment_id):
            return None
        return await self._comments.find_one({"_id": comment_id})

    async def approved(self, post_id: Any) -> list[dict]:
        """A post's approved comments, oldest first, each top one with its ``replies``."""
        cursor = self._comments.find({"post_id": post_id, "status": "approved"}).sort([("created", 1), ("_id", 1)])
        top: list[dict] = []
        by_id: dict[str, dict] = {}
        replies: list[dict] = []
        async for comment in cursor:
            if comment.get("parent"):
                replies.append(comment)
            else:
                comment["replies"] = []
                by_id[comment["_id"]] = comment
                top.append(comment)
        for reply in replies:
            if reply["parent"] in by_id:
                by_id[reply["parent"]]["replies"].append(reply)
        return top

    async def counts(self, post_ids: Iterable[Any]) -> dict[Any, int]:
        """Approved comments of each of these posts (those without any are left out).

        A find of their ids rather than an aggregate: reader pages send finds through
        an index only (tests/http/test_embedded_database.py), and a list's posts have few."""
        ids = list(post_ids)
        if not ids:
            return {}
        counted: dict[Any, int] = {}
        async for row in self._comments.find({"post_id": {"$in": ids}, "status": "approved"}, {"post_id": 1}):
            counted[row["post_id"]] = counted.get(row["post_id"], 0) + 1
        return counted

    async def status_counts(self) -> dict[str, int]:
        pipeline = [{"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        found = {row["_id"]: row["n"] async for row in self._comments.aggregate(pipeline)}
        return {status: found.get(status, 0) for status in STATUSES}

    async def queue(self, status: str = "pending", limit: int = QUEUE_PAGE) -> list[dict]:
        """The admin's list: comments of one status, newest first."""
        if status not in STATUSES:
            raise Invalid("unknown status %r" % status)
        cursor = self._comments.find({"status": status}).sort([("created", -1), ("_id", -1)]).limit(limit)
        return [comment async for comment in cursor]

    async def all(self):
        """Every comment of the site, oldest first (the export)."""
        async for comment in self._comments.find({}).sort([("created", 1), ("_id", 1)]):
            yield comment

    # --- the blocklist ---------------------------------------------------------------

    async def block(self, kind: str, value: str) -> dict:
        """Refuse comments from an e-mail address or a client address from now on."""
        value = (value or "").strip().lower()
        if kind not in ("email", "address") or not value or len(value) > MAX_EMAIL:
            raise Invalid("block an e-mail address or a client address")
        entry = {"_id": new_id(), "kind": kind, "value": value, "created": utcnow()}
        try:
            await self._blocks.insert_one(entry)
        except pymongo.errors.DuplicateKeyError:
            raise Duplicate("%s is already blocked" % value) from None
        return entry

    async def unblock(self, block_id: str) -> bool:
        if not isinstance(block_id, str) or not ID_RE.match(block_id):
            return False
        return (await self._blocks.delete_one({"_id": block_id})).deleted_count == 1

    async def blocks(self) -> list[dict]:
        return [entry async for entry in self._blocks.find({}).sort("created", -1)]

    async def blocked(self, email: str, address: str) -> bool:
        values = [v for v in ((email or "").strip().lower(), (address or "").strip().lower()) if v]
        if not values:
            return False
        return await self._blocks.find_one({"value": {"$in": values}}, {"_id": 1}) is not None
