"""The platform's own pages, on the bare base domain: the landing page, signing in
and out of the platform, and "Your sites".

A platform sign-in is a session like a site's (cms/sessions.py), kept under
`cms.store.changes.PLATFORM`; the platform host is its own origin, so its
cookie reaches no site. Each site gets its own session from it through a
handover (cms/handlers/handover.py), and signing out here ends those too.
Sign-up and new sites are in cms/handlers/signup.py.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import tornado.web

from cms import accounts, sessions
from cms.assets import TextAssetMixin
from cms.config import REPO_ROOT
from cms.handlers.auth import GOOGLE_NOT_MEMBER, GOOGLE_UNVERIFIED, NOT_CONFIRMED, GoogleLoginHandler
from cms.handlers.base import BaseHandler, PlatformHandler
from cms.next_url import safe_next
from cms.store import PersonSessions, Users
from cms.store.changes import PLATFORM
from cms.store.signup import MAX_CODE, PersonSites, SignupCodes
from cms.store.throttle import Throttle, key_for
from cms.store.users import is_confirmed

log = logging.getLogger(__name__)

PLATFORM_STATIC = REPO_ROOT / "cms" / "static" / "platform"
HOME = "/sites"  # where a platform sign-in leads
FORGOT_URL: str | None = "/reset"  # the password reset page (cms.handlers.accounts), linked from the sign-in form
SIGNIN_FAILED = "That e-mail and password do not match an account."
TOO_MANY = "Too many failed attempts. Wait a few minutes, then try again."
INVITE_COOKIE = "cms_invite"
INVITE_DAYS = 1 / 24  # an hour: from sign-up (or Google's round trip) to the new-site form
CLOSED_GOOGLE = "Sign-up is closed on this platform, and that Google account has none here."
INVITE_ONLY_GOOGLE = ("Accounts here are by invitation: that Google account has none yet. Start again from "
                      "\u201cStart your blog\u201d with the invitation code the platform's operators gave you.")


class PlatformPage(PlatformHandler):
    """A page of the platform that knows who is signed in on the platform."""

    frame_policy = "DENY"  # forms that sign in and start sites: never framed
    frame_ancestors = "'none'"

    @property
    def form_action(self) -> str:  # type: ignore[override]
        # Creating a site and "open the admin" answer with a redirect to the site's host.
        return "'self' *.%s:*" % self.cms.base_domain

    async def prepare(self) -> None:
        await super().prepare()
        await self.load_current_user()

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace.update(user=self.current_user, signup=self.cms.signup, google=bool(self.cms.google_client_id),
                         platform_static=platform_static_url, forgot_url=FORGOT_URL)
        return namespace

    def require_user(self) -> bool:
        """True to go on; a GET without a platform sign-in is sent to sign in, anything else is a 403."""
        if self.current_user is not None:
            return True
        if self.request.method in ("GET", "HEAD"):
            self.redirect("/signin?" + urlencode({"next": self.request.uri}))
            return False
        raise tornado.web.HTTPError(403)

    def site_address(self, name: str) -> str:
        """``<scheme>://<name>.<this host>``: a site's address, port included (dev)."""
        return "%s://%s.%s" % (self.request.protocol, name, self.request.host)


def platform_static_url(path: str) -> str:
    version = tornado.web.StaticFileHandler.get_version({"static_path": str(PLATFORM_STATIC)}, path)
    return "/platform/static/%s?v=%s" % (path, version)


def keep_invite(handler: tornado.web.RequestHandler, code: str) -> None:
    """Remember the invitation code a person gave at sign-up (``CMS_SIGNUP=invite``) in a
    short-lived cookie of the platform host: it is used up only when their site is made,
    so the new-site form fills it in, and a Google sign-up brings it through Google."""
    handler.set_signed_cookie(INVITE_COOKIE, code, expires_days=None, max_age=int(INVITE_DAYS * 86400),
                              httponly=True, samesite="Lax", secure=handler.request.protocol == "https")


def kept_invite(handler: tornado.web.RequestHandler) -> str:
    """The code `keep_invite` remembered, or ""."""
    raw = handler.get_signed_cookie(INVITE_COOKIE, max_age_days=INVITE_DAYS)
    return raw.decode("utf-8", "replace")[:MAX_CODE] if raw else ""


class PlatformStaticHandler(TextAssetMixin, tornado.web.StaticFileHandler):
    """The platform pages' own CSS and JS, cached for long with ``?v=``."""

    def initialize(self, path: str = str(PLATFORM_STATIC), default_filename: str | None = None) -> None:
        super().initialize(path, default_filename)


class LandingHandler(PlatformPage):
    async def get(self) -> None:
        self.render("landing.html")


class SignInHandler(PlatformPage):
    """``/signin``: the platform's sign-in, by password or Google; throttled like a site's."""

    def show(self, status: int = 200, error: str | None = None, email: str = "", next: str = HOME) -> None:
        self.set_status(status)
        self.render("platform/signin.html", error=error, email=email, next=next)

    async def get(self) -> None:
        target = safe_next(self.get_query_argument("next", None), HOME)
        if self.current_user is not None:
            self.redirect(target)
            return
        self.show(next=target)

    async def post(self) -> None:
        email = self.get_body_argument("email", "").strip()[:254]
        password = self.get_body_argument("password", "")[:1000]
        target = safe_next(self.get_body_argument("next", None), HOME)
        throttle = Throttle(self.db, PLATFORM)
        keys = [key_for("email", email), key_for("ip", self.request.remote_ip or "")]
        if await throttle.blocked(keys):
            log.warning("platform sign-in throttled")
            self.show(429, TOO_MANY, email, target)
            return
        user = await Users(self.db).authenticate(email, password, unconfirmed=True)
        if user is not None and not is_confirmed(user):
            # The right password, but the address is not proven: it signs in nowhere yet.
            log.info("platform sign-in of an unconfirmed account")
            self.show(401, NOT_CONFIRMED, email, target)
            return
        if user is None:
            log.info("failed platform sign-in")
            await throttle.failed(keys)
            self.show(401, SIGNIN_FAILED, email, target)
            return
        await throttle.succeeded(keys[0])
        await sessions.start(self, user)
        log.info("%s signed in on the platform", user["_id"])
        self.redirect(target, status=303)


class SignOutHandler(PlatformPage):
    """``/signout``: ends the platform session and every session it handed to a site."""

    async def get(self) -> None:
        self.render("platform/signout.html")

    async def post(self) -> None:
        if self.current_user is not None and self.session is not None:
            ended = await PersonSessions(self.db, self.current_user["_id"]).end_handed(self.session["_id"])
            log.info("%s signed out of the platform and %d sites", self.current_user["_id"], ended)
        await sessions.end(self)
        self.redirect("/", status=303)


class YourSitesHandler(PlatformPage):
    """``/sites``: every site the person is a member of, one click into each admin."""

    async def get(self) -> None:
        if not self.require_user():
            return
        rows = await PersonSites(self.db, self.current_user["_id"]).list()
        owned = sum(1 for row in rows if row["role"] == "owner")
        self.render("platform/sites.html", rows=rows, site_address=self.site_address,
                    may_start=self.cms.signup != "closed" and owned < self.cms.sites_per_account,
                    password_removed=self.get_query_argument("notice", "") == "password-removed")


class PlatformGoogleHandler(GoogleLoginHandler):
    """``/auth/google`` on the platform: the sites' OAuth flow (state cookie, the
    endpoints' overrides), but the Google account signs in to the platform, and
    is made an account from its verified e-mail on first use (sign-up with Google).
    """

    frame_policy = "DENY"
    frame_ancestors = "'none'"
    password_removed_page = "/sites?notice=password-removed"

    async def prepare(self) -> None:
        # The site's checks (a site host, a role there) do not apply here: the platform's do.
        await BaseHandler.prepare(self)
        if not self.is_platform or not self.cms.google_client_id:
            raise tornado.web.HTTPError(404)
        await self.load_current_user()
        urls = self.settings.get("google_oauth_urls") or {}
        self._OAUTH_AUTHORIZE_URL = urls.get("authorize", self._OAUTH_AUTHORIZE_URL)
        self._OAUTH_ACCESS_TOKEN_URL = urls.get("token", self._OAUTH_ACCESS_TOKEN_URL)
        self._OAUTH_USERINFO_URL = urls.get("userinfo", self._OAUTH_USERINFO_URL)

    def start(self) -> None:
        invite = self.get_query_argument("invite", "").strip()
        if invite and len(invite) <= MAX_CODE:  # checked on the way back, if a new account is to be made
            keep_invite(self, invite)
        super().start()

    def get_template_path(self) -> str | None:
        return "platform"

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace.update(user=None, signup=self.cms.signup, google=True, platform_static=platform_static_url,
                         forgot_url=FORGOT_URL)
        return namespace

    def fail(self, status: int, message: str) -> None:
        self.set_status(status)
        self.render("platform/signin.html", error=message, email="", next=HOME)

    async def google_member(self, info: dict) -> tuple[dict | None, str]:
        """The platform account of this Google account (made now if need be), or a reason."""
        sub = str(info.get("sub") or info.get("id") or "")
        email = str(info.get("email") or "").strip().lower()
        verified = info.get("email_verified", info.get("verified_email")) in (True, "true")
        users = Users(self.db)
        user = await users.by_google_sub(sub) if sub else None
        if user is not None:
            return user, ""
        if not sub or not email:
            return None, GOOGLE_NOT_MEMBER
        if not verified:
            return None, GOOGLE_UNVERIFIED
        user = await users.by_email(email)
        if user is not None:
            if user.get("google_sub") not in (None, sub):
                return None, GOOGLE_NOT_MEMBER  # that e-mail's account is tied to another Google account
            if not is_confirmed(user):
                # A password someone chose for this address without proving it theirs:
                # Google has proven whose it is, and that password goes (cms.accounts.claim).
                self.password_removed = await accounts.claim(self.db, user, name=str(info.get("name") or ""))
                user = await users.by_id(user["_id"]) or user  # its session version moved on
            await users.link_google(user["_id"], sub)
            return user, ""
        if self.cms.signup == "closed":
            return None, CLOSED_GOOGLE
        if self.cms.signup == "invite" and not await SignupCodes(self.db).is_open(kept_invite(self)):
            log.info("a Google sign-up without an open invitation code refused")
            return None, INVITE_ONLY_GOOGLE
        user = await users.create_external(email, str(info.get("name") or ""), sub)
        log.info("%s signed up with Google", user["_id"])
        return user, ""


class AdminRedirectHandler(PlatformHandler):
    """``/admin`` typed on the platform (the site admin's address, and where a sign-in
    started without ``next`` ends): "Your sites", where each admin is one click away."""

    async def get(self) -> None:
        self.redirect(HOME)


def platform_routes() -> list[tornado.web.URLSpec]:
    URLSpec = tornado.web.URLSpec
    return [
        URLSpec(r"/", LandingHandler, name="landing"),
        URLSpec(r"/platform/static/(.+)", PlatformStaticHandler, name="platform-static"),
        URLSpec(r"/signin", SignInHandler, name="platform-signin"),
        URLSpec(r"/signout", SignOutHandler, name="platform-signout"),
        URLSpec(r"/sites", YourSitesHandler, name="platform-sites"),
        URLSpec(r"/auth/google", PlatformGoogleHandler, name="platform-google"),
        URLSpec(r"/admin/?", AdminRedirectHandler, name="platform-admin"),
    ]
