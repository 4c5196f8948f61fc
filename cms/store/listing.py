"""What a site's reader pages list, read once per change of the site.

Reader pages need a site's published posts in order: a post's neighbours,
the number of posts of a list, tag counts, the sitemap, the authors, the
next scheduled publication. Asked of the database on every render, that was
a count and a scan of the site's posts per page -- and on the embedded
server worse: it counts by scanning, and a ``published_at <= now`` filter
makes it leave its index and evaluate every post of the platform in Python
(tests/http/test_embedded_database.py pins both). So one tenant paid for
every other tenant's data.

Instead, one query per site and change reads the few fields those need of
every published post and page (scheduled ones included: the app decides
what is visible, by the clock). The result is kept per process under the
site's change counter -- read first, so a write that lands during the scan
only makes the next render build it again. What is visible is decided when
asked, by the clock, so a scheduled post's time coming needs no new scan.
The posts themselves, with their HTML, are still fetched
page by page with an index (`cms.store.posts.Posts.published`).
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import dataclasses
import datetime as dt
import json
import uuid
import zlib
from typing import Any

import bson

from cms.store.scoped import RESET, STAMP, Scoped, now_ms

FIELDS = {"type": 1, "slug": 1, "title": 1, "published_at": 1, "updated_at": 1, "tags": 1, "tag_slugs": 1,
          "author_id": 1, "version": 1, "featured_image.url": 1}  # the sitemap lists featured images
KEEP_SITES = 2000  # listings kept per process (least recently used go first)
OVERLAP_MS = 60_000  # how late a stamped write may land and still be caught up on
WHOLE_EVERY_MS = 24 * 3600_000  # a listing is read whole at least this often
SAVE_EVERY_MS = 10 * 60_000  # how often a caught-up listing is kept again (so catching up stays short)
PART = 20_000  # entries per part of a kept listing (a part stays far below 16 MB)
KEEP_FROM = 1000  # a smaller site is read whole as fast as its kept copy: none is kept


@dataclasses.dataclass
class Listing:
    entries: list[dict]  # every published post and page of the site, oldest first (scheduled ones too)
    counter: int
    read_ms: int = 0  # when the read it comes from began (now_ms)
    whole_ms: int = 0  # when the last read of every post of the site began
    saved_ms: int = 0  # the read_ms of the copy kept in the database

    @property
    def next_publication(self) -> dt.datetime | None:
        now = dt.datetime.now(dt.timezone.utc)
        return min((e["published_at"] for e in self.entries if e["published_at"] > now), default=None)

    def visible(self, type: str = "post", now: dt.datetime | None = None) -> list[dict]:
        """The visible documents of ``type``, newest first."""
        now = now or dt.datetime.now(dt.timezone.utc)
        return [e for e in reversed(self.entries) if e["type"] == type and e["published_at"] <= now]

    def _matching(self, entries: list[dict], tag: str | None, author_id: Any) -> list[dict]:
        return [e for e in entries if (tag is None or tag in e.get("tag_slugs", ()))
                and (author_id is None or e.get("author_id") == author_id)]

    def count(self, tag: str | None = None, author_id: Any = None, now: dt.datetime | None = None) -> int:
        """Visible posts (of a tag, of an author)."""
        return len(self._matching(self.visible("post", now), tag, author_id))

    def ahead(self, tag: str | None = None, author_id: Any = None, now: dt.datetime | None = None,
              type: str = "post") -> int:
        """Scheduled posts (of a tag, of an author): they lead the newest-first order of published ones."""
        now = now or dt.datetime.now(dt.timezone.utc)
        later = [e for e in self.entries if e["type"] == type and e["published_at"] > now]
        return len(self._matching(later, tag, author_id))

    def neighbours(self, post: dict) -> tuple[dict | None, dict | None]:
        """The visible posts just before (older) and after (newer) ``post``."""
        posts = self.visible("post")[::-1]  # oldest first
        times = [e["published_at"] for e in posts]
        when = post["published_at"]
        before = bisect.bisect_left(times, when)
        after = bisect.bisect_right(times, when)
        older = posts[before - 1] if before > 0 else None
        newer = posts[after] if after < len(posts) else None
        return older, newer

    def tag_counts(self) -> list[dict]:
        """Each tag of visible posts: ``{"slug", "name", "count"}``, most used first."""
        counts: dict[str, dict] = {}
        for post in reversed(self.visible("post")):  # oldest first: the first spelling wins
            for name, slug in zip(post.get("tags", []), post.get("tag_slugs", [])):
                entry = counts.setdefault(slug, {"slug": slug, "name": name, "count": 0})
                entry["count"] += 1
        return sorted(counts.values(), key=lambda t: (-t["count"], t["slug"]))

    def tag_name(self, tag_slug: str) -> str | None:
        for post in self.visible("post"):
            if tag_slug in post.get("tag_slugs", ()):
                return post["tags"][post["tag_slugs"].index(tag_slug)]
        return None

    def version(self, type: str, slug: str) -> int | None:
        """The version of a visible post or page (None: not visible), for its kept page."""
        versions = self.__dict__.get("_versions")
        if versions is None:
            versions = self.__dict__["_versions"] = {(e["type"], e["slug"]): e for e in self.entries}
        entry = versions.get((type, slug))
        if entry is None or entry["published_at"] > dt.datetime.now(dt.timezone.utc):
            return None
        return entry.get("version")

    def author_ids(self) -> list[Any]:
        return list(dict.fromkeys(e["author_id"] for e in self.visible("post")))


def nest_dotted(entry: dict) -> dict:
    """A listing entry as MongoDB returns it: the embedded server answers a dotted
    projection (``featured_image.url``) flat, as ``{"featured_image.url": ...}``
    (tests/http/test_embedded_database.py); MongoDB nests it."""
    for key in [key for key in entry if "." in key]:
        outer, inner = key.split(".", 1)
        entry.setdefault(outer, {})[inner] = entry.pop(key)
    return entry


class Listings:
    """The listings of a process, one per site, each valid under one change counter.

    A site's listing is read whole once; after that a change of the site is caught
    up by reading only the posts written since (`cms.store.scoped.STAMP`), and the
    listing is kept in the database (`Snapshots`), so another process, or this one
    after a restart, starts from it instead of reading every post. On the embedded
    server every document read costs ~50 us whatever its size, and a post's whole
    document is read even for a projection: a 50,000-post site's first page took
    over 10 s. It is read whole again when published posts were deleted (`RESET`:
    a delete leaves nothing to catch up on) and at least once a day.
    """

    def __init__(self) -> None:
        self._kept: collections.OrderedDict[Any, Listing] = collections.OrderedDict()
        self._building: dict[Any, asyncio.Future] = {}
        self.whole_reads = 0  # reads of every post of a site (tests and benchmarks watch it)

    def peek(self, db: Any, site_id: Any, counter: int) -> Listing | None:
        """The site's listing if it was read under ``counter`` or later (no query)."""
        kept = self._kept.get((id(db.client), db.name, site_id))
        return kept if kept is not None and kept.counter >= counter else None

    async def get(self, db: Any, posts: Any, site_id: Any, known: int | None = None) -> Listing:
        """``posts``: the site's `Scoped` posts collection; ``known``: the site's counter
        as the caller knows it (cms.changewatch), which spares reading it when the kept
        listing is that recent."""
        key = (id(db.client), db.name, site_id)
        if known is not None:
            kept = self.peek(db, site_id, known)
            if kept is not None:
                self._kept.move_to_end(key)
                return kept
        doc = await db.changes.find_one({"site_id": site_id}, {"n": 1, RESET: 1})
        counter = doc["n"] if doc else 0
        reset = (doc or {}).get(RESET, 0)
        kept = self._kept.get(key)
        if kept is not None and kept.counter == counter:
            self._kept.move_to_end(key)
            return kept
        building = self._building.get(key)
        if building is not None:  # one read per site at a time; the others wait for it
            listing = await asyncio.shield(building)
            if listing.counter == counter:
                return listing
        future = asyncio.get_running_loop().create_future()
        self._building[key] = future
        try:
            listing = await self._read(db, posts, site_id, kept, counter, reset)
        except BaseException as e:
            future.set_exception(e)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            if self._building.get(key) is future:
                del self._building[key]
        future.set_result(listing)
        self._kept[key] = listing
        self._kept.move_to_end(key)
        while len(self._kept) > KEEP_SITES:
            self._kept.popitem(last=False)
        return listing

    async def _read(self, db: Any, posts: Any, site_id: Any, kept: Listing | None, counter: int,
                    reset: int) -> Listing:
        started = now_ms()
        snapshots = Snapshots(db, site_id)
        base = kept if kept is not None else await snapshots.load()
        if base is None or base.whole_ms < max(reset, started - WHOLE_EVERY_MS) + OVERLAP_MS:
            self.whole_reads += 1
            cursor = posts.find({"status": "published"}, FIELDS).sort([("published_at", 1), ("_id", 1)])
            listing = Listing([nest_dotted(e) async for e in cursor], counter, started, started)
            await snapshots.save(listing, replacing=base is not None and base.saved_ms > 0)
            return listing
        # Posts written since the base was read, and a margin for writes that were on
        # their way then (a stamp is the writer's clock when it sent the write).
        changed = {e["_id"]: e async for e in posts.find({STAMP: {"$gte": base.read_ms - OVERLAP_MS}},
                                                         {**FIELDS, "status": 1})}
        entries = [e for e in base.entries if e["_id"] not in changed]
        for entry in changed.values():
            if entry.pop("status", None) == "published":
                entries.append(nest_dotted(entry))
        entries.sort(key=lambda e: (e["published_at"], e["_id"]))
        listing = Listing(entries, counter, started, base.whole_ms, base.saved_ms)
        if started - listing.saved_ms > SAVE_EVERY_MS:
            await snapshots.save(listing)
        return listing


class Snapshots:
    """A site's listing kept in the database (collection ``listings``), so that a new
    process does not read every post of the site. Entries are stored as compressed
    JSON in parts of `PART` entries; every part carries the id of the snapshot it
    belongs to, and parts of two snapshots written at once are never mixed: such a
    snapshot is not used (the listing is read whole, and saved again)."""

    def __init__(self, db: Any, site_id: Any) -> None:
        self._parts = Scoped(db.listings, site_id, affects_pages=False)

    async def load(self) -> Listing | None:
        docs = [d async for d in self._parts.find({})]
        if not docs:
            return None
        first = docs[0]
        if len(docs) != first["parts"] or any(d["snapshot"] != first["snapshot"] for d in docs):
            return None
        entries: list[dict] = []
        for doc in sorted(docs, key=lambda d: d["part"]):
            entries.extend(json.loads(zlib.decompress(doc["data"]), object_hook=_decoded))
        return Listing(entries, -1, first["read_ms"], first["whole_ms"], first["read_ms"])

    async def save(self, listing: Listing, replacing: bool = True) -> None:
        """Keep ``listing``; one below `KEEP_FROM` entries is not kept, and the kept copy it
        would replace (``replacing``: there may be one) goes."""
        if len(listing.entries) < KEEP_FROM:
            if replacing:
                await self._parts.delete_many({})
            return
        snapshot = uuid.uuid4().hex
        chunks = [listing.entries[i:i + PART] for i in range(0, len(listing.entries), PART)] or [[]]
        for part, chunk in enumerate(chunks):
            data = zlib.compress(json.dumps(chunk, default=_encoded, separators=(",", ":")).encode(), 1)
            await self._parts.replace_one(
                {"_id": "%s:%d" % (self._parts.site_id, part)},
                {"part": part, "parts": len(chunks), "snapshot": snapshot, "read_ms": listing.read_ms,
                 "whole_ms": listing.whole_ms, "data": bson.Binary(data)}, upsert=True)
        await self._parts.delete_many({"part": {"$gte": len(chunks)}})
        listing.saved_ms = listing.read_ms


def _encoded(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"$t": value.astimezone(dt.timezone.utc).isoformat()}
    raise TypeError("a listing entry holds %r" % type(value))


def _decoded(value: dict) -> Any:
    return dt.datetime.fromisoformat(value["$t"]) if value.keys() == {"$t"} else value


LISTINGS = Listings()  # the process's (the stores are made per request)
