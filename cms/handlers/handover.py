"""One sign-in across the sites: the platform hands its session over to a site's host.

Site hosts are other origins than the platform, so the platform's cookie
never reaches them. "Open admin" on "Your sites" (``POST /sites/<name>/open``)
makes a one-time token (cms/store/handovers.py: 60 s, used once, stored
hashed, bound to that site, that person and this platform session) and
redirects the browser to ``<site>/admin/handover?token=...``; the site
exchanges it for a session of its own, linked to the platform session, so
signing out on the platform ends it as well (WordPress Multisite hands its
sign-in across domains in much the same way).

A token for another site, a token used already or one too old gets a clear
4xx on the site's sign-in page and signs nobody in; ``next`` goes through
`cms.next_url.safe_next`, so the handover is no open redirect.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import tornado.web

from cms import sessions
from cms.handlers.admin import AdminHandler
from cms.handlers.platform import PlatformPage
from cms.next_url import safe_next
from cms.store import Sessions, Sites, Users
from cms.store.changes import PLATFORM
from cms.store.handovers import Expired, Handovers
from cms.store.signup import PersonSites

log = logging.getLogger(__name__)

HANDOVER_UNKNOWN = ("This sign-in link is not valid here: it was used already, or made for another site. "
                    "Open the site again from Your sites on the platform, or sign in below.")
HANDOVER_EXPIRED = ("This sign-in link has expired: they last a minute. Open the site again from Your sites "
                    "on the platform, or sign in below.")
HANDOVER_SIGNED_OUT = ("You signed out of the platform since this link was made. Sign in again on the "
                       "platform, or below.")


async def send_to_site(handler: PlatformPage, site: dict, next: str) -> None:
    """Answer with a redirect that signs the handler's person in on ``site``, at ``next``."""
    token = await Handovers(handler.db, site["_id"]).issue(handler.current_user["_id"], handler.session["_id"])
    query = urlencode({"token": token, "next": safe_next(next)})
    log.info("%s handed over to %s", handler.current_user["_id"], site["name"])
    handler.redirect("%s/admin/handover?%s" % (handler.site_address(site["name"]), query), status=303)


class OpenSiteHandler(PlatformPage):
    """``POST /sites/<name>/open``: into that site's admin, for a member of it (else 404)."""

    async def post(self, name: str) -> None:
        if not self.require_user():
            return
        site = await Sites(self.db).by_name(name)
        if site is None or await PersonSites(self.db, self.current_user["_id"]).role_in(site) is None:
            raise tornado.web.HTTPError(404)  # another person's site is as missing as an unknown one
        await send_to_site(self, site, self.get_body_argument("next", "/admin/"))


class HandoverHandler(AdminHandler):
    """``/admin/handover?token=...&next=...`` on a site: a platform sign-in becomes one here."""

    def refuse(self, status: int, message: str) -> None:
        self.set_status(status)
        self.render("admin/login.html", error=message, email="", next="/admin/")

    async def get(self) -> None:
        target = safe_next(self.get_query_argument("next", None))
        try:
            redeemed = await Handovers(self.db, self.site["_id"]).redeem(self.get_query_argument("token", ""))
        except Expired:
            log.info("an expired handover to %s", self.site["name"])
            self.refuse(410, HANDOVER_EXPIRED)
            return
        if redeemed is None:
            log.info("an unknown or used handover token on %s", self.site["name"])
            self.refuse(400, HANDOVER_UNKNOWN)
            return
        user = await Users(self.db).by_id(redeemed.user_id)
        role = await self.store.members.role_of(redeemed.user_id) if user else None
        if user is None or role is None:  # removed from the site within the minute
            self.refuse(400, HANDOVER_UNKNOWN)
            return
        if not await Sessions(self.db, PLATFORM).alive(redeemed.platform_session_id):
            self.refuse(400, HANDOVER_SIGNED_OUT)
            return
        await sessions.start(self, user, parent=redeemed.platform_session_id)
        log.info("%s signed in on %s from the platform", user["_id"], self.site["name"])
        self.redirect(target, status=303)


def handover_platform_routes() -> list[tornado.web.URLSpec]:
    return [tornado.web.URLSpec(r"/sites/([a-z0-9-]{1,40})/open", OpenSiteHandler, name="platform-open-site")]


def handover_site_routes() -> list[tornado.web.URLSpec]:
    return [tornado.web.URLSpec(r"/admin/handover", HandoverHandler, name="admin-handover")]

