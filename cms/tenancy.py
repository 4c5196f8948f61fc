"""Host -> site resolution: one ranked resolver, cached.

For a request's host name the resolver answers, in this order:

1. the site that lists the host among its custom ``domains``;
2. the site ``<name>`` for ``<name>.<base domain>``;
3. `PLATFORM` for the bare base domain (the platform's own pages);
4. None: an unknown host, which gets a 404 naming no site.

Each site also has one *primary* address (`primary_host`): its chosen,
verified custom domain, else ``<name>.<base domain>``. Every absolute URL a
page carries is built from it (`origin`), never from the Host a request came
with, and reader pages at any other host of the site answer 301 to it
(`cms.handlers.base.SiteHandler`).

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


def primary_host(site: dict, base_domain: str) -> str:
    """The host name of a site's pages: its primary custom domain while that is
    verified (listed in ``domains``), else ``<name>.<base domain>``."""
    primary = site.get("primary_domain")
    if primary and primary in (site.get("domains") or ()):
        return primary
    return "%s.%s" % (site["name"], base_domain)


def port_suffix(host: str, protocol: str) -> str:
    """``":8888"`` for ``"demo.localhost:8888"``; ``""`` when the Host names no port,
    the scheme's default one or something that is not a port.

    The port is the one part of an address taken from the request: behind the
    router there is none, and a laptop or a test server listens on its own.
    """
    host = (host or "").strip()
    port = host.rsplit("]", 1)[-1].rpartition(":")[2] if ":" in host.rsplit("]", 1)[-1] else ""
    if not (port.isascii() and port.isdigit() and len(port) <= 5) or not 0 < int(port) < 65536:
        return ""
    if int(port) == {"http": 80, "https": 443}.get(protocol):
        return ""
    return ":%d" % int(port)


def origin(protocol: str, host: str, request_host: str) -> str:
    """``scheme://host[:port]``: ``host`` is the address to use, ``request_host`` gives the port."""
    return "%s://%s%s" % (protocol, host, port_suffix(request_host, protocol))


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
