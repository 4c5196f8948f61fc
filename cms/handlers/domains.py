"""``/admin/domains``: the owner's custom domains (add, verify, choose the primary, remove).

A domain serves the site only once verified (`cms.domains.DomainChecker`
fetched its token through it); the primary one is where every page lives,
and the site's other hosts answer 301 to it (`cms.handlers.base.SiteHandler`).
The admin itself is never redirected: ``<name>.<base domain>/admin/`` stays
reachable whatever happens to a domain's DNS, so a broken domain can always
be fixed from there.
"""

from __future__ import annotations

import logging

import tornado.web

from cms.domains import CHECK_TIMEOUT, TOKEN_PATH, CheckFailed, DomainChecker, dns_advice
from cms.handlers.admin import requires
from cms.handlers.site_admin import SiteAdminHandler
from cms.store import NotFound, StoreError
from cms.store.domains import SiteDomains
from cms.tenancy import primary_host

log = logging.getLogger(__name__)

ACTIONS = ("add", "verify", "primary", "remove")
DONE = {"add": "Domain added: set its DNS record, then verify it.", "verify": "Domain verified: it serves the site.",
        "primary": "Primary address changed.", "remove": "Domain removed."}
MAX_NAME = 253


class DomainsHandler(SiteAdminHandler):
    @property
    def domains(self) -> SiteDomains:
        return SiteDomains(self.db, self.site["_id"], self.cms.base_domain)

    def checker(self) -> DomainChecker:
        """Tests (and a laptop) point names at a local server with the application setting
        ``domain_check_hosts`` (``{"blog.example.org": ("127.0.0.1", 8888)}``), not /etc/hosts."""
        return DomainChecker(self.settings.get("domain_check_hosts"),
                             self.settings.get("domain_check_timeout", CHECK_TIMEOUT))

    async def show(self, status: int = 200, error: str | None = None, name: str = "") -> None:
        self.set_status(status)
        raw = self.request.query_arguments.get("done", [b""])[-1].decode("utf-8", "replace")
        site = self.site  # this request changed nothing when it shows the page
        self.render(
            "admin/domains.html", nav="domains", error=error, name=name, notice=DONE.get(raw),
            domains=await self.domains.list(), dns=dns_advice(site, self.cms.base_domain, self.cms.dns_target),
            token_path=TOKEN_PATH, primary=primary_host(site, self.cms.base_domain),
            own_address="%s.%s" % (site["name"], self.cms.base_domain),
        )

    @requires("owner")
    async def get(self) -> None:
        await self.show()

    @requires("owner")
    async def post(self) -> None:
        action = self.get_body_argument("action", "")
        name = self.get_body_argument("name", "").strip().lower()[:MAX_NAME]
        if action not in ACTIONS:
            raise tornado.web.HTTPError(400, reason="Unknown action")
        try:
            if action == "add":
                await self.domains.add(name, self.application.domain_tokens.make)
            elif action == "verify":
                domain = await self.domains.get(name)
                if not domain.verified:
                    if domain.token is None:
                        raise NotFound("%s is not a domain of this site" % name)
                    if not self.application.domain_checks.allow(self.site["_id"]):
                        await self.show(429, "Too many checks in a row: wait a minute, then verify again.")
                        return
                    await self.checker().check(name, domain.token)
                    await self.domains.mark_verified(name, domain.token)
            elif action == "primary":
                await self.domains.make_primary(name or None)
            else:
                await self.domains.remove(name)
        except NotFound:
            # Another site's domain is no more here than a missing one.
            raise tornado.web.HTTPError(404) from None
        except (StoreError, CheckFailed) as error:
            await self.show(400, str(error), name=name if action == "add" else "")
            return
        self.forget_cached_sites()
        log.info("%s: %s %s on %s", self.current_user["_id"], action, name or "-", self.site["name"])
        self.redirect("/admin/domains?done=%s" % action, status=303)


def domain_routes() -> list[tornado.web.URLSpec]:
    return [tornado.web.URLSpec(r"/admin/domains", DomainsHandler, name="admin-domains")]
