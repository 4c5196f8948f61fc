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
"""

from __future__ import annotations

import collections
import dataclasses
import time
from typing import Hashable

MAX_BYTES = 64 * 1024 * 1024
MAX_AGE = 300.0


@dataclasses.dataclass
class Entry:
    stamp: int  # the site's change counter
    expires: float  # time.time()
    status: int
    content_type: str
    body: bytes


class PageCache:
    def __init__(self, max_bytes: int = MAX_BYTES, max_age: float = MAX_AGE) -> None:
        self.max_bytes = max_bytes
        self.max_age = max_age
        self._entries: collections.OrderedDict[Hashable, Entry] = collections.OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, stamp: int) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None or entry.stamp != stamp or entry.expires <= time.time():
            if entry is not None:
                self._drop(key)
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: Hashable, entry: Entry) -> None:
        entry.expires = min(entry.expires, time.time() + self.max_age)
        if len(entry.body) > self.max_bytes // 16:
            return  # one huge page must not push out everything else
        if key in self._entries:
            self._drop(key)
        self._entries[key] = entry
        self._bytes += len(entry.body)
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        self._bytes -= len(self._entries.pop(key).body)

    def __len__(self) -> int:
        return len(self._entries)
