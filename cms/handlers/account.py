"""``/admin/account``: a member changes their own account (name, username, bio, password)
and sees their sessions on this site, each with "sign out this device".

An account is platform-wide: the name, username, bio and password are the same
on every site the person belongs to, and the page says so. Nothing here is
about anyone else: the handler only ever reads and writes the signed-in
person's own user document and sessions. A password change moves
``session_version`` on and ends every other session of the person, on every
site; the session that made the change is replaced by a fresh one and stays
signed in.
"""

from __future__ import annotations

import logging

import tornado.web

from cms import sessions
from cms.handlers.admin import AdminHandler, requires
from cms.store import Invalid, PersonSessions, StoreError, Users
from cms.store.errors import WrongPassword
from cms.store.throttle import Throttle, key_for
from cms.store.users import MAX_BIO

log = logging.getLogger(__name__)

# Fixed notices after a redirect (``?done=key``): nothing typed is echoed.
DONE = {"profile": "Your account is saved.", "password": "Your password is changed. Every other session of yours has ended.",
        "session": "That device is signed out.",
        "reset": "Your new password is set. Every other session of yours has ended.",
        "password-removed": ("A password for your address had been set by someone who could not confirm it; "
                             "it is removed. Sign in with Google, or set a password of your own below.")}
ACTIONS = ("profile", "password")


class AccountHandler(AdminHandler):
    """The signed-in person's own account, whatever their role on this site."""

    async def show(self, status: int = 200, error: str | None = None, fields: dict[str, str] | None = None,
                   form: str = "") -> None:
        user = self.current_user
        self.set_status(status)
        self.render(
            "admin/account.html", nav="account", error=error, error_form=form, max_bio=MAX_BIO,
            devices=await self.store.sessions.of_user(user), this_session=(self.session or {}).get("_id"),
            done=DONE.get(self.get_query_argument("done", "")), has_password=bool(user.get("password_hash")),
            fields=fields or {"name": user.get("name", ""), "username": user.get("username", ""),
                              "bio": user.get("bio", "")},
        )

    @requires("contributor")
    async def get(self) -> None:
        await self.show()

    @requires("contributor")
    async def post(self) -> None:
        action = self.get_body_argument("action", "")
        if action not in ACTIONS:
            raise tornado.web.HTTPError(400, reason="Unknown action")
        users = Users(self.db)
        user_id = self.current_user["_id"]
        fields = None
        try:
            if action == "profile":
                fields = {key: self.get_body_argument(key, "")[:2000] for key in ("name", "username", "bio")}
                await users.update_profile(user_id, **fields)
            else:
                new = self.get_body_argument("new_password", "")[:1000]
                if new != self.get_body_argument("confirm_password", "")[:1000]:
                    raise Invalid("the new password and its confirmation differ")
                # A stolen session must not become a way to guess the password.
                throttle, key = Throttle(self.db, self.site["_id"]), key_for("account", user_id)
                if await throttle.blocked([key]):
                    raise Invalid("too many wrong passwords; wait a few minutes, then try again")
                try:
                    user = await users.change_password(
                        user_id, self.get_body_argument("current_password", "")[:1000], new)
                except WrongPassword:
                    await throttle.failed([key])
                    raise
                await throttle.succeeded(key)
                # This browser goes on in a fresh session; every other one, on every site, ends.
                fresh = await sessions.start(self, user)
                await PersonSessions(self.db, user_id).end_all(keep=fresh["_id"])
        except StoreError as error:
            await self.show(400, str(error), fields, form=action)
            return
        log.info("%s changed their account (%s) on %s", user_id, action, self.site["name"])
        self.redirect("/admin/account?done=%s" % action, status=303)


def account_routes() -> list[tornado.web.URLSpec]:
    return [tornado.web.URLSpec(r"/admin/account", AccountHandler, name="admin-account")]
