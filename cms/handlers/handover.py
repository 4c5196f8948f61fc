"""One sign-in across the sites: the platform hands its session over to a site's host.

Site hosts are other origins than the platform, so the platform's cookie
never reaches them. A handover runs as OAuth's authorization-code flow does,
``state`` included, so that a token signs in only the browser that asked:

1. the site starts it (``/admin/handover/start?next=``: "Open admin" on Your
   sites leads there, and so does "Sign in with your platform account" on the
   site's sign-in page): a random nonce goes into a short-lived signed cookie
   of the site's host, and the browser to ``<platform>/handover?site=&state=``;
2. the platform, with that browser's own platform session, makes a one-time
   token (cms/store/handovers.py: 60 s, used once, stored hashed, bound to
   that site, that person, this platform session and the hash of ``state``)
   and sends the browser to ``<site>/admin/handover?token=``;
3. the site takes the token only with its cookie's nonce, and exchanges it
   for a session of its own, linked to the platform session, so that signing
   out on the platform ends it as well (WordPress Multisite hands its sign-in
   across domains in much the same way).

Without step 1's binding, a person could make a token for their own site and
send the link to a victim, who would then write into that site as them (login
fixation). A token for another site, a token used already, one too old or one
started in another browser gets a clear 4xx on the site's sign-in page and
signs nobody in; ``next`` goes through `cms.next_url.safe_next`, so the
handover is no open redirect.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from urllib.parse import urlencode

import tornado.httputil
import tornado.web

from cms import sessions
from cms.handlers.admin import AdminHandler
from cms.handlers.platform import PlatformPage
from cms.next_url import safe_next
from cms.store import Sessions, Sites, Users
from cms.store.changes import PLATFORM
from cms.store.handovers import Expired, Handovers, OtherBrowser
from cms.store.signup import PersonSites

log = logging.getLogger(__name__)

STATE_COOKIE = "cms_handover"
STATE_LIFETIME = dt.timedelta(minutes=10)  # from the site's start to the platform's answer, sign-in included
STATE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")

HANDOVER_UNKNOWN = ("This sign-in link is not valid here: it was used already, or made for another site. "
                    "Open the site again from Your sites on the platform, or sign in below.")
HANDOVER_EXPIRED = ("This sign-in link has expired: they last a minute. Open the site again from Your sites "
                    "on the platform, or sign in below.")
HANDOVER_SIGNED_OUT = ("You signed out of the platform since this link was made. Sign in again on the "
                       "platform, or below.")
HANDOVER_OTHER_BROWSER = ("This sign-in link was not started in this browser, so it signs nobody in here. "
                          "Use \u201cSign in with your platform account\u201d below, or open the site from "
                          "Your sites on the platform.")


def start_url(site_address: str, next: str) -> str:
    """Where a handover into a site starts: on the site's own host (step 1)."""
    return "%s/admin/handover/start?%s" % (site_address, urlencode({"next": safe_next(next)}))


def send_to_site(handler: PlatformPage, site: dict, next: str) -> None:
    """Answer with a redirect that signs the handler's person in on ``site``, at ``next``."""
    handler.redirect(start_url(handler.site_address(site["name"]), next), status=303)


class OpenSiteHandler(PlatformPage):
    """``POST /sites/<name>/open``: into that site's admin, for a member of it (else 404)."""

    async def post(self, name: str) -> None:
        if not self.require_user():
            return
        site = await Sites(self.db).by_name(name)
        if site is None or await PersonSites(self.db, self.current_user["_id"]).role_in(site) is None:
            raise tornado.web.HTTPError(404)  # another person's site is as missing as an unknown one
        send_to_site(self, site, self.get_body_argument("next", "/admin/"))


class IssueHandler(PlatformPage):
    """``GET /handover?site=&state=&next=`` on the platform (step 2): a token for the
    signed-in person, bound to the asking browser's ``state``, sent back to the site."""

    async def get(self) -> None:
        if not self.require_user():  # signs in on the platform, then comes back here
            return
        state = self.get_query_argument("state", "")
        if not STATE_PATTERN.fullmatch(state):
            raise tornado.web.HTTPError(400, reason="This sign-in was not started by a site: open it from Your sites.")
        site = await Sites(self.db).by_name(self.get_query_argument("site", "")[:100])
        if site is None or await PersonSites(self.db, self.current_user["_id"]).role_in(site) is None:
            raise tornado.web.HTTPError(404)  # another person's site is as missing as an unknown one
        token = await Handovers(self.db, site["_id"]).issue(self.current_user["_id"], self.session["_id"], state)
        query = urlencode({"token": token, "next": safe_next(self.get_query_argument("next", None))})
        log.info("%s handed over to %s", self.current_user["_id"], site["name"])
        self.set_header("Cache-Control", "no-store")
        self.redirect("%s/admin/handover?%s" % (self.site_address(site["name"]), query), status=303)


class StartHandler(AdminHandler):
    """``/admin/handover/start?next=`` on a site (step 1): this browser's nonce, then the platform."""

    def get(self) -> None:
        nonce = secrets.token_urlsafe(24)
        self.set_signed_cookie(STATE_COOKIE, nonce, expires_days=None, max_age=int(STATE_LIFETIME.total_seconds()),
                               httponly=True, samesite="Lax", secure=self.request.protocol == "https")
        query = urlencode({"site": self.site["name"], "state": nonce,
                           "next": safe_next(self.get_query_argument("next", None))})
        self.set_header("Cache-Control", "no-store")
        self.redirect("%s/handover?%s" % (platform_origin(self.request, self.cms.base_domain), query))


def platform_origin(request: tornado.httputil.HTTPServerRequest, base_domain: str) -> str:
    """The platform's address seen from a site's host: same scheme, the bare base
    domain, and the port this host was reached on (a dev server's)."""
    port = request.host.rpartition(":")[2] if ":" in request.host.rpartition("]")[2] else ""
    return "%s://%s%s" % (request.protocol, base_domain, ":" + port if port else "")


class HandoverHandler(AdminHandler):
    """``/admin/handover?token=...&next=...`` on a site (step 3): a platform sign-in becomes one here."""

    def refuse(self, status: int, message: str) -> None:
        self.set_status(status)
        self.render("admin/login.html", error=message, email="", next="/admin/")

    async def get(self) -> None:
        target = safe_next(self.get_query_argument("next", None))
        state = self.get_signed_cookie(STATE_COOKIE, max_age_days=STATE_LIFETIME.total_seconds() / 86400)
        self.clear_cookie(STATE_COOKIE)  # one nonce, one try
        try:
            redeemed = await Handovers(self.db, self.site["_id"]).redeem(
                self.get_query_argument("token", ""), state.decode("ascii", "replace") if state else None)
        except Expired:
            log.info("an expired handover to %s", self.site["name"])
            self.refuse(410, HANDOVER_EXPIRED)
            return
        except OtherBrowser:
            log.warning("a handover token for %s opened in a browser that did not ask for it", self.site["name"])
            self.refuse(400, HANDOVER_OTHER_BROWSER)
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
    return [tornado.web.URLSpec(r"/sites/([a-z0-9-]{1,40})/open", OpenSiteHandler, name="platform-open-site"),
            tornado.web.URLSpec(r"/handover", IssueHandler, name="platform-handover")]


def handover_site_routes() -> list[tornado.web.URLSpec]:
    return [tornado.web.URLSpec(r"/admin/handover", HandoverHandler, name="admin-handover"),
            tornado.web.URLSpec(r"/admin/handover/start", StartHandler, name="admin-handover-start")]

