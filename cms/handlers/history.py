"""A post's History: its versions, word-level diffs, an old version seen rendered, restore.

An old version is shown as its readers saw it: its Markdown rendered in the
render pool (never on the event loop) and sanitised like every save, in the
site's own theme, inside a sandboxed frame of the admin page (the same way as
the editor's preview). Who may look is who may edit the post
(`AdminBase.can_edit`); another site's post is a 404 like a missing one.
"""

from __future__ import annotations

import logging
from typing import Any

import tornado.web

from cms import render_pool
from cms.handlers.admin import ID, AdminHandler, requires
from cms.handlers.base import BaseHandler
from cms.render_pool import RenderBusy, RenderRefused
from cms.store import StoreError, Users
from cms.store.posts import KEEP, clean_tags
from cms.text.diffs import diff_html

log = logging.getLogger(__name__)


class HistoryHandler(AdminHandler):
    """``/admin/posts/<id>/history``: the versions, and ``?a=&b=`` compares two."""

    @requires("contributor")
    async def get(self, kind: str, post_id: str) -> None:
        post = await self.editable_post(kind, post_id)
        revisions = await self.store.revisions.list(post["_id"], current=post)
        people = await Users(self.db).by_ids([r["saved_by"] for r in revisions])
        diff = None
        a, b = self.get_query_argument("a", ""), self.get_query_argument("b", "")
        if a and b:
            if not (a.isdigit() and b.isdigit() and len(a) < 10 and len(b) < 10):
                raise tornado.web.HTTPError(400, reason="Bad versions")
            old = await self.store.revisions.get(post["_id"], int(a), current=post)
            new = await self.store.revisions.get(post["_id"], int(b), current=post)
            if old is None or new is None:
                raise tornado.web.HTTPError(404)
            diff = {
                "a": old, "b": new,
                "title": diff_html(old["title"] or "", new["title"] or ""),
                "body": diff_html(old["markdown"] or "", new["markdown"] or ""),
            }
        self.render("admin/history.html", nav=kind, kind=kind, post=post, revisions=revisions, people=people, diff=diff)


class RevisionHandler(AdminHandler):
    """``/admin/posts/<id>/history/<version>``: that version rendered as its readers saw it."""

    _theme_templates = False

    def get_template_path(self) -> str | None:
        # The admin's pages come from the platform's templates, the page in the frame from the theme's.
        return BaseHandler.get_template_path(self) if self._theme_templates else super().get_template_path()

    def theme_page(self, template: str, **kwargs: Any) -> str:
        self._theme_templates = True
        try:
            return self.render_string(template, **kwargs).decode("utf-8")
        finally:
            self._theme_templates = False

    @requires("contributor")
    async def get(self, kind: str, post_id: str, version: str) -> None:
        post = await self.editable_post(kind, post_id)
        revision = await self.store.revisions.get(post["_id"], int(version), current=post)
        if revision is None:
            raise tornado.web.HTTPError(404)
        try:
            rendered = await render_pool.render(revision.get("markdown") or "", revision.get("custom_excerpt"),
                                                (self.site["_id"], self.current_user["_id"]))
        except RenderRefused as error:
            raise tornado.web.HTTPError(503 if isinstance(error, RenderBusy) else 422, reason=str(error)[:200]) \
                from None
        try:
            names, slugs = clean_tags(revision.get("tags") or [])
        except StoreError:  # a tag an older version allowed: shown without its tags rather than not at all
            names, slugs = [], []
        author_id = revision.get("author_id") or post["author_id"]
        users = await Users(self.db).by_ids([author_id, revision.get("saved_by")])
        shown = {
            "_id": post["_id"], "type": post["type"], "slug": revision.get("slug") or post["slug"],
            "title": revision.get("title") or "", "markdown": revision.get("markdown") or "",
            "html": rendered.html, "toc": rendered.toc, "excerpt": rendered.excerpt,
            "reading_minutes": rendered.reading_minutes, "words": rendered.words, "tags": names, "tag_slugs": slugs,
            "author_id": author_id, "status": revision.get("status") or post["status"],
            "published_at": revision.get("published_at") or revision.get("saved_at"),
            "updated_at": revision.get("saved_at"), "featured_image": revision.get("featured_image"),
        }
        try:
            page = self.theme_page("page.html" if post["type"] == "page" else "post.html", post=shown,
                                   author=users.get(author_id), older=None, newer=None, comments=[])
        except Exception:  # a theme that cannot show it must not hide the version's details
            log.exception("version %s of %s could not be rendered in theme %s", version, post_id, self.theme.name)
            page = "<p>This version could not be rendered in the site's theme.</p>"
        self.render("admin/revision.html", nav=kind, kind=kind, post=post, revision=revision, page=page,
                    saved_by=users.get(revision.get("saved_by")) or {})


def restored_image(revision: dict) -> Any:
    """The featured image a restored revision had (None: none); KEEP for a revision
    recorded before revisions kept it, so restoring one leaves the image as it is."""
    if "featured_image" not in revision:
        return KEEP
    image = revision["featured_image"]
    return {"media_id": image.get("media_id"), "url": image.get("url"), "alt": image.get("alt", ""),
            "caption": image.get("caption", "")} if image else None


class RestoreHandler(AdminHandler):
    """Restoring saves the old text as a new version; the status stays as it is."""

    @requires("contributor")
    async def post(self, kind: str, post_id: str) -> None:
        post = await self.editable_post(kind, post_id)
        raw = self.get_body_argument("revision", "")
        if not raw.isdigit() or len(raw) > 9:
            raise tornado.web.HTTPError(400, reason="Bad revision")
        revision = await self.store.revisions.get(post["_id"], int(raw), current=post)
        if revision is None:
            raise tornado.web.HTTPError(404)
        try:
            saved = await self.store.posts.update(
                post["_id"], int(self.get_body_argument("version", "0") or 0),
                title=revision["title"], markdown=revision["markdown"], slug=revision["slug"],
                tags=revision.get("tags") or [], custom_excerpt=revision.get("custom_excerpt") or None,
                status=post["status"], published_at=post.get("published_at"),
                editor_id=self.current_user["_id"], featured_image=restored_image(revision),
            )
        except RenderRefused as error:
            raise tornado.web.HTTPError(422, reason=str(error)[:200]) from None
        except StoreError as error:
            raise tornado.web.HTTPError(409, reason=str(error)[:200]) from None
        self.redirect("/admin/%s/%s?saved=1" % (kind, saved["_id"]), status=303)


def history_routes() -> list[tornado.web.URLSpec]:
    URLSpec = tornado.web.URLSpec
    kinds = r"(posts|pages)"
    return [
        URLSpec(r"/admin/%s/%s/history" % (kinds, ID), HistoryHandler, name="admin-history"),
        # Nine digits at most: a longer "version" is no version (404), not an overflow.
        URLSpec(r"/admin/%s/%s/history/([0-9]{1,9})" % (kinds, ID), RevisionHandler, name="admin-revision"),
        URLSpec(r"/admin/%s/%s/restore" % (kinds, ID), RestoreHandler, name="admin-restore"),
    ]
