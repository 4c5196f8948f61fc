"""Links sent by e-mail, on a site host and on the platform: ``/confirm/<token>`` (an address
is confirmed), ``/reset`` (ask for a password reset link) and ``/reset/<token>`` (set a new
password). Each flow is written once (``*Flow``) and mounted on both kinds of host.

The work is in `cms.accounts`; these handlers show its pages and start the
session once a link has proven who someone is. A link's GET only shows a
form: mail scanners fetch links, and must not use one up. Asking for a reset
answers the same whether or not the address has an account here, and the
lookup and the mail happen after the answer, so its timing tells nothing
either; the asking is throttled per address (platform-wide) and per client.
"""

from __future__ import annotations

import asyncio
import logging

import tornado.web

from cms import accounts, sessions
from cms.accounts import LinkProblem
from cms.handlers.admin import AdminHandler
from cms.handlers.platform import PlatformPage
from cms.store import Invalid, StoreError
from cms.store.changes import PLATFORM
from cms.store.errors import WrongPassword
from cms.store.throttle import Throttle, key_for
from cms.store.users import normalize_email

log = logging.getLogger(__name__)

TOKEN = r"([A-Za-z0-9_-]{1,100})"
RESET_SENT = ("If an account on %s has that address, we sent it a link to choose a new password. "
              "It works for one hour.")
TOO_MANY = "Too many requests. Wait a few minutes, then try again."
CONFIRM_WRONG = ("That is not the password chosen for this account. If you did not choose one, someone else "
                 "used your address: use \u201cForgot password?\u201d to set your own.")


def _log_failure(task: asyncio.Future) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("sending a reset link failed", exc_info=task.exception())


class LinkPages:
    """What the link pages of a site and of the platform share; the subclasses say where.

    Mixed into a site's `AdminHandler` or the platform's `PlatformPage` (which
    load the signed-in person and render the platform's own templates).
    """

    layout = "admin"  # the template folder whose pages wrap cms/templates/accounts/
    signin_url = "/login"
    after_confirm = "/admin/"
    after_reset = "/admin/account?done=reset"

    @property
    def link_site(self) -> dict | None:
        """The site the links are about (None: the platform)."""
        return self.site

    def show(self, template: str, status: int = 200, **kwargs: object) -> None:
        self.set_status(status)
        kwargs.setdefault("done", False)
        where = self.link_site["title"] if self.link_site else self.cms.base_domain
        self.render("%s/%s" % (self.layout, template), reset_sent=RESET_SENT % where, where=where,
                    signin_url=self.signin_url, **kwargs)

    async def signed_in_here(self, user: dict) -> bool:
        """Start a session here if the person belongs here: on a site, a member (or, invited,
        one now); on the platform, anyone with an account."""
        if self.link_site is not None and await accounts.join_if_invited(self.db, self.link_site, user) is None:
            return False
        await sessions.start(self, user)
        return True


class PlatformLinkPages(LinkPages):
    layout = "platform"
    signin_url = "/signin"
    after_confirm = after_reset = "/sites"

    @property
    def link_site(self) -> dict | None:
        return None


class ConfirmFlow:
    """``/confirm/<token>``: the link plus the password chosen with the account confirm the address."""

    async def get(self, token: str) -> None:
        try:
            await accounts.check(self.db, "confirm", token, self.request.host)
        except LinkProblem as problem:
            return self.show("link.html", problem.status, error=str(problem), token=None, kind="confirm")
        self.show("link.html", token=token, error=None, kind="confirm")

    async def post(self, token: str) -> None:
        password = self.get_body_argument("password", "")[:1000]
        scope = self.link_site["_id"] if self.link_site else PLATFORM
        throttle, keys = Throttle(self.db, scope), [key_for("ip", self.request.remote_ip or "")]
        if await throttle.blocked(keys):
            return self.show("link.html", 429, error=TOO_MANY, token=token, kind="confirm")
        try:
            user = await accounts.confirm(self.db, token, self.request.host, password)
        except LinkProblem as problem:
            return self.show("link.html", problem.status, error=str(problem), token=None, kind="confirm")
        except WrongPassword:
            await throttle.failed(keys)
            return self.show("link.html", 400, error=CONFIRM_WRONG, token=token, kind="confirm")
        if await self.signed_in_here(user):
            self.redirect(self.after_confirm, status=303)
            return
        self.show("link.html", token=None, error=None, kind="confirmed")


class ResetRequestFlow:
    """``/reset``: an address in, the same answer out."""

    writes_while_suspended = True  # the account's, not the site's: the owner may need it to read why

    async def get(self) -> None:
        self.show("reset_request.html", error=None, sent=False, email="")

    async def post(self) -> None:
        typed = self.get_body_argument("email", "").strip()[:254]
        try:
            email = normalize_email(typed)
        except Invalid:
            return self.show("reset_request.html", 400, error="That is not an e-mail address.", sent=False,
                             email=typed)
        # Per address across every site (no site multiplies the mail one address gets), and per client here.
        everywhere = Throttle(self.db, PLATFORM)
        here = Throttle(self.db, self.link_site["_id"]) if self.link_site else everywhere
        by_address, by_client = [key_for("reset", email)], [key_for("reset-ip", self.request.remote_ip or "")]
        if await everywhere.blocked(by_address) or await here.blocked(by_client):
            log.warning("password reset requests throttled on %s", self.request.host)
            return self.show("reset_request.html", 429, error=TOO_MANY, sent=False, email=typed)
        await everywhere.failed(by_address)
        await here.failed(by_client)
        task = asyncio.ensure_future(accounts.start_reset(
            self.db, self.application.mail, email, self.here_url(""), site=self.link_site))
        task.add_done_callback(_log_failure)
        self.show("reset_request.html", error=None, sent=True, email="")


class ResetFlow:
    """``/reset/<token>``: choose a new password; every other session of the person ends."""

    writes_while_suspended = True

    async def get(self, token: str) -> None:
        try:
            await accounts.check(self.db, "reset", token, self.request.host)
        except LinkProblem as problem:
            return self.show("reset.html", problem.status, error=str(problem), token=None)
        self.show("reset.html", token=token, error=None)

    async def post(self, token: str) -> None:
        password = self.get_body_argument("password", "")[:1000]
        try:
            await accounts.check(self.db, "reset", token, self.request.host)  # a bad link says so first
            if password != self.get_body_argument("confirm_password", "")[:1000]:
                raise Invalid("the new password and its confirmation differ")
            user = await accounts.reset(self.db, token, self.request.host, password)
        except LinkProblem as problem:
            return self.show("reset.html", problem.status, error=str(problem), token=None)
        except StoreError as error:  # a weak password: the link stays good
            return self.show("reset.html", 400, error="Not saved: %s." % error, token=token)
        if await self.signed_in_here(user):
            self.redirect(self.after_reset, status=303)
            return
        self.show("reset.html", token=None, error=None, done=True)


class ConfirmHandler(ConfirmFlow, LinkPages, AdminHandler):
    pass


class ResetRequestHandler(ResetRequestFlow, LinkPages, AdminHandler):
    pass


class ResetHandler(ResetFlow, LinkPages, AdminHandler):
    pass


class PlatformConfirmHandler(ConfirmFlow, PlatformLinkPages, PlatformPage):
    pass


class PlatformResetRequestHandler(ResetRequestFlow, PlatformLinkPages, PlatformPage):
    pass


class PlatformResetHandler(ResetFlow, PlatformLinkPages, PlatformPage):
    pass


def accounts_routes() -> list[tornado.web.URLSpec]:
    """On a site host."""
    URLSpec = tornado.web.URLSpec
    return [
        URLSpec(r"/confirm/%s" % TOKEN, ConfirmHandler, name="confirm"),
        URLSpec(r"/reset", ResetRequestHandler, name="reset"),
        URLSpec(r"/reset/%s" % TOKEN, ResetHandler, name="reset-token"),
    ]


def platform_accounts_routes() -> list[tornado.web.URLSpec]:
    """On the platform host (its sign-in form links to ``/reset``; sign-up by e-mail sends ``/confirm``)."""
    URLSpec = tornado.web.URLSpec
    return [
        URLSpec(r"/confirm/%s" % TOKEN, PlatformConfirmHandler, name="platform-confirm"),
        URLSpec(r"/reset", PlatformResetRequestHandler, name="platform-reset"),
        URLSpec(r"/reset/%s" % TOKEN, PlatformResetHandler, name="platform-reset-token"),
    ]
