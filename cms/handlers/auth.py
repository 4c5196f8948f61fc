"""Signing in and out of a site: ``/login``, ``/logout``, ``/admin/sessions``.

A person signs in once per site host; the session cookie (cms/sessions.py) is
only good on that site, and what they may do there comes from their
membership in that site. A wrong password, an unknown e-mail and an account
that is not a member of this site all get the same words after the same bcrypt
work, so the form reveals nothing about who has an account (here or
elsewhere).
"""

from __future__ import annotations

import logging


import tornado.web

from cms import sessions
from cms.handlers.admin import AdminHandler, requires
from cms.store import Users

log = logging.getLogger(__name__)

FAILED = "That e-mail and password do not match an account of this site."


def safe_next(target: str | None) -> str:
    """Only a path on this host: never ``//evil.example`` or ``https://...``."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/admin/"


class LoginHandler(AdminHandler):
    async def get(self) -> None:
        if self.role is not None:
            self.redirect(safe_next(self.get_query_argument("next", None)))
            return
        self.render("admin/login.html", error=None, email="", next=safe_next(self.get_query_argument("next", None)))

    async def post(self) -> None:
        email = self.get_body_argument("email", "").strip()[:254]
        password = self.get_body_argument("password", "")[:1000]
        target = safe_next(self.get_body_argument("next", None))
        user = await Users(self.db).authenticate(email, password)
        role = await self.store.members.role_of(user["_id"]) if user else None
        if user is None or role is None:
            log.info("failed sign-in on %s", self.site["name"])
            self.set_status(401)
            self.render("admin/login.html", error=FAILED, email=email, next=target)
            return
        sessions.start(self, user)
        log.info("%s signed in on %s as %s", user["_id"], self.site["name"], role)
        self.redirect(target, status=303)


class LogoutHandler(AdminHandler):
    async def get(self) -> None:
        """A page with a button: signing out changes state, so it is a POST."""
        self.render("admin/logout.html")

    async def post(self) -> None:
        sessions.end(self)
        self.redirect("/login", status=303)


class SessionsHandler(AdminHandler):
    """Sign out everywhere: every session of this person, on every device and site."""

    @requires("contributor")
    async def post(self) -> None:
        await Users(self.db).bump_session_version(self.current_user["_id"])
        sessions.end(self)
        self.redirect("/login", status=303)


def auth_routes() -> list[tornado.web.URLSpec]:
    URLSpec = tornado.web.URLSpec
    return [
        URLSpec(r"/login", LoginHandler, name="login"),
        URLSpec(r"/logout", LogoutHandler, name="logout"),
        URLSpec(r"/admin/sessions", SessionsHandler, name="admin-sessions"),
    ]



