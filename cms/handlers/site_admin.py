"""Running a site from the admin: tags, settings, theme, people, ownership, deletion.

Who may do what (checked on the server by `requires`, per site):

* editors and up rename, merge and delete tags across the site's posts;
* admins and up change the site's settings and theme, invite people, change
  roles and remove members -- but never grant ``owner`` nor touch an owner;
* the owner also transfers ownership and deletes the site.

The site's last owner can be neither demoted nor removed. Every write to the
site document bumps the platform change counter (in `cms.store.Sites`), so
every process re-reads the site on its next request.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from zoneinfo import available_timezones

import tornado.web

from cms import sessions
from cms.handlers.admin import ROLE_RANK, AdminHandler, requires
from cms.i18n import LANGUAGES, nearest
from cms.store import ROLES, Invalid, NotFound, Sites, StoreError, Users
from cms.store.invitations import VALID_DAYS
from cms.store.media import Media
from cms.themes import SettingsError, Theme, check_setting

log = logging.getLogger(__name__)

ID = r"([0-9a-f]{24})"
# Fixed messages shown after a redirect (``?done=key``): nothing a visitor types is echoed.
DONE = {
    "renamed": "Tag renamed.", "merged": "Tags merged.", "deleted": "Tag deleted.",
    "settings": "Settings saved.", "theme": "Theme saved.", "role": "Role changed.",
    "removed": "Member removed.", "revoked": "Invitation withdrawn.", "transferred": "Ownership transferred.",
}


class SiteAdminHandler(AdminHandler):
    """Shared by the pages below: the ``?done=`` notice and the site's `Sites` store."""

    @property
    def sites(self) -> Sites:
        return Sites(self.db)

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        # Read raw: an error page renders this namespace too, and must not fail on a
        # ?done= that is not UTF-8 (get_query_argument raises a 400 then).
        raw = self.request.query_arguments.get("done", [b""])[-1]
        namespace["done"] = DONE.get(raw.decode("utf-8", "replace"))
        return namespace

    def done(self, path: str, key: str) -> None:
        self.redirect("%s?done=%s" % (path, key), status=303)


# --- tags ----------------------------------------------------------------------------


class TagsHandler(SiteAdminHandler):
    """``/admin/tags``: every tag of the site with its post count; rename, merge, delete."""

    async def show(self, status: int = 200, error: str | None = None) -> None:
        self.set_status(status)
        self.render("admin/tags.html", nav="tags", tags=await self.store.posts.all_tags(), error=error)

    @requires("editor")
    async def get(self) -> None:
        await self.show()

    @requires("editor")
    async def post(self) -> None:
        action = self.get_body_argument("action", "")
        sources = [s.strip() for s in self.get_body_arguments("tag") if s.strip()][:100]
        new_name = self.get_body_argument("name", "")
        if action not in ("rename", "merge", "delete"):
            raise tornado.web.HTTPError(400, reason="Unknown action")
        try:
            if action == "rename" and len(sources) != 1:
                raise Invalid("pick one tag to rename")
            if action == "merge" and len(sources) < 2:
                raise Invalid("pick at least two tags to merge")
            changed = await self.store.posts.retag(sources, None if action == "delete" else new_name,
                                                   editor_id=self.current_user["_id"])
        except StoreError as error:
            await self.show(400, str(error))
            return
        log.info("%s %s tags %s on %d posts of %s", self.current_user["_id"], action, sources, len(changed),
                 self.site["name"])
        self.done("/admin/tags", {"rename": "renamed", "merge": "merged", "delete": "deleted"}[action])


# --- settings and theme ----------------------------------------------------------------


class SettingsHandler(SiteAdminHandler):
    """``/admin/settings``: title, tagline, time zone, language (and the owner's actions)."""

    def show(self, fields: dict[str, str], status: int = 200, error: str | None = None, **extra: Any) -> None:
        self.set_status(status)
        self.render("admin/settings.html", nav="settings", fields=fields, error=error, languages=LANGUAGES,
                    timezones=sorted(available_timezones()), members=extra.pop("members", []), **extra)

    async def members_for_transfer(self) -> list[dict]:
        if self.role != "owner":
            return []
        return [m for m in await self.store.members.list() if m["user_id"] != self.current_user["_id"]]

    @requires("admin")
    async def get(self) -> None:
        site = self.site
        fields = {key: site.get(key, default) for key, default in
                  (("title", ""), ("tagline", ""), ("timezone", "UTC"), ("language", "en"))}
        fields["language"] = nearest(fields["language"])  # what the site's pages speak (cms.i18n)
        self.show(fields, members=await self.members_for_transfer())

    @requires("admin")
    async def post(self) -> None:
        fields = {key: self.get_body_argument(key, "")[:300] for key in ("title", "tagline", "timezone", "language")}
        try:
            await self.sites.update_settings(self.site["_id"], **fields)
        except StoreError as error:
            if fields["language"] not in LANGUAGES:  # the picker shows what the site still speaks
                fields["language"] = nearest(self.site.get("language"))
            self.show(fields, 400, str(error), members=await self.members_for_transfer())
            return
        self.forget_cached_sites()
        log.info("%s changed the settings of %s", self.current_user["_id"], self.site["name"])
        self.done("/admin/settings", "settings")


def settings_from_form(handler: tornado.web.RequestHandler, theme: Theme) -> dict[str, Any]:
    """The theme's settings as the form sent them (``setting.<key>``), checked by the schema later."""
    values: dict[str, Any] = {}
    for key, spec in theme.settings_schema.items():
        field = "setting." + key
        if spec["type"] == "boolean":
            values[key] = bool(handler.get_body_argument(field, ""))
        elif spec["type"] == "links":
            labels = handler.get_body_arguments(field + ".label")
            urls = handler.get_body_arguments(field + ".url")
            values[key] = [{"label": label.strip(), "url": url.strip()}
                           for label, url in zip(labels, urls) if label.strip() or url.strip()]
        else:
            raw = handler.get_body_argument(field, None)
            if raw is not None:
                values[key] = raw.strip()
    return values


def carried_settings(site: dict, theme: Theme) -> dict[str, Any]:
    """The site's current settings that also fit ``theme`` (kept across a theme switch)."""
    schema = theme.settings_schema
    kept = {}
    for key, value in (site.get("theme_settings") or {}).items():
        if key in schema:
            try:
                kept[key] = check_setting(key, schema[key], value)
            except SettingsError:
                pass
    return kept


async def check_media_settings(media: Media, theme: Theme, settings: dict[str, Any]) -> None:
    """`Invalid` when a media setting (the logo) names a file this site's library lacks:
    the schema only knows the shape of a URL, the library knows what exists."""
    for key, spec in theme.settings_schema.items():
        value = settings.get(key)
        if spec["type"] == "media" and isinstance(value, str):
            await media.check_image_url(value, spec.get("label", key))


class ThemeHandler(SiteAdminHandler):
    """``/admin/theme``: choose a theme (broken ones listed with the reason) and set its settings."""

    def show(self, status: int = 200, error: str | None = None, values: dict | None = None) -> None:
        self.set_status(status)
        current = self.themes.get(self.site.get("theme"))
        self.render(
            "admin/theme.html", nav="theme", themes=self.themes.status(), current=current,
            problem=self.themes.problem(self.site.get("theme")), schema=current.settings_schema,
            values=values if values is not None else current.settings_for(self.site), error=error,
        )

    @requires("admin")
    async def get(self) -> None:
        self.show()

    @requires("admin")
    async def post(self) -> None:
        action = self.get_body_argument("action", "")
        if action == "switch":
            name = self.get_body_argument("theme", "")
            theme, settings = self.themes.get(name), None
            if self.themes.has(name):
                settings = carried_settings(self.site, theme)
        elif action == "settings":
            theme = self.themes.get(self.site.get("theme"))
            name, settings = theme.name, settings_from_form(self, theme)
        else:
            raise tornado.web.HTTPError(400, reason="Unknown action")
        try:
            if action == "settings":
                await check_media_settings(self.store.media, theme, settings)
            await self.sites.update_theme(self.site["_id"], name, settings, themes=self.themes)
        except StoreError as error:
            self.show(400, str(error), values=settings if action == "settings" else None)
            return
        self.forget_cached_sites()
        log.info("%s set the theme of %s to %s", self.current_user["_id"], self.site["name"], name)
        self.done("/admin/theme", "theme")


# --- people --------------------------------------------------------------------------


def grantable(role: str | None) -> list[str]:
    """The roles someone with ``role`` may give: the owner any, an admin any but owner."""
    if role == "owner":
        return list(ROLES)
    return [r for r in ROLES if r != "owner" and role in ROLE_RANK and ROLE_RANK[r] <= ROLE_RANK[role]]


class PeopleHandler(SiteAdminHandler):
    """Shared by the members pages: the list, and the rules about who may change whom."""

    async def show(self, status: int = 200, error: str | None = None, **extra: Any) -> None:
        self.set_status(status)
        self.render(
            "admin/users.html", nav="users", members=await self.store.members.list(),
            invitations=await self.store.invitations.pending(), roles=grantable(self.role), error=error,
            invite_link=extra.pop("invite_link", None), invited=extra.pop("invited", None),
            email=extra.pop("email", ""),
        )

    async def member_role(self, user_id: str) -> str:
        """The target's role here (404 if not a member); only an owner may touch an owner."""
        role = await self.store.members.role_of(user_id)
        if role is None:
            raise tornado.web.HTTPError(404)
        if role == "owner" and self.role != "owner":
            raise tornado.web.HTTPError(403)
        return role

    def check_grant(self, role: str) -> None:
        if role not in ROLES:
            raise tornado.web.HTTPError(400, reason="Unknown role")
        if role not in grantable(self.role):
            raise tornado.web.HTTPError(403)


# The link just made, handed from the invitation's POST to the GET it redirects to:
# shown once (the cookie is cleared as it is read), so a reload neither repeats the
# POST (a second invitation) nor shows the link again.
INVITED_COOKIE = "cms_invited"
INVITED_MINUTES = 10


class UsersHandler(PeopleHandler):
    @requires("admin")
    async def get(self) -> None:
        await self.show(**await self.just_invited())

    async def just_invited(self) -> dict[str, Any]:
        raw = self.get_signed_cookie(INVITED_COOKIE, max_age_days=INVITED_MINUTES / 1440)
        if self.get_cookie(INVITED_COOKIE) is not None:
            self.clear_cookie(INVITED_COOKIE, path="/admin/users")
        try:
            kept = json.loads(raw) if raw else {}
        except ValueError:
            kept = {}
        if not isinstance(kept, dict) or kept.get("by") != self.current_user["_id"]:
            return {}
        invited = next((i for i in await self.store.invitations.pending() if i["_id"] == kept.get("id")), None)
        return {"invite_link": kept.get("link"), "invited": invited} if invited else {}


class InviteHandler(PeopleHandler):
    """Make an invitation, e-mail its one-time link to the invitee (`cms.mail`) and show it to the
    inviter too, to copy (the mail may be slow, or kept in the outbox when no SMTP server is set)."""

    @requires("admin")
    async def post(self) -> None:
        email = self.get_body_argument("email", "").strip()[:254]
        role = self.get_body_argument("role", "")
        self.check_grant(role)
        try:
            existing = await Users(self.db).by_email(email)
            if existing and await self.store.members.role_of(existing["_id"]):
                raise Invalid("%s is already a member of this site" % email.lower())
            token, invitation = await self.store.invitations.create(email, role, self.current_user["_id"])
        except StoreError as error:
            await self.show(400, str(error), email=email)
            return
        log.info("%s invited a new %s to %s", self.current_user["_id"], role, self.site["name"])
        link = self.absolute_url("/invitation?token=" + token)
        await self.application.mail.send(
            invitation["email"], "You are invited to %s" % self.site["title"],
            "Hello,\n\n%s invited you to join %s as %s.\n\nOpen this link to accept (it works once, for %d days):"
            "\n\n%s\n\nIf you did not expect this, ignore this e-mail.\n"
            % (self.current_user.get("name") or "Someone", self.site["title"], role, VALID_DAYS, link),
            kind="invitation", site_id=self.site["_id"])
        self.set_signed_cookie(
            INVITED_COOKIE, json.dumps({"link": link, "id": invitation["_id"], "by": self.current_user["_id"]}),
            expires_days=None, path="/admin/users", httponly=True, samesite="Lax",
            secure=self.request.protocol == "https",
        )
        self.redirect("/admin/users", status=303)


class RoleHandler(PeopleHandler):
    @requires("admin")
    async def post(self, user_id: str) -> None:
        await self.member_role(user_id)
        role = self.get_body_argument("role", "")
        self.check_grant(role)
        try:
            await self.store.members.set_role(user_id, role)
        except StoreError as error:
            await self.show(400, str(error))
            return
        log.info("%s made %s a %s of %s", self.current_user["_id"], user_id, role, self.site["name"])
        self.done("/admin/users", "role")


class RemoveMemberHandler(PeopleHandler):
    @requires("admin")
    async def post(self, user_id: str) -> None:
        await self.member_role(user_id)
        try:
            await self.store.members.remove(user_id)
        except StoreError as error:
            await self.show(400, str(error))
            return
        log.info("%s removed %s from %s", self.current_user["_id"], user_id, self.site["name"])
        self.done("/admin/users", "removed")


class RevokeInvitationHandler(PeopleHandler):
    @requires("admin")
    async def post(self, invitation_id: str) -> None:
        if not await self.store.invitations.revoke(invitation_id):
            raise tornado.web.HTTPError(404)
        self.done("/admin/users", "revoked")


# --- the owner's actions ------------------------------------------------------------------


class TransferHandler(SiteAdminHandler):
    """Hand the site to another member; the previous owner stays on as an admin."""

    @requires("owner")
    async def post(self) -> None:
        target = self.get_body_argument("user_id", "")
        try:
            await self.store.members.transfer_ownership(self.current_user["_id"], target)
        except NotFound:
            raise tornado.web.HTTPError(404) from None
        except StoreError as error:
            raise tornado.web.HTTPError(400, reason=str(error)[:200]) from None
        log.info("%s transferred %s to %s", self.current_user["_id"], self.site["name"], target)
        self.done("/admin/users", "transferred")


class DeleteSiteHandler(SiteAdminHandler):
    """Delete the site and everything in it, once its name is typed to confirm."""

    @requires("owner")
    async def post(self) -> None:
        if self.get_body_argument("confirm", "").strip() != self.site["name"]:
            members = [m for m in await self.store.members.list() if m["user_id"] != self.current_user["_id"]]
            self.set_status(400)
            self.render("admin/settings.html", nav="settings", timezones=sorted(available_timezones()),
                        members=members, languages=LANGUAGES, error="Type the site's name, %s, to delete it." % self.site["name"],
                        fields={k: self.site.get(k, "") for k in ("title", "tagline", "timezone", "language")})
            return
        await self.sites.delete(self.site["_id"])
        self.forget_cached_sites()
        log.warning("%s deleted the site %s", self.current_user["_id"], self.site["name"])
        await sessions.end(self)
        self.render("admin/deleted.html")


def site_admin_routes() -> list[tornado.web.URLSpec]:
    URLSpec = tornado.web.URLSpec
    return [
        URLSpec(r"/admin/tags", TagsHandler, name="admin-tags"),
        URLSpec(r"/admin/settings", SettingsHandler, name="admin-settings"),
        URLSpec(r"/admin/theme", ThemeHandler, name="admin-theme"),
        URLSpec(r"/admin/users", UsersHandler, name="admin-users"),
        URLSpec(r"/admin/users/invite", InviteHandler, name="admin-invite"),
        URLSpec(r"/admin/users/%s/role" % ID, RoleHandler, name="admin-user-role"),
        URLSpec(r"/admin/users/%s/remove" % ID, RemoveMemberHandler, name="admin-user-remove"),
        URLSpec(r"/admin/invitations/%s/revoke" % ID, RevokeInvitationHandler, name="admin-invitation-revoke"),
        URLSpec(r"/admin/site/transfer", TransferHandler, name="admin-transfer"),
        URLSpec(r"/admin/site/delete", DeleteSiteHandler, name="admin-delete-site"),
    ]
