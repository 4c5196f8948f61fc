"""`RateLimiter`: token buckets per key, kept in this process's memory.

For work that is cheap to ask for and dear to do, like a live preview (a
Markdown render for every keystroke pause): each key (a person on a site) may
go ``burst`` times in a row, then ``rate`` times a second. The buckets live in
the process, not the database: a limit per process is what protects that
process's render pool, and checking it costs no round trip. The number of
keys kept is bounded; the least recently used are forgotten first (a
forgotten key starts again with a full bucket).
"""

from __future__ import annotations

import collections
import time
from typing import Callable, Hashable


class RateLimiter:
    """``allow(key)`` is True at most ``burst`` times at once and ``rate`` times a second after."""

    def __init__(self, rate: float, burst: int, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._clock = clock
        self._buckets: collections.OrderedDict[Hashable, tuple[float, float]] = collections.OrderedDict()

    def allow(self, key: Hashable) -> bool:
        """Take a token from ``key``'s bucket; False (and nothing taken) when it is empty."""
        now = self._clock()
        tokens, then = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed


class AddressAndSiteLimits:
    """Rate limits of one kind of reader POST (a comment, a subscription) in this process:
    per client address of a site, and per site (5 at once, then 1 a minute, from one
    address; 30 at once, then 1 every 6 s, for the whole site)."""

    def __init__(self, per_address: tuple[float, int] = (1 / 60, 5), per_site: tuple[float, int] = (1 / 6, 30)) -> None:
        self.address = RateLimiter(*per_address)
        self.site = RateLimiter(*per_site)

    def allow(self, site_id: Hashable, address: str) -> bool:
        return self.address.allow((site_id, address)) and self.site.allow(site_id)
