"""Deleting posts and pages, and the admin's Trash page (cms/store/trash.py).

Delete moves a post to the Trash, where it stays ``CMS_TRASH_DAYS`` days
before the background sweep (cms/lifecycle.py) deletes it for good; until
then it can be restored. Who may: editors and up any post or page, anyone
else their own drafts (what `AdminBase.can_edit` lets them change), and only
editors empty the whole Trash. Every action is an XSRF-guarded POST; another
site's post id is a 404 like a missing one.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import tornado.web

from cms.handlers.admin import ID, KINDS, AdminHandler, requires
from cms.store import NotFound, StoreError
from cms.store.posts import state_of

log = logging.getLogger(__name__)

# Fixed notices after a redirect (``?done=key``): nothing a visitor types is echoed.
DONE = {"trashed": "Moved to the Trash. You can restore it from here for %d days.",
        "restored": "Restored.", "purged": "Deleted for good.", "emptied": "The Trash is empty."}


class TrashBase(AdminHandler):
    def may_delete(self, post: dict, was: str | None = None) -> bool:
        """Editors and up: anything; others their own drafts (``was``: the state before the Trash)."""
        if self.at_least("editor"):
            return True
        return self.owns(post) and (was or state_of(post)) == "draft"

    def may_restore(self, post: dict) -> bool:
        return self.may_delete(post, post.get("trashed_status") or "draft")


class DeleteHandler(TrashBase):
    """``POST /admin/(posts|pages)/<id>/delete``: into the Trash."""

    @requires("contributor")
    async def post(self, kind: str, post_id: str) -> None:
        post = await self.load_post(kind, post_id)
        if not self.may_delete(post):
            raise tornado.web.HTTPError(403, reason="Only editors delete published posts; ask one")
        try:
            await self.store.trash.trash(post["_id"], by=self.current_user["_id"])
        except NotFound:
            raise tornado.web.HTTPError(404) from None
        except StoreError as error:
            raise tornado.web.HTTPError(409, reason=str(error)[:200]) from None
        log.info("%s moved %s %s to the Trash on %s", self.current_user["_id"], KINDS[kind], post_id, self.site["name"])
        self.redirect("/admin/trash?" + urlencode({"done": "trashed", "id": post["_id"]}), status=303)


class TrashHandler(TrashBase):
    """``/admin/trash``: what is in it, with restore and delete-for-good; POST empties it."""

    @requires("contributor")
    async def get(self) -> None:
        items = [post for post in await self.store.trash.list() if self.may_restore(post)]
        raw = self.get_query_argument("done", "")
        done = DONE.get(raw)
        if raw == "trashed":
            done = done % self.cms.trash_days
        # The restored post, linked from the notice (looked up: its id is all the query carries).
        restored = await self.store.posts.get(self.get_query_argument("id", "")) if raw == "restored" else None
        self.render("admin/trash.html", nav="trash", items=items, counts=await self.store.trash.counts(),
                    done=done, restored=restored, moved=bool(restored and self.get_query_argument("moved", "")),
                    days=self.cms.trash_days,
                    may_empty=self.at_least("editor"))

    @requires("editor")
    async def post(self) -> None:
        gone = await self.store.trash.empty()
        log.info("%s emptied the Trash of %s (%d)", self.current_user["_id"], self.site["name"], gone)
        self.redirect("/admin/trash?done=emptied", status=303)


class TrashItemHandler(TrashBase):
    """``POST /admin/trash/<id>/restore`` and ``.../purge`` (``action``)."""

    def initialize(self, action: str) -> None:
        self.action = action

    @requires("contributor")
    async def post(self, post_id: str) -> None:
        action = self.action
        post = await self.store.trash.get(post_id)
        if post is None:
            raise tornado.web.HTTPError(404)
        if not self.may_restore(post):
            raise tornado.web.HTTPError(403, reason="Only editors restore or delete this")
        try:
            if action == "purge":
                await self.store.trash.purge(post["_id"])
                self.redirect("/admin/trash?done=purged", status=303)
                return
            restored, moved = await self.store.trash.restore(post["_id"], by=self.current_user["_id"])
        except NotFound:
            raise tornado.web.HTTPError(404) from None
        except StoreError as error:
            raise tornado.web.HTTPError(409, reason=str(error)[:200]) from None
        log.info("%s %sd %s on %s", self.current_user["_id"], action, post_id, self.site["name"])
        query = {"done": "restored", "id": restored["_id"]}
        if moved:
            query["moved"] = restored["slug"]
        self.redirect("/admin/trash?" + urlencode(query), status=303)


def trash_routes() -> list[tornado.web.URLSpec]:
    URLSpec = tornado.web.URLSpec
    return [
        URLSpec(r"/admin/(posts|pages)/%s/delete" % ID, DeleteHandler, name="admin-delete"),
        URLSpec(r"/admin/trash/?", TrashHandler, name="admin-trash"),
        URLSpec(r"/admin/trash/%s/restore" % ID, TrashItemHandler, {"action": "restore"}, name="admin-trash-restore"),
        URLSpec(r"/admin/trash/%s/purge" % ID, TrashItemHandler, {"action": "purge"}, name="admin-trash-purge"),
    ]
