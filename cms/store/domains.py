"""A site's custom domains: added, proven, chosen as primary, removed.

Kept on the site document, so the host resolver reads them with the site:

* ``domain_claims``: every domain the site added, with the token that proves
  it (``{"name", "token", "added_at"}``);
* ``domains``: the verified ones, the only ones that serve the site. Its
  unique (multikey) index is what makes a domain belong to one site only;
* ``primary_domain``: the verified domain the site's pages live at (absent:
  ``<name>.<base domain>``, see `cms.tenancy.primary_host`).

A domain another site merely *added* may be added here too: the first to
prove it owns it gets it, so nobody can hold a name by adding it without
ever proving it. One that already serves another site is refused.

Every change is a compare-and-swap on ``domains_rev`` over the whole state
(read, edit, write if nobody wrote meanwhile): the embedded server neither
creates a missing array with ``$addToSet`` nor matches a dotted ``$ne`` on a
missing field in an update's filter (both pinned in
tests/http/test_embedded_database.py), and whole-state writes keep the three
fields consistent anyway.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Callable

import pymongo

from cms.store.errors import Conflict, Duplicate, Invalid, NotFound
from cms.store.sites import Sites, validate_domain

MAX_DOMAINS = 10  # per site: enough for www and a few old names
TRIES = 8  # compare-and-swap attempts before a write is reported as a conflict


@dataclasses.dataclass
class Domain:
    """One domain of a site, as the admin page and the CLI show it."""

    name: str
    token: str | None  # None for a domain an operator set from the CLI
    verified: bool
    primary: bool
    added_at: dt.datetime | None = None


@dataclasses.dataclass
class _State:
    claims: list[dict]
    verified: set[str]
    primary: str | None


class SiteDomains:
    """The custom domains of one site (``site_id`` in every query and write)."""

    def __init__(self, db, site_id: Any, base_domain: str | None = None) -> None:
        self._sites = db.sites
        self.site_id = site_id
        self.base_domain = base_domain
        self._changes = Sites(db)

    async def list(self) -> list[Domain]:
        """Every domain of the site: the primary first, then verified ones, then the rest, by name."""
        site = await self._sites.find_one({"_id": self.site_id}, {"domain_claims": 1, "domains": 1,
                                                                    "primary_domain": 1})
        if site is None:
            raise NotFound("no such site")
        return _listing(_state(site))

    async def get(self, name: str) -> Domain:
        for domain in await self.list():
            if domain.name == name:
                return domain
        raise NotFound("%s is not a domain of this site" % name)

    async def add(self, name: str, token: Callable[[str], str]) -> Domain:
        """Add ``name`` (unverified; it serves nothing yet) with the proof ``token(name)``."""
        name = validate_domain(name, self.base_domain)
        other = await self._sites.find_one({"domains": {"$in": [name]}, "_id": {"$ne": self.site_id}}, {"_id": 1})
        if other is not None:
            raise Duplicate("%s belongs to another site" % name)

        def edit(state: _State) -> None:
            if any(claim["name"] == name for claim in state.claims) or name in state.verified:
                raise Duplicate("%s is already a domain of this site" % name)
            if len(_names(state)) >= MAX_DOMAINS:
                raise Invalid("a site has at most %d domains: remove one first" % MAX_DOMAINS)
            state.claims.append({"name": name, "token": token(name),
                                 "added_at": dt.datetime.now(dt.timezone.utc)})

        return _find(await self._change(edit), name)

    async def remove(self, name: str) -> None:
        """Remove ``name``: it serves nothing from the next request (a 404 as an unknown host)."""
        def edit(state: _State) -> None:
            if name not in _names(state):
                raise NotFound("%s is not a domain of this site" % name)
            state.claims = [claim for claim in state.claims if claim["name"] != name]
            state.verified.discard(name)
            if state.primary == name:
                state.primary = None

        await self._change(edit)

    async def mark_verified(self, name: str, token: str) -> Domain:
        """``name`` was proven with ``token``: it serves the site from now on.

        The token must still be the one the domain was added with (it was not
        removed and added again meanwhile). `Duplicate` if another site proved
        it first.
        """
        def edit(state: _State) -> None:
            if not any(c["name"] == name and c.get("token") == token for c in state.claims):
                raise NotFound("%s is not a domain of this site" % name)
            state.verified.add(name)

        return _find(await self._change(edit), name)

    async def make_primary(self, name: str | None) -> None:
        """Pages live at ``name`` (a verified domain) from now on; None: at ``<name>.<base>``."""
        def edit(state: _State) -> None:
            if name is not None and name not in state.verified:
                if name in _names(state):
                    raise Invalid("verify %s before making it the primary address" % name)
                raise NotFound("%s is not a domain of this site" % name)
            state.primary = name

        await self._change(edit)

    async def replace(self, names: list[str]) -> list[str]:
        """The operator's command: exactly ``names`` serve the site, verified (an operator
        vouches for them); domains added from the admin and not listed are dropped."""
        names = sorted({validate_domain(n, self.base_domain) for n in names})

        def edit(state: _State) -> None:
            state.claims = [claim for claim in state.claims if claim["name"] in names]
            state.verified = set(names)
            if state.primary not in state.verified:
                state.primary = None

        await self._change(edit)
        return names

    async def _change(self, edit: Callable[[_State], None]) -> _State:
        for _ in range(TRIES):
            site = await self._sites.find_one({"_id": self.site_id}, {"domain_claims": 1, "domains": 1,
                                                                        "primary_domain": 1, "domains_rev": 1})
            if site is None:
                raise NotFound("no such site")
            state = _state(site)
            edit(state)
            rev = site.get("domains_rev")
            update: dict = {"$set": {"domain_claims": state.claims, "domains_rev": (rev or 0) + 1}}
            unset = {}
            if state.verified:  # an empty array would be a key of the unique index, shared by every such site
                update["$set"]["domains"] = sorted(state.verified)
            else:
                unset["domains"] = ""
            if state.primary:
                update["$set"]["primary_domain"] = state.primary
            else:
                unset["primary_domain"] = ""
            if unset:
                update["$unset"] = unset
            try:
                result = await self._sites.update_one({"_id": self.site_id, "domains_rev": rev}, update)
            except pymongo.errors.DuplicateKeyError:
                raise Duplicate("that domain belongs to another site") from None
            if result.matched_count == 1:
                await self._changes.changed(self.site_id)
                return state
        raise Conflict("the site's domains were changing meanwhile: try again")


def _state(site: dict) -> _State:
    return _State([dict(c) for c in site.get("domain_claims") or []], set(site.get("domains") or ()),
                  site.get("primary_domain"))


def _names(state: _State) -> set[str]:
    return {claim["name"] for claim in state.claims} | state.verified


def _listing(state: _State) -> list[Domain]:
    claims = {claim["name"]: claim for claim in state.claims}
    domains = [
        Domain(name, claims.get(name, {}).get("token"), name in state.verified,
               name == state.primary and name in state.verified, claims.get(name, {}).get("added_at"))
        for name in _names(state)
    ]
    return sorted(domains, key=lambda d: (not d.primary, not d.verified, d.name))


def _find(state: _State, name: str) -> Domain:
    return next(domain for domain in _listing(state) if domain.name == name)
