"""Redirects: old addresses of a site that lead somewhere else.

A reader who follows an old link (a post whose slug was renamed, a merged
tag, a WordPress or Ghost permalink from before an import, a path the admin
typed) gets a 301 or 302 instead of a 404. The table is only read when a
reader page is about to answer 404 (`cms.handlers.base.SiteHandler.not_found`),
so a working page never pays for it.

One document per old path and site::

    {"site_id", "from": "/2019/05/hello", "to": "/posts/hello" or "https://...",
     "code": 301 | 302, "source": "slug" | "import" | "manual" | "tag", "created_at"}

``(site_id, from)`` is unique. ``from`` is normalised (`normalise_from`): the
path only (a full URL's host and query are dropped), percent-encoding made
canonical, no trailing slash, so ``/2019/05/hello/`` and
``https://old.example.org/2019/05/hello`` are one entry.

The API (``store.redirects`` of a `cms.store.SiteStore`)::

    await store.redirects.add("/old", "/posts/new", code=301, source="manual")  # Invalid, Duplicate
    await store.redirects.add_many([{"from": "/2019/05/hello/", "to": "/posts/hello"},
                                    ("/archives/12", "/posts/hello")], source="import")
    await store.redirects.resolve("/old", counter)  # -> Redirect(to, code) or None
    await store.redirects.all()                     # the admin's list, newest first
    await store.redirects.delete(redirect_id)       # True if it was there
    await store.redirects.moved("/posts/a", "/posts/b", source="slug")  # a renamed address

``add_many`` is idempotent: an entry already there with the same target is
left alone, one with another target of the same source is updated, and one
the admin wrote by hand (``manual``) is never overwritten by an import. It
checks every entry first and raises `Invalid` (naming the bad one) before
writing anything. Refused everywhere: redirecting the platform's own
addresses (``/admin``, ``/healthz``, feeds, ``/media``... see `RESERVED`), a
redirect to itself, and loops through the table. Targets are a path of the
site or an absolute ``http(s)`` URL.

Chains are followed when read: after ``/a`` -> ``/b`` and ``/b`` -> ``/c``,
``/a`` answers with ``/c`` directly. ``moved`` (slug and tag renames) also
drops the entry *from* the new address, so renaming back and forth never
makes a loop, and an address that is live again (a new post reusing an old
slug) wins simply because it answers before any 404.

Lookups are kept per process and site under the site's change counter
(every write here moves it, `cms.store.scoped.Scoped`), so a miss costs one
indexed query at most once per change.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import logging
import re
from typing import Any, Iterable, Mapping
from urllib.parse import quote, unquote, urlsplit

import pymongo

from cms.store.errors import Duplicate, Invalid
from cms.store.ids import new_id
from cms.store.scoped import Scoped

log = logging.getLogger(__name__)

CODES = (301, 302)
SOURCES = ("slug", "import", "manual", "tag")
MAX_URL = 2000
MAX_HOPS = 10  # a chain longer than this is cut (the table refuses loops; this bounds a race)
BATCH = 500  # entries of add_many read and written per round
KEEP_PATHS = 1000  # lookups kept per site (least recently used go first)
KEEP_SITES = 2000
# The platform's own addresses: a redirect there would never be reached (the route answers
# first) or would hide a page people and machines rely on.
RESERVED = ("/admin", "/login", "/logout", "/auth", "/api", "/healthz", "/readyz", "/static", "/media",
            "/modules", "/.well-known", "/site.css", "/favicon.ico", "/robots.txt", "/sitemap", "/feed.xml",
            "/rss.xml", "/feed.json", "/search", "/apple-touch-icon.png")
# Kept as is when a path is put in canonical form: RFC 3986's unreserved characters and
# the sub-delimiters that are legal in a path.
_PATH_SAFE = "/-._~!$&'()*+,;=:@"
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


@dataclasses.dataclass(frozen=True)
class Redirect:
    to: str
    code: int


def _canonical_path(path: str) -> str:
    path = quote(unquote(path), safe=_PATH_SAFE)
    path = re.sub(r"/{2,}", "/", path)
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return path


def normalise_from(value: str) -> str:
    """The path of an old address, in the one form the table keys it by."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid("the old address is empty")
    value = value.strip()
    if len(value) > MAX_URL or _CONTROL.search(value):
        raise Invalid("the old address %r is not a valid path" % value[:100])
    parts = urlsplit(value)
    if parts.scheme and parts.scheme not in ("http", "https"):
        raise Invalid("the old address %r is not a path of this site" % value[:100])
    if not parts.scheme and not value.startswith("/"):
        raise Invalid("the old address %r must start with /" % value[:100])
    path = _canonical_path(parts.path or "/")
    if path == "/":
        raise Invalid("the home page cannot be redirected")
    lowered = path.lower()
    for reserved in RESERVED:
        if lowered == reserved or lowered.startswith(reserved.rstrip("/") + "/") or (
                reserved == "/sitemap" and lowered.startswith("/sitemap")):
            raise Invalid("%s is an address of the platform itself and cannot be redirected" % path)
    return path


def normalise_to(value: str) -> str:
    """A target: a path of the site (query kept) or an absolute http(s) URL."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid("the new address is empty")
    value = value.strip()
    if len(value) > MAX_URL or _CONTROL.search(value):
        raise Invalid("the new address %r is not a valid address" % value[:100])
    parts = urlsplit(value)
    if parts.scheme:
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Invalid("the new address %r must be a path (/...) or an http(s) URL" % value[:100])
        return value
    if not value.startswith("/") or value.startswith("//") or value.startswith("/\\"):
        # "//host/x" is another host for a browser: say so with a full URL.
        raise Invalid("the new address %r must be a path (/...) or an http(s) URL" % value[:100])
    path = _canonical_path(parts.path)
    return path + ("?" + parts.query if parts.query else "")


def _target_path(to: str) -> str | None:
    """The table key a target would be looked up by (None: another site's URL)."""
    if urlsplit(to).scheme:
        return None
    return _canonical_path(urlsplit(to).path)


def _entry(item: Any) -> tuple[Any, Any, Any]:
    if isinstance(item, Mapping):
        return item.get("from"), item.get("to"), item.get("code", 301)
    if isinstance(item, (tuple, list)) and len(item) in (2, 3):
        return item[0], item[1], item[2] if len(item) == 3 else 301
    raise Invalid("a redirect is {'from': ..., 'to': ...} or (from, to): got %r" % (item,))


def _code(code: Any) -> int:
    if code not in CODES or isinstance(code, bool):
        raise Invalid("the redirect code must be 301 (moved for good) or 302 (for now)")
    return int(code)


class _Lookups:
    """Resolved paths per site, kept while the site's change counter stays the same."""

    def __init__(self) -> None:
        self._sites: collections.OrderedDict[Any, tuple[int, collections.OrderedDict]] = collections.OrderedDict()

    def get(self, key: Any, counter: int, path: str) -> Any:
        kept = self._sites.get(key)
        if kept is None or kept[0] != counter or path not in kept[1]:
            return KeyError
        self._sites.move_to_end(key)
        kept[1].move_to_end(path)
        return kept[1][path]

    def put(self, key: Any, counter: int, path: str, found: Redirect | None) -> None:
        kept = self._sites.get(key)
        if kept is None or kept[0] != counter:
            kept = self._sites[key] = (counter, collections.OrderedDict())
        kept[1][path] = found
        while len(kept[1]) > KEEP_PATHS:
            kept[1].popitem(last=False)
        self._sites.move_to_end(key)
        while len(self._sites) > KEEP_SITES:
            self._sites.popitem(last=False)


LOOKUPS = _Lookups()


class Redirects:
    def __init__(self, db, site_id: Any) -> None:
        self._db_name = db.name
        self._site_id = site_id
        self._redirects = Scoped(db.redirects, site_id)

    # --- reading ---------------------------------------------------------------

    async def resolve(self, path: str, counter: int | None = None) -> Redirect | None:
        """Where a reader asking for ``path`` (which answered 404) should go, chains followed.

        ``counter``: the site's change counter as the caller read it; lookups are kept under it.
        """
        try:
            key = normalise_from(path)
        except Invalid:
            return None
        cache_key = (self._db_name, self._site_id)
        if counter is not None:
            kept = LOOKUPS.get(cache_key, counter, key)
            if kept is not KeyError:
                return kept
        found = await self._follow(key)
        if counter is not None:
            LOOKUPS.put(cache_key, counter, key, found)
        return found

    async def _follow(self, path: str) -> Redirect | None:
        seen = {path}
        found: Redirect | None = None
        current = path
        for _ in range(MAX_HOPS):
            doc = await self._redirects.find_one({"from": current}, {"to": 1, "code": 1})
            if doc is None:
                break
            # The first hop's code says how permanent the move is; the last hop says where.
            found = Redirect(doc["to"], found.code if found else doc.get("code", 301))
            current = _target_path(doc["to"])
            if current is None or current in seen:
                break
            seen.add(current)
        return found

    async def all(self, limit: int = 1000) -> list[dict]:
        cursor = self._redirects.find({}).sort([("created_at", -1), ("_id", -1)]).limit(limit)
        return [doc async for doc in cursor]

    async def count(self) -> int:
        return await self._redirects.count_documents({})

    # --- writing ---------------------------------------------------------------

    async def _check_loop(self, from_path: str, to: str, planned: Mapping[str, str] | None = None) -> None:
        current = _target_path(to)
        for _ in range(MAX_HOPS + 1):
            if current is None:
                return
            if current == from_path:
                raise Invalid("%s -> %s would make a loop" % (from_path, to))
            if planned is not None and current in planned:
                following = planned[current]
            else:
                doc = await self._redirects.find_one({"from": current}, {"to": 1})
                if doc is None:
                    return
                following = doc["to"]
            current = _target_path(following)
        raise Invalid("%s -> %s leads through too many redirects" % (from_path, to))

    async def add(self, from_path: str, to: str, code: int = 301, source: str = "manual") -> dict:
        """One new redirect; `Duplicate` when that old address has one already."""
        if source not in SOURCES:
            raise Invalid("unknown source %r" % source)
        from_path, to, code = normalise_from(from_path), normalise_to(to), _code(code)
        await self._check_loop(from_path, to)
        doc = {"_id": new_id(), "from": from_path, "to": to, "code": code, "source": source,
               "created_at": dt.datetime.now(dt.timezone.utc)}
        try:
            await self._redirects.insert_one(doc)
        except pymongo.errors.DuplicateKeyError:
            raise Duplicate("%s already redirects somewhere: delete that redirect first" % from_path) from None
        return doc

    async def add_many(self, items: Iterable[Any], source: str = "import") -> int:
        """Add or update many redirects at once (idempotent); returns how many were written.

        Every entry is checked before anything is written; the first bad one
        raises `Invalid` naming it. Later entries for one old address win.
        """
        if source not in SOURCES:
            raise Invalid("unknown source %r" % source)
        planned: dict[str, tuple[str, int]] = {}
        for item in items:
            raw_from, raw_to, raw_code = _entry(item)
            from_path, to, code = normalise_from(raw_from), normalise_to(raw_to), _code(raw_code)
            planned[from_path] = (to, code)
        targets = {key: to for key, (to, _) in planned.items()}
        for from_path, (to, _) in planned.items():
            await self._check_loop(from_path, to, targets)
        written = 0
        keys = list(planned)
        for start in range(0, len(keys), BATCH):
            chunk = keys[start:start + BATCH]
            existing = {doc["from"]: doc async for doc in self._redirects.find({"from": {"$in": chunk}})}
            new_docs = []
            now = dt.datetime.now(dt.timezone.utc)
            for key in chunk:
                to, code = planned[key]
                doc = existing.get(key)
                if doc is None:
                    new_docs.append({"_id": new_id(), "from": key, "to": to, "code": code, "source": source,
                                     "created_at": now})
                elif (doc["to"], doc.get("code")) != (to, code) and doc.get("source") == source:
                    await self._redirects.replace_one({"_id": doc["_id"]}, {**doc, "to": to, "code": code})
                    written += 1
            if new_docs:
                written += await self._insert_new(new_docs)
        return written

    async def _insert_new(self, docs: list[dict]) -> int:
        """Insert, leaving alone any old address another writer added meanwhile."""
        try:
            result = await self._redirects.insert_many(docs, ordered=False)
            return len(result.inserted_ids)
        except pymongo.errors.BulkWriteError as error:
            if any(e.get("code") != 11000 for e in error.details.get("writeErrors", [])):
                raise
            return error.details.get("nInserted", 0)

    async def moved(self, old: str, new: str, source: str = "slug") -> None:
        """An address of the site now lives elsewhere (a slug or a tag renamed).

        The new address is live, so an entry *from* it goes; entries that led
        to the old one lead to the new one; the old one leads to the new one.
        Problems are logged, never raised: the rename itself has been saved.
        """
        try:
            old, new = normalise_from(old), normalise_from(new)
        except Invalid as error:
            log.info("no redirect kept for %s -> %s: %s", old, new, error)
            return
        if old == new:
            return
        await self._redirects.delete_many({"from": new})
        async for doc in self._redirects.find({"to": old}):
            await self._redirects.replace_one({"_id": doc["_id"]}, {**doc, "to": new})
        doc = {"_id": new_id(), "from": old, "to": new, "code": 301, "source": source,
               "created_at": dt.datetime.now(dt.timezone.utc)}
        found = await self._redirects.find_one({"from": old})
        if found is not None:
            await self._redirects.replace_one({"_id": found["_id"]}, {**doc, "_id": found["_id"]})
            return
        try:
            await self._redirects.insert_one(doc)
        except pymongo.errors.DuplicateKeyError:
            log.info("redirect from %s added meanwhile by someone else; kept", old)

    async def delete(self, redirect_id: Any) -> bool:
        if not isinstance(redirect_id, str):
            return False
        return (await self._redirects.delete_one({"_id": redirect_id})).deleted_count == 1
