"""Rendered reader pages, kept per process while nothing they show has changed.

A reader page is the same for every visitor, so the first rendering of a URL
is kept and served again until one of these happens:

* what readers see of the site changes: such a write moves the site's change
  counter (a published post saved, a setting, the theme, a member's name, a
  media deletion -- not a draft, an autosave or an upload); an entry is valid
  only under the counter it was made with, which each process follows in one
  background poll (`cms.changewatch`), so a kept page costs no query and every
  process sees a write within a poll interval (the one that made it, at once);
* a scheduled post's time comes: an entry expires at the next publication
  time of the site (the page would show one more post from then on);
* ``max_age`` passes, so nothing stays longer than that whatever happens;
* room runs out: the least recently used entries go first.

What a change costs readers is bounded too. One render per page at a time
(`claim`): the others wait for that one instead of all rendering the same
page at once. A page that went stale is re-rendered in the background; the
reader who found it waits for the new page at most `RENDER_BUDGET` seconds
and the others not at all: until it is in they get the previous copy, for at
most `MAX_STALE` seconds once no rendering of it is under way (`max_age`
while one is). So a write never makes readers queue behind a render.

An entry keeps what answering needs, made once when it is stored: the body,
its gzip (sent to clients that accept it) and both ETags, so a hit hashes and
compresses nothing, and a matching ``If-None-Match`` gets a 304.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import gzip
import hashlib
import time
from typing import Any, Hashable

MAX_BYTES = 64 * 1024 * 1024
MAX_AGE = 300.0
MAX_STALE = 10.0  # seconds a changed page may still be served while it re-renders
RENDER_BUDGET = 0.1  # seconds the first reader after a change waits for the new page
COMPRESSIBLE = ("text/", "application/xml", "application/atom+xml", "application/rss+xml",
                "application/json", "application/feed+json", "image/svg+xml")
MIN_GZIP = 256  # smaller bodies gain nothing from it


def accepts_gzip(header: str) -> bool:
    """Whether an ``Accept-Encoding`` value takes gzip (``gzip;q=0`` refuses it)."""
    for part in header.split(","):
        name, _, params = part.partition(";")
        if name.strip().lower() in ("gzip", "x-gzip"):
            q = params.replace(" ", "").lower()
            return not (q.startswith("q=0") and q[3:].strip(".0") == "")
    return False


@dataclasses.dataclass
class Entry:
    stamp: Any  # the site's counter n when rendered; for a post's page (s, its version)
    expires: float  # time.time()
    status: int
    content_type: str
    body: bytes
    gzipped: bytes | None = None
    etag: str = ""
    gzip_etag: str = ""
    stale_since: float | None = None  # time.monotonic() when first found stale
    headers: list[tuple[str, str]] | None = None  # as first answered, less what each answer sets (cms.fastpath)
    depends: tuple | None = None  # (type, slug): the page of one post, valid under (s, its version)
    made_second: int | None = None  # its Last-Modified, in whole seconds (cms.fastpath.not_modified)
    shared_second: bool = False  # made within the second of the copy before it

    @classmethod
    def made(cls, stamp: Any, expires: float, status: int, content_type: str, body: bytes) -> "Entry":
        """An entry with its ETag and, for text, its gzip: the work a hit then skips."""
        digest = hashlib.sha1(body).hexdigest()
        gzipped = None
        if len(body) >= MIN_GZIP and content_type.startswith(COMPRESSIBLE):
            gzipped = gzip.compress(body, compresslevel=6, mtime=0)
        return cls(stamp, expires, status, content_type, body, gzipped, '"%s"' % digest, '"%s-gz"' % digest)

    def variant(self, accept_encoding: str) -> tuple[bytes, str, bool]:
        """What to send a client that says ``accept_encoding``: the body, its ETag,
        and whether that is the gzip."""
        if self.gzipped is not None and accepts_gzip(accept_encoding):
            return self.gzipped, self.gzip_etag, True
        return self.body, self.etag, False

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


class PageCache:
    def __init__(self, max_bytes: int = MAX_BYTES, max_age: float = MAX_AGE, max_stale: float = MAX_STALE,
                 render_budget: float = RENDER_BUDGET) -> None:
        self.max_bytes = max_bytes
        self.max_age = max_age
        self.max_stale = max_stale
        self.render_budget = render_budget
        self._entries: collections.OrderedDict[Hashable, Entry] = collections.OrderedDict()
        self._bytes = 0
        self._renders: dict[Hashable, asyncio.Future] = {}
        self._publications: dict[Any, tuple[Any, float]] = {}
        self.hits = 0
        self.stale_hits = 0
        self.misses = 0

    def lookup(self, key: Hashable, stamp: Any) -> tuple[Entry | None, bool]:
        """``(entry, fresh)``: a fresh entry, a stale one still servable (fresh
        False) while it re-renders, or ``(None, False)``."""
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None, False
        if entry.stamp == stamp and entry.expires > time.time():
            self._entries.move_to_end(key)
            self.hits += 1
            return entry, True
        now = time.monotonic()
        if entry.stale_since is None:
            entry.stale_since = now
        elif now - entry.stale_since > (self.max_age if self._rendering(key) else self.max_stale):
            # While its new rendering is under way (slowed down by a large import, say), the
            # previous copy beats a reader waiting for it; past max_age it is too old even so.
            self._drop(key)
            self.misses += 1
            return None, False
        self.stale_hits += 1
        return entry, False

    def depends(self, key: Hashable) -> tuple | None:
        """What the kept entry of ``key`` depends on, if it is one post's page (see `Entry`)."""
        entry = self._entries.get(key)
        return entry.depends if entry is not None else None

    def peek(self, key: Hashable, stamp: Any) -> Entry | None:
        """A fresh entry or None, leaving a stale one for `lookup` to deal with."""
        entry = self._entries.get(key)
        if entry is None or entry.stamp != stamp or entry.expires <= time.time():
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def get(self, key: Hashable, stamp: Any) -> Entry | None:
        """A fresh entry, or None (a stale one is dropped)."""
        entry, fresh = self.lookup(key, stamp)
        if entry is not None and not fresh:
            self._drop(key)
            return None
        return entry

    def put(self, key: Hashable, entry: Entry) -> None:
        entry.expires = min(entry.expires, time.time() + self.max_age)
        if entry.size > self.max_bytes // 16:
            return  # one huge page must not push out everything else
        if key in self._entries:
            self._drop(key)
        self._entries[key] = entry
        self._bytes += entry.size
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        self._bytes -= self._entries.pop(key).size

    def __len__(self) -> int:
        return len(self._entries)

    # --- one render per page at a time ----------------------------------------------

    def claim(self, key: Hashable) -> asyncio.Future | None:
        """None: the caller renders the page and must `release` it. Otherwise the
        render in flight, to wait for (it is done once that page is stored)."""
        flight = self._renders.get(key)
        if flight is not None and not flight.done():
            return flight
        self._renders[key] = asyncio.get_running_loop().create_future()
        return None

    def _rendering(self, key: Hashable) -> bool:
        flight = self._renders.get(key)
        return flight is not None and not flight.done()

    def flight(self, key: Hashable) -> asyncio.Future | None:
        """The render of ``key`` under way, if any."""
        return self._renders.get(key)

    def newest(self, key: Hashable) -> Entry | None:
        """Whatever is kept for ``key``, fresh or not."""
        return self._entries.get(key)

    def discard(self, key: Hashable) -> None:
        if key in self._entries:
            self._drop(key)

    def release(self, key: Hashable) -> None:
        flight = self._renders.pop(key, None)
        if flight is not None and not flight.done():
            flight.set_result(None)

    # --- when a site's pages expire by themselves ------------------------------------

    def publication(self, site_id: Any, stamp: Any) -> float | None:
        """The site's next publication time, as last found under ``stamp``."""
        known = self._publications.get(site_id)
        if known is not None and known[0] == stamp and known[1] > time.time():
            return known[1]
        return None

    def remember_publication(self, site_id: Any, stamp: Any, when: float) -> None:
        self._publications[site_id] = (stamp, when)
