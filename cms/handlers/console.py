"""The operators' console: ``/console`` on the platform host, for platform admins only.

Platform admins are made with the CLI (``python -m cms user admin EMAIL``).
They sign in on the platform host like anyone (its session, cms/sessions.py);
the console then checks the account's ``platform_admin`` flag on every request,
so revoking it takes effect at once. Not signed in: a GET is sent to sign in,
anything else is a 403; signed in without the flag: 403. On a site's host
there is no console (404).

What it shows: the platform's numbers, the outbox (the newcomer without SMTP
reads their confirmation link here), sites and accounts with search. What it
does, each a POST with Tornado's XSRF check, each logged with who did it:
suspend and unsuspend a site (with a reason its owner reads), set a site's
storage quota, delete a site (typed confirmation; with an export archive
kept in ``CMS_DATA_DIR/deleted-sites`` first, or explicitly without), and
disable or enable an account (disabling ends its sessions at once).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import urlencode

import tornado.web

from cms.export import export_to, file_name
from cms.handlers.base import PlatformHandler
from cms.store import Sites, SiteStore, StoreError, Users
from cms.store.console import Console
from cms.store.errors import megabytes
from cms.store.outbox import Outbox
from cms.store.pages import Page
from cms.store.sites import quota_bytes

log = logging.getLogger(__name__)

ID = r"([0-9a-f]{24})"
OUTBOX_SHOWN = 20
# Fixed notices after a redirect (``?done=key``): nothing typed is echoed back.
DONE = {
    "suspended": "Site suspended: its readers see the suspended page, its admin is read-only.",
    "unsuspended": "Site restored: readers see it again.",
    "quota": "Quota saved.",
    "disabled": "Account disabled: it cannot sign in, and its sessions have ended.",
    "enabled": "Account enabled: it can sign in again.",
}


class ConsoleHandler(PlatformHandler):
    """A console page: the platform host, a signed-in platform admin."""

    frame_policy = "DENY"
    frame_ancestors = "'none'"

    async def prepare(self) -> None:
        await super().prepare()
        await self.load_current_user()
        user = self.current_user
        if user is None:
            if self.request.method in ("GET", "HEAD"):
                self.redirect("/signin?" + urlencode({"next": self.request.uri}))
                return
            raise tornado.web.HTTPError(403)
        if not user.get("platform_admin"):  # (1 rather than True on nx-27017: read as a truth value)
            log.info("console: %s is not a platform admin: refused %s %s", user["email"], self.request.method,
                     self.request.path)
            raise tornado.web.HTTPError(403)

    @property
    def console(self) -> Console:
        return Console(self.db)

    @property
    def operator(self) -> str:
        return self.current_user["email"]

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace.update(
            operator=self.current_user, megabytes=megabytes, when=self.when, nav="",
            done=DONE.get(self.get_query_argument("done", ""), ""), error=None,
            quota_of=lambda site: quota_bytes(site, self.cms.site_quota_mb),
        )
        return namespace

    @staticmethod
    def when(value: Any) -> str:
        """A time in UTC, to the minute (the console's one time zone)."""
        if not isinstance(value, dt.datetime):
            return ""
        value = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    def search(self) -> str:
        return self.get_query_argument("q", "").strip()[:100]

    def page_or_404(self, page: Page) -> Page:
        """Page 1 always exists; a later page only with rows (``?page=99`` is a 404)."""
        if not page.exists:
            raise tornado.web.HTTPError(404)
        return page


class OverviewHandler(ConsoleHandler):
    """``/console``: the platform's numbers and the outbox."""

    async def get(self) -> None:
        outbox = Outbox(self.db)
        self.render("console/overview.html", nav="overview", numbers=await self.console.numbers(),
                    outbox_counts=await outbox.counts(), messages=await outbox.list(limit=OUTBOX_SHOWN),
                    mail_configured=bool(self.cms.smtp_url))


class SitesHandler(ConsoleHandler):
    """``/console/sites``: search by name, title or domain; paginated."""

    async def get(self) -> None:
        query = self.search()
        page = self.page_or_404(await self.console.sites(query, self.page_number()))
        self.render("console/sites.html", nav="sites", page=page, query=query)


class SiteMixin(ConsoleHandler):
    """A page or action about one site, any status: an unknown id is a 404."""

    async def load_site(self, site_id: str) -> dict:
        site = await self.console.site(site_id)
        if site is None:
            raise tornado.web.HTTPError(404)
        return site

    async def show(self, site: dict, status: int = 200, error: str | None = None) -> None:
        self.set_status(status)
        self.render("console/site.html", nav="sites", site=site, members=await SiteStore(self.db, site).members.list(),
                    error=error, default_quota=self.cms.site_quota_mb)


class SitePage(SiteMixin):
    """``/console/sites/<id>``: one site, with its actions."""

    async def get(self, site_id: str) -> None:
        await self.show(await self.load_site(site_id))


class SuspendHandler(SiteMixin):
    async def post(self, site_id: str) -> None:
        site = await self.load_site(site_id)
        try:
            site = await Sites(self.db).suspend(site["_id"], self.get_body_argument("reason", "")[:2000],
                                                by=self.operator)
        except StoreError as error:
            return await self.show(site, 400, str(error))
        log.warning("console: %s suspended the site %s: %s", self.operator, site["name"], site["suspended"]["reason"])
        self.redirect("/console/sites/%s?done=suspended" % site["_id"], status=303)


class UnsuspendHandler(SiteMixin):
    async def post(self, site_id: str) -> None:
        site = await self.load_site(site_id)
        await Sites(self.db).unsuspend(site["_id"])
        log.warning("console: %s lifted the suspension of the site %s", self.operator, site["name"])
        self.redirect("/console/sites/%s?done=unsuspended" % site["_id"], status=303)


class QuotaHandler(SiteMixin):
    """The site's own storage quota in MB; empty: the platform's default (``CMS_SITE_QUOTA_MB``)."""

    async def post(self, site_id: str) -> None:
        site = await self.load_site(site_id)
        raw = self.get_body_argument("quota_mb", "").strip()
        if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 8):
            return await self.show(site, 400, "The quota is a whole number of MB (or empty for the default).")
        try:
            await Sites(self.db).set_quota(site["_id"], int(raw) if raw else None)
        except StoreError as error:
            return await self.show(site, 400, str(error))
        log.warning("console: %s set the quota of the site %s to %s", self.operator, site["name"],
                    "%s MB" % raw if raw else "the default")
        self.redirect("/console/sites/%s?done=quota" % site["_id"], status=303)


class DeleteHandler(SiteMixin):
    """Delete a site once its name is typed: with ``export=archive`` its whole archive
    (`cms.export`) is written to ``CMS_DATA_DIR/deleted-sites`` first, and a failed
    export deletes nothing; ``export=none`` is the explicit "delete without export"."""

    async def post(self, site_id: str) -> None:
        site = await self.load_site(site_id)
        export = self.get_body_argument("export", "")
        if export not in ("archive", "none"):
            return await self.show(site, 400, "Choose whether to keep an export of the site before deleting it.")
        if self.get_body_argument("confirm", "").strip() != site["name"]:
            return await self.show(site, 400, "Type the site's name, %s, to delete it." % site["name"])
        archive = None
        if export == "archive":
            folder = self.cms.data_dir / "deleted-sites"
            archive = folder / file_name(site["name"], "archive", dt.datetime.now(dt.timezone.utc)
                                         .strftime("%Y%m%d-%H%M%S"))
            try:
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                await export_to(SiteStore(self.db, site), "archive", archive)
            except OSError as error:  # a full disk, a folder it may not write: keep the site
                log.error("console: the export of %s before its deletion failed: %s", site["name"], error)
                return await self.show(site, 500, "The export could not be written (%s), so nothing was deleted."
                                       % (error.strerror or error))
        deleted = await Sites(self.db).delete(site["_id"])
        self.forget_cached_sites()
        log.warning("console: %s deleted the site %s (%d documents)%s", self.operator, site["name"], deleted,
                    ", its archive kept at %s" % archive if archive else " without an export")
        self.render("console/deleted.html", nav="sites", name=site["name"], archive=archive, deleted=deleted)


class AccountsHandler(ConsoleHandler):
    """``/console/accounts``: search by e-mail, name or username; paginated."""

    async def get(self) -> None:
        query = self.search()
        page = self.page_or_404(await self.console.accounts(query, self.page_number()))
        self.render("console/accounts.html", nav="accounts", page=page, query=query)


class AccountMixin(ConsoleHandler):
    """A page or action about one account: an unknown id is a 404."""

    async def load_account(self, user_id: str) -> dict:
        account = await self.console.account(user_id)
        if account is None:
            raise tornado.web.HTTPError(404)
        return account

    async def show(self, account: dict, status: int = 200, error: str | None = None) -> None:
        self.set_status(status)
        self.render("console/account.html", nav="accounts", account=account, error=error,
                    sites=await self.console.sites_of(account["_id"]))


class AccountPage(AccountMixin):
    """``/console/accounts/<id>``: one account, its sites, disable/enable."""

    async def get(self, user_id: str) -> None:
        await self.show(await self.load_account(user_id))


class DisableHandler(AccountMixin):
    async def post(self, user_id: str) -> None:
        account = await self.load_account(user_id)
        if account["_id"] == self.current_user["_id"]:
            return await self.show(account, 400, "You cannot disable your own account.")
        await Users(self.db).set_disabled(account["_id"], True)
        log.warning("console: %s disabled the account %s", self.operator, account["email"])
        self.redirect("/console/accounts/%s?done=disabled" % account["_id"], status=303)


class EnableHandler(AccountMixin):
    async def post(self, user_id: str) -> None:
        account = await self.load_account(user_id)
        await Users(self.db).set_disabled(account["_id"], False)
        log.warning("console: %s enabled the account %s", self.operator, account["email"])
        self.redirect("/console/accounts/%s?done=enabled" % account["_id"], status=303)


def console_routes() -> list[tornado.web.URLSpec]:
    """The console's routes, for the platform host only."""
    URLSpec = tornado.web.URLSpec
    return [
        URLSpec(r"/console/?", OverviewHandler, name="console"),
        URLSpec(r"/console/sites/?", SitesHandler, name="console-sites"),
        URLSpec(r"/console/sites/%s" % ID, SitePage, name="console-site"),
        URLSpec(r"/console/sites/%s/suspend" % ID, SuspendHandler, name="console-suspend"),
        URLSpec(r"/console/sites/%s/unsuspend" % ID, UnsuspendHandler, name="console-unsuspend"),
        URLSpec(r"/console/sites/%s/quota" % ID, QuotaHandler, name="console-quota"),
        URLSpec(r"/console/sites/%s/delete" % ID, DeleteHandler, name="console-delete"),
        URLSpec(r"/console/accounts/?", AccountsHandler, name="console-accounts"),
        URLSpec(r"/console/accounts/%s" % ID, AccountPage, name="console-account"),
        URLSpec(r"/console/accounts/%s/disable" % ID, DisableHandler, name="console-disable"),
        URLSpec(r"/console/accounts/%s/enable" % ID, EnableHandler, name="console-enable"),
    ]
