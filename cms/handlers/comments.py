"""Readers' comments: the form's POST and the token it needs.

The form sits under every post, on a page the page cache keeps and serves to
everyone (`cms.handlers.base.SiteHandler`), so that page cannot carry anything
of one visitor: no XSRF token, no time. Both come from here, fresh:

* With JavaScript, the form asks ``GET /comments/form?post=<id>`` for an XSRF
  token and a signed start time, and sends itself with ``fetch``: no reload.
* Without it, the first POST (no token yet) stores nothing and answers with
  the same form, filled in, carrying both; sending that stores the comment.

Only a POST with a valid XSRF token (Tornado's own check) stores anything.
The rest of the anti-spam is without third parties: a honeypot field, a
minimum time between the form's start and its sending (the signed time),
rate limits per client address and per site (`cms.ratelimit`, in process),
a cap on links, the duplicate check and the site's blocklist (the store).
Every refusal says why, with a 4xx, and stores nothing. A stored comment
answers 303 back to the post, at an anchor the theme shows the notice for.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import tornado.web

from cms.handlers.base import BaseHandler
from cms.httperrors import Refusal
from cms.store import NotFound, StoreError, Users
from cms.store.comments import ID_RE, open_for_comments, settings_of
from cms.store.users import is_confirmed

log = logging.getLogger(__name__)

TOKEN_NAME = "comment_form"
MIN_SECONDS = 3.0  # a person takes longer than this to write anything (the app's comment_min_seconds)
CONFIRM_SECONDS = 1.0  # the no-JavaScript second step: the text is written already, only a click is left
MAX_TOKEN_AGE_DAYS = 1
HONEYPOT = "homepage"  # hidden from people by the theme's CSS; bots fill it in
FIELDS = ("text", "name", "email", "website", "parent")
FIELD_LIMIT = 6000


def form_token(application: tornado.web.Application, post_id: str, at: float | None = None) -> str:
    """The signed start time of a comment form for ``post_id`` (signed as cookies are)."""
    value = "%s|%d" % (post_id, int(at if at is not None else time.time()))
    settings = application.settings
    return tornado.web.create_signed_value(settings["cookie_secret"], TOKEN_NAME, value,
                                           key_version=settings.get("key_version")).decode("ascii")


class CommentBase(BaseHandler):
    """A reader's request about comments: a known site's host only."""

    async def prepare(self) -> None:
        await super().prepare()
        if self.site is None:
            raise tornado.web.HTTPError(404)

    def wants_json(self) -> bool:
        return "application/json" in self.request.headers.get("Accept", "")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """The script's requests get the refusal as JSON (``{"error": message}``), pages the error page."""
        if self.wants_json():
            error = kwargs.get("exc_info", (None, None))[1]
            self.finish({"error": getattr(error, "message", None) or self._reason})
            return
        super().write_error(status_code, **kwargs)

    async def member(self) -> dict | None:
        """The signed-in person, when they are a member of this site."""
        await self.load_current_user()
        user = self.current_user
        return user if user is not None and await self.store.members.role_of(user["_id"]) else None

    async def commentable_post(self, post_id: str) -> dict:
        """The published post of this site with that id, open for comments; else a refusal."""
        _ = self.locale.translate  # readers are answered in the site's language (cms.i18n)
        post = await self.store.posts.get(post_id, "post") if ID_RE.match(post_id or "") else None
        if post is None or await self.store.posts.get_visible("post", post["slug"]) is None:
            raise Refusal(404, _("There is no such post on this site."))
        if not open_for_comments(self.site, post):
            raise Refusal(403, _("Comments are closed on this post."))
        return post


class CommentFormHandler(CommentBase):
    """``GET /comments/form?post=<id>``: what the script puts in the form (never kept by a cache)."""

    async def get(self) -> None:
        post = await self.commentable_post(self.get_query_argument("post", ""))
        self.set_header("Cache-Control", "no-store")
        member = await self.member()
        self.write({"xsrf": self.xsrf_token.decode("ascii"), "started": form_token(self.application, post["_id"]),
                    # a member comments under their own name: the script hides the guest's fields
                    "member": (member.get("name") or member.get("username")) if member else None})


class CommentPostHandler(CommentBase):
    """``POST /comments``: a reader's comment."""

    _xsrf_refused: tornado.web.HTTPError | None = None

    def check_xsrf_cookie(self) -> None:
        # A form from a kept page has no token yet: it gets the filled-in form back
        # (below) rather than a bare 403. Still, nothing is stored without one.
        try:
            super().check_xsrf_cookie()
        except tornado.web.HTTPError as refused:
            self._xsrf_refused = refused

    def started_at(self, post_id: str) -> float | None:
        raw = self.get_body_argument("started", "")
        value = tornado.web.decode_signed_value(self.application.settings["cookie_secret"], TOKEN_NAME, raw,
                                                max_age_days=MAX_TOKEN_AGE_DAYS, min_version=2) if raw else None
        if value is None:
            return None
        token_post, _, when = value.decode("ascii", "replace").partition("|")
        return float(when) if token_post == post_id and when.isdigit() else None

    async def post(self) -> None:
        _ = self.locale.translate  # readers are answered in the site's language (cms.i18n)
        form = {name: self.get_body_argument(name, "", strip=False)[:FIELD_LIMIT] for name in FIELDS}
        post = await self.commentable_post(self.get_body_argument("post", "")[:30])
        if self.get_body_argument(HONEYPOT, ""):
            log.info("site %s: a comment with the honeypot filled in, refused", self.site["name"])
            raise Refusal(400, _("This comment looks automated and was not accepted."))
        started = self.started_at(post["_id"])
        member = await self.member()
        if self._xsrf_refused is not None or started is None:
            if self.wants_json():
                raise Refusal(403, _("This form has expired: reload the page and send it again."))
            return self.confirm(post, form, member)
        if time.time() - started < self.settings.get("comment_min_seconds", MIN_SECONDS):
            raise Refusal(400, _("That was quicker than anyone can write: wait a moment and send it again."))
        if not self.application.comment_limits.allow(self.site["_id"], self.request.remote_ip):
            raise Refusal(429, _("Too many comments for now: please try again in a few minutes."))
        mode = settings_of(self.site)["mode"]
        status = "approved" if member is not None or mode == "open" else "pending"
        try:
            comment = await self.store.comments.add(
                post, form["text"], status=status, parent_id=form["parent"].strip() or None, user=member,
                name=form["name"], email=form["email"], website=form["website"], address=self.request.remote_ip)
        except StoreError as error:
            raise Refusal(400, str(error)) from None
        log.info("site %s: comment %s on post %s (%s)", self.site["name"], comment["_id"], post["_id"], status)
        if status == "pending":
            await self.tell_author(post, comment)
        anchor = "comment-%s" % comment["_id"] if status == "approved" else "comment-awaiting"
        if self.wants_json():
            self.write({"status": status, "id": comment["_id"], "message": _("Your comment awaits moderation.")
                        if status == "pending" else _("Your comment is published."),
                        "html": comment["html"] if status == "approved" else None})
            return
        self.redirect("/posts/%s#%s" % (post["slug"], anchor), status=303)

    def confirm(self, post: dict, form: dict, member: dict | None) -> None:
        """The form again, filled in, with a token and a start time: send it to store the comment.

        Its text is written already, so the minimum time left is `CONFIRM_SECONDS`."""
        self.set_header("Cache-Control", "no-store")
        wait = max(0.0, self.settings.get("comment_min_seconds", MIN_SECONDS) - CONFIRM_SECONDS)
        self.render("comments/confirm.html", post=post, form=form, member=member,
                    started=form_token(self.application, post["_id"], time.time() - wait))

    async def tell_author(self, post: dict, comment: dict) -> None:
        """E-mail the post's author (through the outbox) that a comment awaits them."""
        author = await Users(self.db).by_id(post.get("author_id"))
        if author is None or not author.get("email") or not is_confirmed(author):
            return
        text = ("%s commented on \"%s\" and the comment awaits moderation:\n\n%s\n\nApprove or reject it at %s\n"
                % (comment["name"], post["title"], comment["text"][:1000], self.absolute_url("/admin/comments")))
        await self.application.mail.send(author["email"], "[%s] A comment awaits moderation" % (
            self.site.get("title") or self.site["name"]), text, kind="comment", site_id=self.site["_id"])


class CommentEditHandler(CommentBase):
    """``POST /comments/<id>/edit``: a member changes their own comment, for `EDIT_WINDOW` after sending it.

    Tornado's XSRF check applies as everywhere (the edit is made by a signed-in person);
    another person's comment, a guest's, or another site's is not found.
    """

    async def post(self, comment_id: str) -> None:
        user = await self.member()
        if user is None:
            raise Refusal(404, "There is no such comment of yours here.")
        try:
            comment = await self.store.comments.edit(comment_id, user["_id"],
                                                     self.get_body_argument("text", "", strip=False)[:FIELD_LIMIT])
        except NotFound:
            raise Refusal(404, "There is no such comment of yours here.") from None
        except StoreError as error:
            raise Refusal(400, str(error)) from None
        log.info("site %s: comment %s edited by %s", self.site["name"], comment_id, user["_id"])
        if self.wants_json():
            self.write({"id": comment["_id"], "html": comment["html"]})
            return
        post = await self.store.posts.get(comment["post_id"])
        self.redirect("/posts/%s#comment-%s" % (post["slug"] if post else "", comment["_id"]), status=303)


def comment_routes() -> list[tornado.web.URLSpec]:
    from cms.handlers.comments_admin import comments_admin_routes

    URLSpec = tornado.web.URLSpec
    return comments_admin_routes() + [
        URLSpec(r"/comments", CommentPostHandler, name="comments"),
        URLSpec(r"/comments/form", CommentFormHandler, name="comment-form"),
        URLSpec(r"/comments/([0-9a-f]{24})/edit", CommentEditHandler, name="comment-edit"),
    ]
