"""Host -> site resolution: one ranked resolver, cached.

For a request's host name the resolver answers, in this order:

1. the site that lists the host among its custom ``domains``;
2. the site ``<name>`` for ``<name>.<base domain>``;
3. `PLATFORM` for the bare base domain (the platform's own pages);
4. None: an unknown host, which gets a 404 naming no site.

Hits are cached in-process; misses are not (a site created a moment ago must
resolve at once). The cache is dropped whenever the platform's change counter
moves, which every process checks at most once per `check_interval` seconds,
so N processes agree within that time.
"""

from __future__ import annotations

import time
from typing import Any

from cms.store.sites import PLATFORM, Sites

PLATFORM_SITE = object()  # the sentinel for the bare base domain


def host_name(host: str) -> str:
    """``"Demo.Localhost:8888"`` -> ``"demo.localhost"``."""
    host = (host or "").strip().lower()
    if host.startswith("["):  # an IPv6 literal keeps its colons
        return host.split("]")[0] + "]"
    return host.split(":")[0].rstrip(".")


class SiteResolver:
    def __init__(self, db, base_domain: str, check_interval: float = 1.0) -> None:
        self.sites = Sites(db)
        self.base_domain = base_domain
        self.check_interval = check_interval
        self._cache: dict[str, dict] = {}
        self._counter: int | None = None
        self._checked_at = 0.0

    def invalidate(self) -> None:
        self._cache.clear()

    async def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked_at < self.check_interval:
            return
        self._checked_at = now
        counter = await self.sites.changes.current(PLATFORM)
        if counter != self._counter:
            self._counter = counter
            self._cache.clear()

    async def resolve(self, host: str) -> Any:
        """The site document for ``host``, `PLATFORM_SITE`, or None."""
        name = host_name(host)
        if name == self.base_domain:
            return PLATFORM_SITE
        await self._refresh()
        site = self._cache.get(name)
        if site is not None:
            return site
        site = await self.sites.by_domain(name)
        suffix = "." + self.base_domain
        if site is None and name.endswith(suffix):
            label = name[: -len(suffix)]
            if label and "." not in label:
                site = await self.sites.by_name(label)
        if site is not None:
            self._cache[name] = site
        return site
