"""Signing in and out of a site: ``/login``, ``/logout``, ``/admin/sessions`` (sign
out everywhere), ``/admin/sessions/<id>/end`` (sign out one device), ``/auth/google``
(Google's OAuth 2.0) and ``/invitation`` (accepting an invitation).

A person signs in once per site host; the session (cms/sessions.py, kept on
the server) is only good on that site, and what they may do there comes from their
membership in that site. A wrong password, an unknown e-mail and an account
that is not a member of this site all get the same words after the same bcrypt
work, so the form reveals nothing about who has an account (here or
elsewhere).
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from typing import Any

import tornado.auth
import tornado.httpclient
import tornado.web

from cms import accounts, sessions
from cms.handlers.admin import AdminHandler, requires
from cms.next_url import safe_next
from cms.store import Duplicate, Invalid, PersonSessions, StoreError, Users
from cms.store.changes import PLATFORM
from cms.store.invitations import is_open
from cms.store.throttle import Throttle, key_for
from cms.store.users import check_password, dummy_hash, hash_password, is_confirmed, validate_password

log = logging.getLogger(__name__)

FAILED = "That e-mail and password do not match an account of this site."
NOT_CONFIRMED = ("This account's e-mail address is not confirmed yet: open the link we sent to it. "
                 "No e-mail? Use \u201cForgot password?\u201d to get a link.")
TOO_MANY = "Too many failed attempts. Wait a few minutes, then try again."


class LoginHandler(AdminHandler):
    writes_while_suspended = True  # the owner signs in to read why the site is suspended

    async def get(self) -> None:
        if self.role is not None:
            self.redirect(safe_next(self.get_query_argument("next", None)))
            return
        self.render("admin/login.html", error=None, email="", next=safe_next(self.get_query_argument("next", None)))

    async def post(self) -> None:
        email = self.get_body_argument("email", "").strip()[:254]
        password = self.get_body_argument("password", "")[:1000]
        target = safe_next(self.get_body_argument("next", None))
        # Known and unknown e-mails are throttled alike, so the limit tells nothing either.
        throttle = Throttle(self.db, self.site["_id"])
        keys = [key_for("email", email), key_for("ip", self.request.remote_ip or "")]
        if await throttle.blocked(keys):
            log.warning("sign-in throttled on %s", self.site["name"])
            self.set_status(429)
            self.render("admin/login.html", error=TOO_MANY, email=email, next=target)
            return
        user = await Users(self.db).authenticate(email, password, unconfirmed=True)
        if user is not None and not is_confirmed(user):
            # The right password, but the address is not proven: it signs in nowhere yet.
            log.info("sign-in of an unconfirmed account on %s", self.site["name"])
            self.set_status(401)
            self.render("admin/login.html", error=NOT_CONFIRMED, email=email, next=target)
            return
        role = await self.store.members.role_of(user["_id"]) if user else None
        if user is None or role is None:
            log.info("failed sign-in on %s", self.site["name"])
            await throttle.failed(keys)
            self.set_status(401)
            self.render("admin/login.html", error=FAILED, email=email, next=target)
            return
        await throttle.succeeded(keys[0])
        await sessions.start(self, user)
        log.info("%s signed in on %s as %s", user["_id"], self.site["name"], role)
        self.redirect(target, status=303)


class LogoutHandler(AdminHandler):
    writes_while_suspended = True

    async def get(self) -> None:
        """A page with a button: signing out changes state, so it is a POST."""
        self.render("admin/logout.html")

    async def post(self) -> None:
        await sessions.end(self)
        self.redirect("/login", status=303)


class SessionsHandler(AdminHandler):
    """Sign out everywhere: every session of this person, on every device and site."""

    writes_while_suspended = True

    @requires("contributor")
    async def post(self) -> None:
        user_id = self.current_user["_id"]
        await Users(self.db).bump_session_version(user_id)  # every process stops honouring them at once
        ended = await PersonSessions(self.db, user_id).end_all()
        await sessions.end(self)
        log.info("%s signed out everywhere (%d sessions)", user_id, ended)
        self.redirect("/login", status=303)


class SessionEndHandler(AdminHandler):
    """``/admin/sessions/<id>/end``: "sign out this device", from the account page's list.

    Only the signed-in person's own sessions on this site: any other id is a 404.
    """

    writes_while_suspended = True

    @requires("contributor")
    async def post(self, session_id: str) -> None:
        if not await self.store.sessions.end_one_of(self.current_user["_id"], session_id):
            raise tornado.web.HTTPError(404)
        log.info("%s ended one of their sessions on %s", self.current_user["_id"], self.site["name"])
        if self.session is not None and session_id == self.session["_id"]:  # this very browser
            self.clear_cookie(sessions.COOKIE)
            self.redirect("/login", status=303)
            return
        self.redirect("/admin/account?done=session", status=303)


# --- Google -----------------------------------------------------------------------------

GOOGLE_NOT_MEMBER = "That Google account is not a member of this site."
GOOGLE_UNVERIFIED = "Google has not verified that account's e-mail address, so it cannot sign in here."
GOOGLE_STALE = "That sign-in attempt expired or did not start here. Please try again."
GOOGLE_UNREACHABLE = "Google could not be reached to finish signing in. Please try again."
GOOGLE_CANCELLED = "Signing in with Google was cancelled."
STATE_COOKIE = "cms_oauth"
STATE_MINUTES = 10


class GoogleLoginHandler(AdminHandler, tornado.auth.GoogleOAuth2Mixin):
    """``/auth/google``: Google's OAuth 2.0 code flow, on whichever site host it is used.

    The first visit sends the browser to Google with a random ``state`` that
    is also kept in a short-lived signed cookie; the callback must bring the
    same ``state`` back. A Google account signs in only when its *verified*
    e-mail (or the Google subject stored at an earlier sign-in) is a member of
    this site, or has an open invitation to it, which it then accepts. The
    endpoints come from the app setting ``google_oauth_urls`` when set (the
    tests point them at a stand-in); 404 when no client id is configured.
    """

    password_removed = False  # an unconfirmed account's password was dropped by this sign-in
    password_removed_page = "/admin/account?done=password-removed"  # where the person is told so

    async def prepare(self) -> None:
        await super().prepare()
        if not self.cms.google_client_id:
            raise tornado.web.HTTPError(404)
        urls = self.settings.get("google_oauth_urls") or {}
        self._OAUTH_AUTHORIZE_URL = urls.get("authorize", self._OAUTH_AUTHORIZE_URL)
        self._OAUTH_ACCESS_TOKEN_URL = urls.get("token", self._OAUTH_ACCESS_TOKEN_URL)
        self._OAUTH_USERINFO_URL = urls.get("userinfo", self._OAUTH_USERINFO_URL)

    @property
    def where(self) -> str:
        """For the log: this site's name, or the platform (`cms.handlers.platform` signs in there too)."""
        return self.site["name"] if self.site else "the platform"

    def get_google_oauth_settings(self) -> dict[str, str]:
        return {"key": self.cms.google_client_id or "", "secret": self.cms.google_client_secret or ""}

    @property
    def redirect_uri(self) -> str:
        return self.here_url("/auth/google")  # back to this host, whose cookies hold the state

    def fail(self, status: int, message: str) -> None:
        self.set_status(status)
        self.render("admin/login.html", error=message, email="", next="/admin/")

    async def get(self) -> None:
        if self.get_query_argument("code", None) is None and self.get_query_argument("error", None) is None:
            self.start()
            return
        raw = self.get_signed_cookie(STATE_COOKIE, max_age_days=STATE_MINUTES / 1440)
        self.clear_cookie(STATE_COOKIE)
        try:
            kept = json.loads(raw) if raw else {}
        except ValueError:
            kept = {}
        state = self.get_query_argument("state", "")
        if not isinstance(kept, dict) or not state or not hmac.compare_digest(str(kept.get("state", "")), state):
            log.info("Google callback on %s with a missing or wrong state", self.where)
            self.fail(400, GOOGLE_STALE)
            return
        if self.get_query_argument("error", None) is not None:
            self.fail(401, GOOGLE_CANCELLED)
            return
        try:
            access = await self.get_authenticated_user(self.redirect_uri, self.get_query_argument("code"))
            info = await self.oauth2_request(self._OAUTH_USERINFO_URL, access_token=access["access_token"])
        except (tornado.httpclient.HTTPClientError, OSError, KeyError, ValueError) as error:
            log.warning("Google sign-in on %s failed: %s", self.where, error)
            self.fail(502, GOOGLE_UNREACHABLE)
            return
        user, message = await self.google_member(info or {})
        if user is None:
            self.fail(401, message)
            return
        await sessions.start(self, user)
        log.info("%s signed in with Google on %s", user["_id"], self.where)
        if self.password_removed:  # tell the person (cms.handlers.account DONE)
            self.redirect(self.password_removed_page, status=303)
            return
        self.redirect(safe_next(kept.get("next")), status=303)

    def start(self) -> None:
        state = secrets.token_urlsafe(24)
        target = safe_next(self.get_query_argument("next", None))
        self.set_signed_cookie(
            STATE_COOKIE, json.dumps({"state": state, "next": target}), expires_days=None, httponly=True,
            samesite="Lax", secure=self.request.protocol == "https",
        )
        self.authorize_redirect(
            redirect_uri=self.redirect_uri, client_id=self.get_google_oauth_settings()["key"],
            scope=["openid", "email", "profile"], response_type="code",
            extra_params={"state": state, "prompt": "select_account"},
        )

    async def google_member(self, info: dict) -> tuple[dict | None, str]:
        """The member of this site this Google account is (accepting an invitation), or a reason."""
        sub = str(info.get("sub") or info.get("id") or "")
        email = str(info.get("email") or "").strip().lower()
        verified = info.get("email_verified", info.get("verified_email")) in (True, "true")
        users = Users(self.db)
        user = await users.by_google_sub(sub) if sub else None
        if user is None:
            if not sub or not email:
                return None, GOOGLE_NOT_MEMBER
            if not verified:
                return None, GOOGLE_UNVERIFIED
            user = await users.by_email(email)
            if user is not None and user.get("google_sub") not in (None, sub):
                return None, GOOGLE_NOT_MEMBER  # that e-mail's account is tied to another Google account
            if user is not None and not is_confirmed(user):
                # Someone chose a password for this address without proving it was theirs:
                # Google has just proven whose it is. Their password goes (cms.accounts.claim).
                self.password_removed = await accounts.claim(self.db, user, name=str(info.get("name") or ""))
                user = await users.by_id(user["_id"])
        role = await self.store.members.role_of(user["_id"]) if user else None
        if role is None and verified and email:
            invitation = await self.store.invitations.open_for(email)
            if invitation is not None and await self.store.invitations.accept_by_id(invitation["_id"]):
                if user is None:
                    user = await users.create_external(email, str(info.get("name") or ""), sub)
                await add_member(self.store, user["_id"], invitation["role"])
                role = invitation["role"]
                log.info("%s accepted an invitation to %s with Google", user["_id"], self.site["name"])
        if user is None or role is None:
            return None, GOOGLE_NOT_MEMBER
        if not user.get("google_sub"):
            await users.link_google(user["_id"], sub)
        return user, ""


async def add_member(store: Any, user_id: str, role: str) -> None:
    try:
        await store.members.add(user_id, role)
    except Duplicate:  # a member already: an invitation never lowers (or raises) a role
        pass


# --- invitations ----------------------------------------------------------------------

INVITATION_UNKNOWN = "This invitation link is not valid. It may have been used already, or withdrawn."
INVITATION_EXPIRED = "This invitation has expired. Ask the person who invited you for a new link."
INVITATION_PASSWORD = ("That password cannot be used. If you already have an account with this e-mail, type its "
                       "password; if not, choose a new one: 10 to 72 characters, not a common one.")
INVITATION_FAILED = "Your account could not be made just now. Please open the link again."
JOINED, REFUSED, SENT = "joined", "refused", "sent"  # what accepting an invitation did


class InvitationHandler(AdminHandler):
    """``/invitation?token=...``: the invitee types a password (or uses Google) and joins.

    Someone whose e-mail already has a (confirmed) account joins with that
    account's password, at once. Any other password sends an e-mail to the
    invited address instead, and the page says so: for an address without an
    account, a new, unconfirmed account is made and the e-mail holds its
    confirmation link (`cms.accounts`: link plus password confirm it; only
    then does it join the site, through the invitation, which stays open
    meanwhile); for an address with an account, the e-mail tells its owner
    how to join with their own password. So the person who holds the link (the
    inviter holds it too) never gets an account the address's owner has not
    confirmed, and the answer is the same whether or not the address has an
    account: same page, same status, the same bcrypt work, the invitation open
    either way. A password too weak for a new account gets one answer whoever
    the address belongs to. Every attempt that does not sign in counts with
    the sign-in form's throttle (per e-mail and per client address, on this
    site) and, for the invited e-mail, across every site (an inviter may run
    many).
    """

    async def invitation(self, token: str) -> dict:
        invitation = await self.store.invitations.find(token)
        if invitation is None:
            raise InvitationProblem(404, INVITATION_UNKNOWN)
        if not is_open(invitation):
            raise InvitationProblem(410, INVITATION_EXPIRED)
        return invitation

    def show(self, token: str, invitation: dict | None, status: int = 200, error: str | None = None,
             name: str = "", sent: bool = False) -> None:
        self.set_status(status)
        self.render("admin/invitation.html", token=token, invitation=invitation, error=error, name=name,
                    google=bool(self.cms.google_client_id), sent=sent)

    async def get(self) -> None:
        token = self.get_query_argument("token", "")
        try:
            invitation = await self.invitation(token)
        except InvitationProblem as problem:
            self.show("", None, problem.status, problem.message)
            return
        self.show(token, invitation)

    async def post(self) -> None:
        token = self.get_body_argument("token", "")
        name = " ".join(self.get_body_argument("name", "").split())[:100]
        password = self.get_body_argument("password", "")[:1000]
        try:
            invitation = await self.invitation(token)
            # This site's sign-in limits, and one across every site for the invited e-mail.
            here, everywhere = Throttle(self.db, self.site["_id"]), Throttle(self.db, PLATFORM)
            keys = [key_for("email", invitation["email"]), key_for("ip", self.request.remote_ip or "")]
            invited = [key_for("invited", invitation["email"])]
            if await here.blocked(keys) or await everywhere.blocked(invited):
                log.warning("invitation acceptance throttled on %s", self.site["name"])
                self.show(token, invitation, 429, TOO_MANY, name)
                return
            outcome, user = await self.accept(token, invitation, password, name)
        except InvitationProblem as problem:
            self.show("", None, problem.status, problem.message)
            return
        if user is None:  # a refused password, or an e-mail sent: neither signs in
            await here.failed(keys)
            await everywhere.failed(invited)
            if outcome == REFUSED:
                log.info("refused password accepting an invitation to %s", self.site["name"])
                self.show(token, invitation, 400, INVITATION_PASSWORD, name)
            else:
                self.show(token, invitation, 200, name=name, sent=True)
            return
        await here.succeeded(keys[0])
        await everywhere.succeeded(invited[0])
        await add_member(self.store, user["_id"], invitation["role"])
        await sessions.start(self, user)
        log.info("%s accepted an invitation to %s as %s", user["_id"], self.site["name"], invitation["role"])
        self.redirect("/admin/", status=303)

    async def accept(self, token: str, invitation: dict, password: str, name: str) -> tuple[str, dict | None]:
        """(`JOINED`, the confirmed account whose password was given), (`REFUSED`, None) or
        (`SENT`, None): an e-mail went to the invited address. Only a join uses the invitation up."""
        users, email = Users(self.db), invitation["email"]
        account = await users.by_email(email)
        if account is not None and await users.authenticate(email, password) is not None:
            if await self.store.invitations.accept(token) is None:  # used or expired a moment ago
                raise InvitationProblem(410, INVITATION_EXPIRED)
            return JOINED, account
        if account is None:
            await check_password(password, await dummy_hash())  # the same bcrypt work as `authenticate`
        try:
            validate_password(password)
        except Invalid:
            return REFUSED, None
        if account is not None:
            await hash_password(password)  # the same work as making the new account below
            await self.tell_the_account(invitation, token)
            return SENT, None
        try:
            account = await users.create(email, password, name=name or None, email_confirmed=False)
        except StoreError as error:  # e.g. the e-mail was taken a moment ago
            log.warning("an invitation to %s could not make an account: %s", self.site["name"], error)
            raise InvitationProblem(409, INVITATION_FAILED) from None
        await accounts.start_confirmation(
            self.db, self.application.mail, account, self.here_url(""), site=self.site,
            why="You accepted an invitation to %s as %s. Once your address is confirmed, you are in."
                % (self.site["title"], invitation["role"]))
        return SENT, None

    async def tell_the_account(self, invitation: dict, token: str) -> None:
        """The address has an account, and the password given is not its own: tell its owner how to join."""
        title = self.site["title"]
        text = (
            "Hello,\n\n"
            "Someone tried to accept the invitation to %s for this address with a password that is not "
            "your account's. If it was you, open the invitation again and type your account's password "
            "(or use \u201cForgot password?\u201d there):\n\n%s\n\n"
            "If it was not you, ignore this e-mail: your account is unchanged.\n"
            % (title, self.here_url("/invitation?token=" + token)))
        await self.application.mail.send(invitation["email"], "Your invitation to %s" % title, text,
                                         kind="invitation", site_id=self.site["_id"])


class InvitationProblem(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def auth_routes() -> list[tornado.web.URLSpec]:
    URLSpec = tornado.web.URLSpec
    return [
        URLSpec(r"/login", LoginHandler, name="login"),
        URLSpec(r"/logout", LogoutHandler, name="logout"),
        URLSpec(r"/admin/sessions", SessionsHandler, name="admin-sessions"),
        URLSpec(r"/admin/sessions/([0-9a-f]{24})/end", SessionEndHandler, name="admin-session-end"),
        URLSpec(r"/auth/google", GoogleLoginHandler, name="auth-google"),
        URLSpec(r"/invitation", InvitationHandler, name="invitation"),
    ]
