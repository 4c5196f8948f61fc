"""The admin's moderation queue (``/admin/comments``): editors and up.

Comments awaiting approval first; approved, rejected and spam a click away.
Each comment can be approved, rejected, marked as spam or deleted, and its
sender's e-mail or client address blocked (the site's blocklist, in the same
page). The comment settings -- off, moderated or open, and closing after N
days -- are here too, for the site's admins. Another site's comment is a 404.
"""

from __future__ import annotations

import logging

import tornado.web

from cms.handlers.admin import AdminHandler, requires
from cms.httperrors import Refusal
from cms.store import Duplicate, Sites, StoreError
from cms.store.comments import STATUSES, check_settings, settings_of

log = logging.getLogger(__name__)

ACTIONS = {"approve": "approved", "reject": "rejected", "spam": "spam"}
DONE = {"approved": "Comment approved.", "rejected": "Comment rejected.", "spam": "Comment marked as spam.",
        "deleted": "Comment deleted.", "blocked": "Sender blocked.", "unblocked": "Block removed.",
        "settings": "Comment settings saved."}


class CommentsAdminHandler(AdminHandler):
    """``/admin/comments?status=pending``: the queue."""

    async def show(self, status: int = 200, error: str | None = None) -> None:
        self.set_status(status)
        shown = self.get_query_argument("status", "pending")
        if shown not in STATUSES:
            raise tornado.web.HTTPError(400, reason="Unknown status")
        comments = self.store.comments
        queue = await comments.queue(shown)
        posts = {}
        for comment in queue:
            if comment["post_id"] not in posts:
                posts[comment["post_id"]] = await self.store.posts.get(comment["post_id"])
        raw = self.get_query_argument("done", "")
        self.render("admin/comments.html", nav="comments", queue=queue, posts=posts, shown=shown,
                    counts=await comments.status_counts(), blocks=await comments.blocks(),
                    settings=settings_of(self.site), error=error,
                    done=DONE.get(raw) if status == 200 else None)

    @requires("editor")
    async def get(self) -> None:
        await self.show()


class ModerateHandler(AdminHandler):
    """``POST /admin/comments/<id>/<action>``: approve, reject, spam, delete, block."""

    @requires("editor")
    async def post(self, comment_id: str, action: str) -> None:
        comments = self.store.comments
        back = self.get_body_argument("back", "pending")
        back = back if back in STATUSES else "pending"
        comment = await comments.get(comment_id)
        if comment is None:
            raise tornado.web.HTTPError(404)
        if action in ACTIONS:
            await comments.moderate(comment_id, ACTIONS[action])
            done = ACTIONS[action]
        elif action == "delete":
            await comments.delete(comment_id)
            done = "deleted"
        else:  # block-email / block-address: the sender, then the comment goes to spam
            kind = "email" if action == "block-email" else "address"
            value = comment.get("email" if kind == "email" else "address") or ""
            try:
                await comments.block(kind, value)
            except Duplicate:
                pass  # blocked already: the comment still goes to spam
            except StoreError as error:
                raise Refusal(400, str(error)) from None
            await comments.moderate(comment_id, "spam")
            done = "blocked"
        log.info("%s: %s comment %s on %s", self.current_user["_id"], action, comment_id, self.site["name"])
        self.redirect_back(back, done)

    def redirect_back(self, back: str, done: str | None) -> None:
        self.redirect("/admin/comments?status=%s%s" % (back, "&done=%s" % done if done else ""), status=303)


class UnblockHandler(AdminHandler):
    @requires("editor")
    async def post(self, block_id: str) -> None:
        if not await self.store.comments.unblock(block_id):
            raise tornado.web.HTTPError(404)
        self.redirect("/admin/comments?done=unblocked", status=303)


class CommentSettingsHandler(CommentsAdminHandler):
    """``POST /admin/comments/settings``: off / moderated / open, and closing after N days (admins)."""

    @requires("admin")
    async def post(self) -> None:
        try:
            settings = check_settings(self.get_body_argument("mode", ""), self.get_body_argument("close_after_days", "0"))
            await Sites(self.db).set_comment_settings(self.site["_id"], settings)
        except StoreError as error:
            await self.show(400, str(error))
            return
        self.forget_cached_sites()
        self.redirect("/admin/comments?done=settings", status=303)


def comments_admin_routes() -> list[tornado.web.URLSpec]:
    URLSpec = tornado.web.URLSpec
    return [
        URLSpec(r"/admin/comments", CommentsAdminHandler, name="admin-comments"),
        URLSpec(r"/admin/comments/settings", CommentSettingsHandler, name="admin-comment-settings"),
        URLSpec(r"/admin/comments/([0-9a-f]{24})/(approve|reject|spam|delete|block-email|block-address)",
                ModerateHandler, name="admin-comment-action"),
        URLSpec(r"/admin/comments/blocks/([0-9a-f]{24})/delete", UnblockHandler, name="admin-comment-unblock"),
    ]
