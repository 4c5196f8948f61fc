"""Links sent by e-mail, on a site host: ``/confirm/<token>`` (an address is confirmed),
``/reset`` (ask for a password reset link) and ``/reset/<token>`` (set a new password).

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
from cms.store import Invalid, StoreError
from cms.store.changes import PLATFORM
from cms.store.errors import WrongPassword
from cms.store.throttle import Throttle, key_for
from cms.store.users import normalize_email

log = logging.getLogger(__name__)

TOKEN = r"([A-Za-z0-9_-]{1,100})"
RESET_SENT = ("If an account of this site has that address, we sent it a link to choose a new password. "
              "It works for one hour.")
TOO_MANY = "Too many requests. Wait a few minutes, then try again."
CONFIRM_WRONG = ("That is not the password chosen for this account. If you did not choose one, someone else "
                 "used your address: use \u201cForgot password?\u201d to set your own.")
NOT_CONFIRMED = ("This account's e-mail address is not confirmed yet: open the link we sent to it. "
                 "No e-mail? Use \u201cForgot password?\u201d to get a new link.")


def _log_failure(task: asyncio.Future) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("sending a reset link failed", exc_info=task.exception())


class LinkHandler(AdminHandler):
    """A page of a link from an e-mail (confirmation, reset)."""

    def show(self, template: str, status: int = 200, **kwargs: object) -> None:
        self.set_status(status)
        kwargs.setdefault("done", False)
        self.render("admin/%s" % template, reset_sent=RESET_SENT, **kwargs)

    async def signed_in_here(self, user: dict) -> bool:
        """Start a session on this site if the person is (or, invited, now becomes) a member."""
        if await accounts.join_if_invited(self.db, self.site, user) is None:
            return False
        await sessions.start(self, user)
        return True


class ConfirmHandler(LinkHandler):
    """``/confirm/<token>``: the link plus the password chosen with the account confirm the address."""

    async def get(self, token: str) -> None:
        try:
            await accounts.check(self.db, "confirm", token, self.request.host)
        except LinkProblem as problem:
            return self.show("link.html", problem.status, error=str(problem), token=None, kind="confirm")
        self.show("link.html", token=token, error=None, kind="confirm")

    async def post(self, token: str) -> None:
        password = self.get_body_argument("password", "")[:1000]
        throttle, keys = Throttle(self.db, self.site["_id"]), [key_for("ip", self.request.remote_ip or "")]
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
            self.redirect("/admin/", status=303)
            return
        self.show("link.html", token=None, error=None, kind="confirmed")


class ResetRequestHandler(LinkHandler):
    """``/reset``: an address in, the same answer out."""

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
        everywhere, here = Throttle(self.db, PLATFORM), Throttle(self.db, self.site["_id"])
        by_address, by_client = [key_for("reset", email)], [key_for("reset-ip", self.request.remote_ip or "")]
        if await everywhere.blocked(by_address) or await here.blocked(by_client):
            log.warning("password reset requests throttled on %s", self.site["name"])
            return self.show("reset_request.html", 429, error=TOO_MANY, sent=False, email=typed)
        await everywhere.failed(by_address)
        await here.failed(by_client)
        task = asyncio.ensure_future(accounts.start_reset(
            self.db, self.application.mail, email, self.here_url(""), site=self.site))
        task.add_done_callback(_log_failure)
        self.show("reset_request.html", error=None, sent=True, email="")


class ResetHandler(LinkHandler):
    """``/reset/<token>``: choose a new password; every other session of the person ends."""

    async def get(self, token: str) -> None:
        try:
            await accounts.check(self.db, "reset", token, self.request.host)
        except LinkProblem as problem:
            return self.show("reset.html", problem.status, error=str(problem), token=None)
        self.show("reset.html", token=token, error=None)

    async def post(self, token: str) -> None:
        password = self.get_body_argument("password", "")[:1000]
        try:
            if password != self.get_body_argument("confirm_password", "")[:1000]:
                raise Invalid("the new password and its confirmation differ")
            user = await accounts.reset(self.db, token, self.request.host, password)
        except LinkProblem as problem:
            return self.show("reset.html", problem.status, error=str(problem), token=None)
        except StoreError as error:  # a weak password: the link stays good
            return self.show("reset.html", 400, error="Not saved: %s." % error, token=token)
        if await self.signed_in_here(user):
            self.redirect("/admin/account?done=reset", status=303)
            return
        self.show("reset.html", token=None, error=None, done=True)


def accounts_routes() -> list[tornado.web.URLSpec]:
    URLSpec = tornado.web.URLSpec
    return [
        URLSpec(r"/confirm/%s" % TOKEN, ConfirmHandler, name="confirm"),
        URLSpec(r"/reset", ResetRequestHandler, name="reset"),
        URLSpec(r"/reset/%s" % TOKEN, ResetHandler, name="reset-token"),
    ]
