"""Starting a blog from the platform page: ``/new`` (a site: name, title, theme),
``/new/name`` (is that name free? as the person types) and ``/signup`` (an
account, by e-mail or Google).

``CMS_SIGNUP`` decides who may start a site: ``open`` anyone signed in on the
platform, ``invite`` those with a code from ``python -m cms signup-invite`` (asked
at account sign-up too, so that strangers make no accounts; used up by the site),
``closed`` nobody (operators create sites with the CLI). One account owns at
most ``CMS_SITES_PER_ACCOUNT`` sites. The new site's owner lands in its admin
through a handover (cms/handlers/handover.py).
"""

from __future__ import annotations

import logging

import tornado.web

from cms import accounts
from cms.handlers.handover import send_to_site
from cms.handlers.platform import PlatformPage, keep_invite, kept_invite
from cms.ratelimit import RateLimiter
from cms.store import Duplicate, Invalid, Users
from cms.store.changes import PLATFORM
from cms.store.signup import AtLimit, Busy, NewSites, PersonSites, SignupCodes
from cms.store.sites import MAX_NAME, MAX_TITLE, MIN_CHOSEN_NAME, validate_new_site_name
from cms.store.throttle import Throttle, key_for
from cms.store.users import normalize_email, validate_password

log = logging.getLogger(__name__)

CLOSED = "Sign-up is closed on this platform: its operators create sites."
NEED_CODE = "Starting a site here needs an invitation code. Ask the platform's operators for one."
BAD_CODE = "That invitation code is not valid: it may have been used already, or expired."
AT_LIMIT = "You own %d sites, the most one account may have here."
TAKEN = "%s is taken: try another name."
CHECKS_TOO_FAST = "Too many checks at once: wait a second."
HONEYPOT = "Leave the field named \u201cLeave empty\u201d empty: it is there to catch robots."
TOO_MANY_SIGNUPS = "Too many sign-ups from here or for that address. Wait a few minutes, then try again."
EMAIL_TAKEN = ("That address already has an account: sign in instead, or use \u201cForgot password?\u201d "
               "on the sign-in page to choose a new password.")
MAX_NAME_CHARS = 100
# Availability is asked for as a person types: generous, but bounded per client address.
CHECKS_PER_SECOND, CHECKS_AT_ONCE = 3, 20


def sentence(error: Exception) -> str:
    """A store's message (lower-case, no full stop: fit inside another sentence) as a sentence."""
    text = str(error)
    return text[:1].upper() + text[1:] + "."


class NewSiteHandler(PlatformPage):
    """``/new``: a signed-in person starts a site and lands in its admin as owner."""

    def show(self, status: int = 200, error: str | None = None, blocked: bool = False, **form: str) -> None:
        self.set_status(status)
        values = {"name": "", "title": "", "theme": self.themes.default, "code": kept_invite(self)}
        values.update(form)
        self.render("platform/new_site.html", error=error, blocked=blocked, form=values, themes=self.themes.themes(),
                    min_name=MIN_CHOSEN_NAME, max_name=MAX_NAME, max_title=MAX_TITLE)

    async def refusal(self) -> str | None:
        """Why this person may not start a site now (sign-up closed, at the limit), or None."""
        if self.cms.signup == "closed":
            return CLOSED
        owned = await PersonSites(self.db, self.current_user["_id"]).owned()
        if owned >= self.cms.sites_per_account:
            return AT_LIMIT % owned
        return None

    async def get(self) -> None:
        if not self.require_user():
            return
        refused = await self.refusal()
        self.show(403 if refused else 200, refused, blocked=bool(refused))

    async def post(self) -> None:
        if not self.require_user():
            return
        form = {key: self.get_body_argument(key, "")[:200] for key in ("name", "title", "theme", "code")}
        form["name"] = form["name"].strip().lower()
        refused = await self.refusal()
        if refused:
            self.show(403, refused, blocked=True, **form)
            return
        sites = NewSites(self.db)
        try:
            name = validate_new_site_name(form["name"])
        except Invalid as error:
            self.show(400, "That name cannot be used: %s." % error, **form)
            return
        if not await sites.available(name):
            self.show(409, TAKEN % name, **form)
            return
        codes, used = SignupCodes(self.db), None
        if self.cms.signup == "invite":
            if not form["code"].strip():
                self.show(403, NEED_CODE, **form)
                return
            used = await codes.use(form["code"])
            if used is None:
                self.show(403, BAD_CODE, **form)
                return
        try:
            site = await sites.start(self.current_user, name, form["title"], form["theme"] or self.themes.default,
                                     limit=self.cms.sites_per_account)
        except (Invalid, Duplicate, Busy) as error:
            if used is not None:
                await codes.give_back(used)
            if isinstance(error, AtLimit):
                self.show(403, AT_LIMIT % error.owned, blocked=True, **form)
            elif isinstance(error, Duplicate):
                self.show(409, TAKEN % name, **form)
            else:
                self.show(409 if isinstance(error, Busy) else 400, sentence(error), **form)
            return
        self.forget_cached_sites()
        send_to_site(self, site, "/admin/")


class SignupHandler(PlatformPage):
    """``/signup``: an account by e-mail and password (usable once the address is
    confirmed by the link sent there), or Google (its verified address).

    Throttled per client address and per e-mail address; a field people do not
    see (``website``) catches robots that fill every field.
    """

    def show(self, status: int = 200, error: str | None = None, sent: str = "", **form: str) -> None:
        self.set_status(status)
        values = {"email": "", "name": ""}
        values.update(form)
        self.render("platform/signup.html", error=error, sent=sent, form=values)

    async def get(self) -> None:
        if self.current_user is not None:
            self.redirect("/new" if self.cms.signup != "closed" else "/sites")
            return
        self.show(403 if self.cms.signup == "closed" else 200, CLOSED if self.cms.signup == "closed" else None)

    async def post(self) -> None:
        typed = {"email": self.get_body_argument("email", "").strip()[:254],
                 "name": " ".join(self.get_body_argument("name", "").split())[:MAX_NAME_CHARS]}
        password = self.get_body_argument("password", "")[:1000]
        if self.cms.signup == "closed":
            self.show(403, CLOSED, **typed)
            return
        if self.get_body_argument("website", ""):
            log.info("sign-up refused: the hidden field was filled")
            self.show(400, HONEYPOT, **typed)
            return
        try:
            email = normalize_email(typed["email"])
            validate_password(password)
        except Invalid as error:
            self.show(400, sentence(error), **typed)
            return
        throttle = Throttle(self.db, PLATFORM)
        keys = [key_for("signup-ip", self.request.remote_ip or ""), key_for("signup-email", email)]
        if await throttle.blocked(keys):
            log.warning("sign-up throttled")
            self.show(429, TOO_MANY_SIGNUPS, **typed)
            return
        await throttle.failed(keys)  # every attempt counts, made or not (guessed codes too)
        if self.cms.signup == "invite":  # no account for strangers: the code is asked here already
            code = self.get_body_argument("code", "").strip()[:200]
            if not code:
                self.show(403, NEED_CODE, **typed)
                return
            if not await SignupCodes(self.db).is_open(code):
                self.show(403, BAD_CODE, **typed)
                return
            keep_invite(self, code)  # used up when the site is made (NewSiteHandler)
        users = Users(self.db)
        if await users.by_email(email) is not None:
            self.show(409, EMAIL_TAKEN, **typed)
            return
        try:
            user = await users.create(email, password, name=typed["name"] or None, email_confirmed=False)
        except Duplicate:  # taken a moment ago
            self.show(409, EMAIL_TAKEN, **typed)
            return
        await accounts.start_confirmation(self.db, self.application.mail, user, self.platform_origin(),
                                          why="You started a blog on %s." % self.cms.base_domain)
        log.info("%s signed up by e-mail; confirmation sent", user["_id"])
        self.show(sent=email)

    def platform_origin(self) -> str:
        return "%s://%s" % (self.request.protocol, self.request.host)


class NameCheckHandler(PlatformPage):
    """``/new/name?name=``: whether a site name is free and allowed, as JSON, for the
    form's as-you-type check. Site names are public (they are addresses), so anyone
    may ask, at a pace per client address (`CHECKS_PER_SECOND`, `CHECKS_AT_ONCE`)."""

    def initialize(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    async def get(self) -> None:
        if not self.limiter.allow(self.request.remote_ip):
            self.set_status(429)
            self.finish({"available": False, "message": CHECKS_TOO_FAST})
            return
        raw = self.get_query_argument("name", "")[:100].strip().lower()
        try:
            name = validate_new_site_name(raw)
        except Invalid as error:
            self.finish({"name": raw, "available": False, "message": sentence(error)})
            return
        if not await NewSites(self.db).available(name):
            self.finish({"name": name, "available": False, "message": TAKEN % name})
            return
        self.finish({"name": name, "available": True, "message": "%s.%s is free." % (name, self.cms.base_domain)})


def signup_routes() -> list[tornado.web.URLSpec]:
    URLSpec = tornado.web.URLSpec
    return [
        URLSpec(r"/signup", SignupHandler, name="platform-signup"),
        URLSpec(r"/new", NewSiteHandler, name="platform-new-site"),
        URLSpec(r"/new/name", NameCheckHandler, {"limiter": RateLimiter(CHECKS_PER_SECOND, CHECKS_AT_ONCE)},
                name="platform-name-check"),
    ]
