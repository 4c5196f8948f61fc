"""Host -> site resolution: one ranked resolver, cached.

For a request's host name the resolver answers, in this order:

1. the site that lists the host among its custom ``domains``;
2. the site ``<name>`` for ``<name>.<base domain>``;
3. `PLATFORM` for the bare base domain (the platform's own pages);
4. None: an unknown host, which gets a 404 naming no site.

Hits are cached in-process; misses are not (a site created a moment ago must
resolve at once). The cache is dropped whenever the platform's change counter
moves, as the process's `ChangeWatcher` sees it: at once for a write of this
process, within its poll interval for another's. Resolving a known host
costs no query.
"""

from __future__ import annotations

from typing import Any

from cms.changewatch import ChangeWatcher
from cms.store.changes import PLATFORM
from cms.store.sites import Sites

PLATFORM_SITE = object()  # the sentinel for the bare base domain


def host_name(host: str) -> str:
    """``"Demo.Localhost:8888"`` -> ``"demo.localhost"``."""
    host = (host or "").strip().lower()
    if host.startswith("["):  # an IPv6 literal keeps its colons
        return host.split("]")[0] + "]"
    return host.split(":")[0].rstrip(".")


class SiteResolver:
    def __init__(self, db, base_domain: str, watcher: ChangeWatcher | None = None) -> None:
        self.sites = Sites(db)
        self.base_domain = base_domain
        self.watcher = watcher or ChangeWatcher(db)
        self._cache: dict[str, dict] = {}
        self._counter: int | None = None

    def invalidate(self) -> None:
        self._cache.clear()

    def cached(self, host: str) -> dict | None:
        """The site of ``host`` if this process knows it and may trust that (no query, no wait)."""
        if self._counter is None or self.watcher.known(PLATFORM) != self._counter:
            return None
        return self._cache.get(host_name(host))

    async def _refresh(self) -> None:
        counter = await self.watcher.platform()
        if counter != self._counter:
            self._counter = counter
            self._cache.clear()

    def known(self, host: str) -> Any:
        """What `resolve` would answer from memory alone (None if it would have to ask the database).

        While the database is away, error pages still wear the site's theme.
        """
        name = host_name(host)
        return PLATFORM_SITE if name == self.base_domain else self._cache.get(name)

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
