"""The authoring admin (``/admin/...``): dashboard, lists, editor, history, preview.

Every handler method that does anything is wrapped in `requires(role)`, which
checks, on the server, the signed-in person's membership *in this site*
against the role order owner > admin > editor > author > contributor. Who may
touch a given post is decided by `AdminHandler.can_edit` / `can_publish`.
XSRF is Tornado's own (``xsrf_cookies=True``): a state-changing request
without a valid token is refused with 403 before any handler code runs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import logging
import re
from typing import Any, Awaitable, Callable
from urllib.parse import urlencode

import tornado.escape
import tornado.web
import tornado.websocket

from cms import render_pool
from cms.assets import TextAssetMixin
from cms.config import REPO_ROOT
from cms.handlers.base import BaseHandler
from cms.httperrors import Refusal
from cms.mail import review as review_mail
from cms.ratelimit import RateLimiter
from cms.render_pool import RenderBusy, RenderRefused
from cms.store import ROLES, Conflict, Invalid, StoreError, Users
from cms.store.autosaves import Splice, StaleBase, checked_rev, checked_tab
from cms.store.events import post_saved
from cms.store.ids import new_id
from cms.store.posts import MAX_TAGS, STATES, clean_tags, state_of, utcnow
from cms.store.signup import first_steps
from cms.text.diffs import diff_html, merge_blocks
from cms.text.slugs import slugify
from cms.text.when import time_ago

log = logging.getLogger(__name__)

ADMIN_STATIC = REPO_ROOT / "cms" / "static" / "admin"
# contributor 1 ... owner 5: a role may do everything the roles below it may.
ROLE_RANK = {role: len(ROLES) - rank for rank, role in enumerate(ROLES)}
KINDS = {"posts": "post", "pages": "page"}
ID = r"([0-9a-f]{24})"
MAX_BODY = 500_000
MAX_SUGGESTIONS = 10
MEMBER_HINT = "cms_member"  # not HttpOnly: the reader pages' edit-link.js reads it
TAB = re.compile(r"[0-9A-Za-z_-]{8,32}")  # an editor tab's name for itself (cms/live/admin.py)
SIGNED_OUT = "You are signed out (here or on another device): sign in again."
XSRF_REFUSED = "This page's security token is out of date: sign in again or reload the page."


def parse_local_time(value: str, tz: dt.tzinfo) -> dt.datetime | None:
    """A ``datetime-local`` field's value (with or without seconds) in ``tz``, or None."""
    for layout in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"):  # a datetime-local with step=1 sends seconds
        try:
            return dt.datetime.strptime(value.strip(), layout).replace(tzinfo=tz)
        except ValueError:
            continue
    return None


def suspension_notice(site: dict, role: str | None) -> str:
    """What a member of a suspended site reads: the operators' reason for its owner."""
    notice = "The platform's operators have suspended this site: readers see a \"suspended\" page, " \
             "and its admin is read-only."
    if role == "owner":
        notice += " Their reason: %s" % site["suspended"].get("reason", "")
    else:
        notice += " Its owner can see why."
    return notice


def has_role(role: str | None, minimum: str) -> bool:
    return role in ROLE_RANK and ROLE_RANK[role] >= ROLE_RANK[minimum]


def requires(minimum: str) -> Callable:
    """Decorate a handler method: only members of this site with ``minimum`` or more."""
    if minimum not in ROLE_RANK:
        raise ValueError("unknown role %r" % minimum)

    def decorator(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(method)
        async def wrapper(self: "AdminBase", *args: Any, **kwargs: Any) -> Any:
            if not self.check_role(minimum):
                return None
            return await method(self, *args, **kwargs)

        wrapper.required_role = minimum  # type: ignore[attr-defined]
        return wrapper

    return decorator


class AdminBase(BaseHandler):
    """Site host only; knows the signed-in person's role in this site.

    While the operators keep the site suspended its admin is read-only: every
    request that would change something is refused with the reason, except
    those marked ``writes_while_suspended`` (signing in and out).
    """

    role: str | None = None
    frame_policy = "DENY"  # no clickjacking of admin forms (the preview is a srcdoc, not a frame of ours)
    frame_ancestors = "'none'"
    open_while_suspended = True
    writes_while_suspended = False
    json_errors = True  # the editor's scripts tell "signed out" from "XSRF" from "server down"

    def wants_json(self) -> bool:
        return "application/json" in self.request.headers.get("Accept", "")

    def check_xsrf_cookie(self) -> None:
        """Tornado's check, unchanged; a refusal says it was the XSRF token (``code``
        "xsrf"), so the editor's script can tell it from being signed out."""
        try:
            super().check_xsrf_cookie()
        except tornado.web.HTTPError as refused:
            log.info("XSRF refused %s %s: %s", self.request.method, self.request.path, refused.log_message)
            raise Refusal(403, XSRF_REFUSED, code="xsrf") from None

    async def prepare(self) -> None:
        await super().prepare()
        if self.site is None:
            raise tornado.web.HTTPError(404)
        await self.load_current_user()
        if self.current_user is not None:
            self.role = await self.store.members.role_of(self.current_user["_id"])
        if self.role is not None and self.request.method == "GET" and not self.request.headers.get("Upgrade") \
                and self.get_cookie(MEMBER_HINT) != "1":
            # Lets reader pages ask whether to show their Edit link (cms/handlers/edit_link.py); names nobody.
            self.set_cookie(MEMBER_HINT, "1", httponly=False, expires_days=30)
        if self.site.get("suspended") and self.request.method not in ("GET", "HEAD", "OPTIONS") \
                and not self.writes_while_suspended:
            log.info("site %s is suspended: refused %s %s", self.site["name"], self.request.method, self.request.path)
            raise Refusal(403, suspension_notice(self.site, self.role))

    def check_role(self, minimum: str) -> bool:
        """True to go on; False when the response (a redirect to sign in) is done."""
        if self.current_user is None or self.role is None:
            if self.request.method in ("GET", "HEAD") and not self.request.headers.get("Upgrade"):
                self.redirect("/login?" + urlencode({"next": self.request.uri}))
                return False
            if self.current_user is None and self.wants_json():
                raise Refusal(403, SIGNED_OUT, code="signed_out")
            raise tornado.web.HTTPError(403)
        if not has_role(self.role, minimum):
            log.info("%s (%s) refused %s %s", self.current_user["_id"], self.role, self.request.method, self.request.path)
            raise tornado.web.HTTPError(403)
        return True

    def at_least(self, minimum: str) -> bool:
        return has_role(self.role, minimum)

    def owns(self, post: dict) -> bool:
        return self.current_user is not None and post.get("author_id") == self.current_user["_id"]

    def can_edit(self, post: dict) -> bool:
        """Editors edit everything; authors their own; contributors their own drafts and posts in review."""
        if self.at_least("editor"):
            return True
        if self.at_least("author"):
            return self.owns(post)
        return self.owns(post) and state_of(post) in ("draft", "pending")

    def can_publish(self, post: dict | None = None) -> bool:
        if self.at_least("editor"):
            return True
        return self.at_least("author") and (post is None or self.owns(post))


class AdminHandler(AdminBase):
    """An admin page, rendered from cms/templates/admin/."""

    def get_template_path(self) -> str | None:
        return "platform"

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace.update(
            user=self.current_user, role=self.role, admin_static=admin_static_url, state_of=state_of,
            local_time=self.local_time, at_least=self.at_least, can_edit=self.can_edit, nav="",
            suspension=suspension_notice(self.site, self.role) if self.site and self.site.get("suspended") else None,
            google=bool(self.cms.google_client_id),
        )
        return namespace

    def local_time(self, when: dt.datetime | None, fmt: str = "%-d %b %Y, %H:%M") -> str:
        return when.astimezone(self.tz).strftime(fmt) if when else ""

    async def load_post(self, kind: str, post_id: str) -> dict:
        """The post of this site, or 404 -- another site's post is just as missing."""
        post = await self.store.posts.get(post_id, KINDS[kind])
        if post is None:
            raise tornado.web.HTTPError(404)
        return post

    async def editable_post(self, kind: str, post_id: str) -> dict:
        post = await self.load_post(kind, post_id)
        if not self.can_edit(post):
            raise tornado.web.HTTPError(403)
        return post


def admin_static_url(path: str) -> str:
    version = tornado.web.StaticFileHandler.get_version({"static_path": str(ADMIN_STATIC)}, path)
    return "/admin/static/%s?v=%s" % (path, version)


class AdminStaticHandler(TextAssetMixin, tornado.web.StaticFileHandler):
    """The admin's own CSS and JS (no CDN), cached for long with ``?v=``, minified and gzipped."""

    def initialize(self, path: str = str(ADMIN_STATIC), default_filename: str | None = None) -> None:
        super().initialize(path, default_filename)


# --- dashboard and lists -----------------------------------------------------------


class DashboardHandler(AdminHandler):
    @requires("contributor")
    async def get(self) -> None:
        posts = self.store.posts
        drafts = await posts.admin_list("post", state="draft", per_page=5)
        published = await posts.admin_list("post", state="published", per_page=5)
        # A site started on the sign-up page: its owner's short list of what to do first.
        steps = await first_steps(self.db, self.site) if self.at_least("admin") else None
        self.render(
            "admin/dashboard.html", nav="dashboard", first_steps=steps, counts=await posts.state_counts("post"),
            page_counts=await posts.state_counts("page"), drafts=drafts.items,
            scheduled=await posts.upcoming(5), published=published.items,
            comments_pending=(await self.store.comments.status_counts())["pending"] if self.at_least("editor") else None,
        )


class ListHandler(AdminHandler):
    @requires("contributor")
    async def get(self, kind: str) -> None:
        state = self.get_query_argument("status", "")
        tag = self.get_query_argument("tag", "").strip()
        author_name = self.get_query_argument("author", "").strip()
        query = self.get_query_argument("q", "").strip()
        if state and state not in STATES:
            raise tornado.web.HTTPError(400, reason="Unknown status")
        author_id = None
        if author_name:
            author = await self.store.members.user_by_username(author_name)
            author_id = author["_id"] if author else "none"
        page = await self.store.posts.admin_list(
            KINDS[kind], state=state or None, tag=tag or None, author_id=author_id,
            query=query, number=self.page_number(),
        )
        authors = await Users(self.db).by_ids([p["author_id"] for p in page.items])
        members = await Users(self.db).by_ids(await self.store.members.user_ids())
        self.render(
            "admin/posts.html", nav=kind, kind=kind, page=page, authors=authors, members=members,
            filters={"status": state, "tag": tag, "author": author_name, "q": query},
        )


# --- the editor ------------------------------------------------------------------------


def form_fields(handler: tornado.web.RequestHandler) -> dict[str, str]:
    """The editor's text fields as typed (kept verbatim so nothing is lost)."""
    get = handler.get_body_argument
    return {
        "title": get("title", "")[:1000],
        "slug": get("slug", "").strip().lower()[:100],
        "markdown": get("markdown", "", strip=False)[:MAX_BODY],
        "tags": get("tags", "")[:2000],
        "custom_excerpt": get("custom_excerpt", "")[:2000],
        "state": get("state", "draft"),
        "publish_at": get("publish_at", "").strip(),
        # --- media: the featured image (a /media/ URL of this site) ---
        "featured_image": get("featured_image", "").strip()[:300],
        "featured_alt": get("featured_alt", "")[:300],
        "featured_caption": get("featured_caption", "")[:500],
        # --- comments: closed by hand (cms/store/comments.py) ---
        "comments_closed": "1" if get("comments_closed", "") else "",
    }


# What an autosave keeps and gives back: every field of the editor but the status.
RESTORABLE = ("title", "slug", "markdown", "tags", "custom_excerpt", "publish_at", "featured_image",
              "featured_alt", "featured_caption", "comments_closed", "author_id")


# The fields besides the text that an autosave may bring back, as the editor names them.
RESTORABLE_LABELS = {"title": "Title", "slug": "Slug", "tags": "Tags", "custom_excerpt": "Excerpt",
                     "publish_at": "Publish at", "featured_image": "Featured image", "featured_alt": "Alt text",
                     "featured_caption": "Caption", "comments_closed": "Close comments", "author_id": "Author"}


def featured_of(fields: dict[str, str]) -> dict[str, str] | None:
    """The featured image the editor form names, for `Posts.create`/`update` (media)."""
    if not fields.get("featured_image"):
        return None
    return {"url": fields["featured_image"], "alt": fields["featured_alt"], "caption": fields["featured_caption"]}


def featured_fields(post: dict | None) -> dict[str, str]:
    """The editor's featured-image fields of a saved post (media)."""
    image = (post or {}).get("featured_image") or {}
    return {"featured_image": image.get("url", ""), "featured_alt": image.get("alt", ""),
            "featured_caption": image.get("caption", "")}


MINUTE = "%Y-%m-%dT%H:%M"  # the editor's "Publish at" (datetime-local) format


def reader_path(post: dict) -> str:
    """Where readers find a post or page."""
    return ("/posts/%s" if post["type"] == "post" else "/%s") % post["slug"]


def remembered_date(post: dict) -> dt.datetime | None:
    """The date the editor's "Publish at" shows: the post's own (scheduled or not), or
    for a post that was unpublished the one it had (kept by `Posts.update`)."""
    if post.get("status") == "published":
        return post.get("published_at")
    return post.get("was_published_at")


class EditorHandler(AdminHandler):
    """``/admin/posts/new`` and ``/admin/posts/<id>`` (and the same for pages)."""

    def fields_of(self, post: dict) -> dict[str, str]:
        return {
            "title": post["title"], "slug": post["slug"], "markdown": post["markdown"],
            "tags": ", ".join(post.get("tags", [])), "custom_excerpt": post.get("custom_excerpt", ""),
            "state": state_of(post), "publish_at": self.local_time(remembered_date(post), MINUTE),
            **featured_fields(post), "author_id": post.get("author_id") or "",
            "comments_closed": "1" if post.get("comments_closed") else "",
        }

    def autosave_key(self, kind: str, post_id: str | None) -> str:
        return post_id or "new-" + KINDS[kind]

    async def author_choices(self, post: dict | None, fields: dict[str, str]) -> dict[str, Any]:
        """The editor's author field: who is shown, and for editors the choices and the one selected.

        The choices are this site's members, plus the saved author if they have
        left it; an id the form sent that is neither (a refused choice) is not
        looked up, so no other site's person is ever named here.
        """
        saved_author = post["author_id"] if post else self.current_user["_id"]
        if not self.at_least("editor"):
            return {"author": await Users(self.db).by_id(saved_author), "authors": [], "selected": saved_author}
        members = [{"_id": m["user_id"], "name": m["user"]["name"], "role": m["role"]}
                   for m in await self.store.members.list()]
        ids = {m["_id"] for m in members}
        if saved_author not in ids:
            former = await Users(self.db).by_id(saved_author)
            if former is not None:
                members.append({"_id": former["_id"], "name": former["name"], "role": None})
                ids.add(former["_id"])
        selected = fields.get("author_id") if fields.get("author_id") in ids else saved_author
        return {"author": None, "authors": members, "selected": selected}

    async def chosen_author(self, post: dict | None, wanted: str) -> str | None:
        """The author the form asks for when it is a change, else None (keep the author).

        Only editors and up change it (403 for others); the new author must be
        a member of this site (`Invalid` otherwise: another site's person or an
        unknown id are the same).
        """
        current = post["author_id"] if post else self.current_user["_id"]
        if not wanted or wanted == current:
            return None
        if not self.at_least("editor"):
            log.info("%s (%s) may not change the author", self.current_user["_id"], self.role)
            raise tornado.web.HTTPError(403)
        if await self.store.members.role_of(wanted) is None:
            raise Invalid("the author must be a member of this site")
        return wanted

    async def show(self, kind: str, post: dict | None, fields: dict[str, str], status: int = 200,
                   **extra: Any) -> None:
        choices = await self.author_choices(post, fields)
        self.set_status(status)
        self.render(
            "admin/editor.html", nav=kind, kind=kind, post=post, fields=fields,
            version=extra.pop("version", post["version"] if post else 0),
            can_publish=self.can_publish(post), error=extra.pop("error", None),
            conflict=extra.pop("conflict", None), autosave=extra.pop("autosave", None),
            autosave_key=self.autosave_key(kind, post["_id"] if post else None), saved=extra.pop("saved", False),
            tab=new_id(),  # this page's own autosave copy (cms/store/autosaves.py)
            # The copy the editor's first autosave may patch: the saved post, when it shows its text.
            autosave_base="v%d" % post["version"] if post and fields["markdown"] == post["markdown"] else "",
            **choices, **extra,
        )

    @requires("contributor")
    async def get(self, kind: str, post_id: str | None = None) -> None:
        post = await self.editable_post(kind, post_id) if post_id else None
        fields = self.fields_of(post) if post else {
            "title": "", "slug": "", "markdown": "", "tags": "", "custom_excerpt": "", "state": "draft", "publish_at": "",
            **featured_fields(None), "author_id": self.current_user["_id"],
            # The new post's id, given now: the form sent twice is then one post (`Posts.create`).
            "new_id": new_id(),
        }
        saved = await self.store.autosaves.get(self.autosave_key(kind, post_id), self.current_user["_id"])
        if saved and post and saved["saved_at"] <= post["updated_at"]:
            saved = None  # older than what was saved since
        if saved and self.get_query_argument("restore", "") == "1":
            # Only the fields the autosave holds (an older one has the text only, so the
            # featured image stays as saved); never the status: restoring cannot publish.
            fields.update({k: v for k, v in saved["fields"].items() if k in RESTORABLE})
            saved = None
        if saved:  # what restoring would bring back, when, in the site's time (issue 16.12)
            saved = {**saved, "ago": time_ago(saved["saved_at"]),
                     "diff": diff_html(fields["markdown"], saved["fields"].get("markdown", fields["markdown"])),
                     "changed": [RESTORABLE_LABELS[k] for k, v in saved["fields"].items()
                                 if k in RESTORABLE_LABELS and v != fields.get(k, "")]}
        await self.show(kind, post, fields, autosave=saved, saved=self.get_query_argument("saved", "") == "1")

    def publication(self, fields: dict[str, str], post: dict | None) -> tuple[str, dt.datetime | None]:
        """(status, published_at) for the chosen state; raises StoreError for a bad time."""
        state = fields["state"]
        if state not in STATES:
            raise tornado.web.HTTPError(400, reason="Unknown status")
        if state not in ("draft", "pending") and not self.can_publish(post):
            raise tornado.web.HTTPError(403)  # a contributor never publishes, whatever the form says
        if state in ("draft", "pending"):  # pending: in review, for an editor to publish (issue 16.9)
            return state, None
        if state == "published":
            # The date it was published at (or had before it was unpublished), unless the
            # author typed another past one in "Publish at".
            remembered = remembered_date(post) if post and state_of(post) != "scheduled" else None
            typed = fields["publish_at"]
            if remembered and typed == self.local_time(remembered, MINUTE):
                return "published", remembered
            when = parse_local_time(typed, self.tz) if typed else None
            if when is not None and when <= utcnow():
                return "published", when.astimezone(dt.timezone.utc)
            return "published", remembered or utcnow()
        when = parse_local_time(fields["publish_at"], self.tz)
        if when is None:
            raise StoreError("pick the date and time to publish at")
        if when <= utcnow():
            raise StoreError("a scheduled time must be in the future (it is now %s)" % self.local_time(utcnow()))
        return "published", when.astimezone(dt.timezone.utc)

    async def tell_about_review(self, kind: str, before: dict | None, saved: dict) -> None:
        """Submitted for review: the editors are told; a post in review published: its author is."""
        was = state_of(before) if before else None
        if saved["status"] == "pending" and was != "pending":
            await review_mail.tell_reviewers(
                self.db, self.application.mail, self.site, saved, self.current_user,
                self.absolute_url("/admin/%s/%s" % (kind, saved["_id"])), self.absolute_url("/admin/%s?status=pending" % kind))
        elif was == "pending" and saved["status"] == "published":
            await review_mail.tell_published(self.db, self.application.mail, self.site, saved, self.current_user,
                                             self.absolute_url(reader_path(saved)))

    @requires("contributor")
    async def post(self, kind: str, post_id: str | None = None) -> None:
        post = await self.editable_post(kind, post_id) if post_id else None
        fields = form_fields(self)
        fields["author_id"] = (self.get_body_argument("author_id", "").strip()[:64]
                               or (post["author_id"] if post else self.current_user["_id"]))
        if post is None:
            fields["new_id"] = self.get_body_argument("new_id", "").strip()[:64]
        version = self.get_body_argument("version", "0")
        if not version.isdigit():
            raise tornado.web.HTTPError(400, reason="Bad version")
        values = dict(
            title=fields["title"], markdown=fields["markdown"], slug=fields["slug"] or None,
            tags=[t for t in fields["tags"].split(",") if t.strip()], custom_excerpt=fields["custom_excerpt"] or None,
            featured_image=featured_of(fields),
        )
        try:
            status, published_at = self.publication(fields, post)
            author_id = await self.chosen_author(post, fields["author_id"])
            # A save the database did not confirm is a 503 (cms/handlers/base.py): the author
            # sends it again, and the store recognises a save that was done (cms/store/saving.py).
            if post is None:
                saved = await self.store.posts.create(
                    **values, type=KINDS[kind], author_id=author_id or self.current_user["_id"], status=status,
                    published_at=published_at, editor_id=self.current_user["_id"],
                    post_id=fields["new_id"] or None, comments_closed=bool(fields["comments_closed"]),
                )
            else:
                saved = await self.store.posts.update(
                    post["_id"], int(version), **values, status=status, published_at=published_at,
                    editor_id=self.current_user["_id"], author_id=author_id,
                    comments_closed=bool(fields["comments_closed"]) if kind == "posts" else None,
                )
        except Conflict as conflict:
            current = conflict.current
            await self.show(
                kind, current, fields, 409, version=current["version"], error=str(conflict),
                conflict={"theirs": current, "diff": diff_html(current["markdown"], fields["markdown"]),
                          "blocks": merge_blocks(current["markdown"], fields["markdown"])},
            )
            return
        except RenderRefused as error:  # nothing was saved; the text is shown back as typed
            await self.show(kind, post, fields, 503 if isinstance(error, RenderBusy) else 422,
                            version=int(version), error=str(error))
            return
        except StoreError as error:
            await self.show(kind, post, fields, 400, version=int(version), error=str(error))
            return
        await self.store.autosaves.discard(self.autosave_key(kind, post_id), self.current_user["_id"])
        log.info("%s saved %s %s v%d", self.current_user["_id"], saved["type"], saved["_id"], saved["version"])
        if post is not None:
            # The others with the post open hear of it at once (cms/live/admin.py); the saving
            # tab names itself so it is not told of its own save.
            tab = self.get_body_argument("tab", "")
            await post_saved(self.db, self.site["_id"], saved, self.current_user,
                                    tab if TAB.fullmatch(tab) else "")
        await self.tell_about_review(kind, post, saved)
        page = "/admin/%s/%s?saved=1" % (kind, saved["_id"])
        if self.wants_json():
            # The editor's script (editor.js) saves by fetch, then loads the page itself.
            self.write({"url": page, "version": saved["version"]})
            return
        self.redirect(page, status=303)


class AutosaveHandler(AdminHandler):
    """Keeps what is typed, never touching the post: an autosave cannot publish.

    The text comes whole (``markdown``) or as a patch of the server's copy
    (``base`` and ``patch``: cms/store/autosaves.py); either way with the
    ``rev`` the editor names this copy by. A patch against another copy is a
    409 (``code`` "stale"): the editor then sends the text whole.
    """

    @requires("contributor")
    async def post(self, kind: str, post_id: str) -> None:
        post = None if post_id == "new" else await self.editable_post(kind, post_id)
        key = "new-" + KINDS[kind] if post is None else post["_id"]
        user_id = self.current_user["_id"]
        if self.get_body_argument("action", "") == "discard":
            await self.store.autosaves.discard(key, user_id)
            self.redirect("/admin/%s/%s" % (kind, post_id), status=303)
            return
        # Only what was sent: a field the request leaves out is not an empty one.
        sent = self.request.body_arguments
        fields = {k: v for k, v in form_fields(self).items() if k in sent and k in RESTORABLE}
        if "author_id" in sent:
            fields["author_id"] = self.get_body_argument("author_id", "").strip()[:64]
        try:
            rev = checked_rev(self.get_body_argument("rev", "") or new_id())
            tab = checked_tab(self.get_body_argument("tab", ""))  # each editor page keeps its own copy
            if "patch" in sent:
                splice = Splice.parse(self.get_body_argument("patch", strip=False))
                base = self.get_body_argument("base", "")
                saved_text = post["markdown"] if post is not None and base == "v%d" % post["version"] else None
                saved_at = await self.store.autosaves.patch(key, user_id, base, splice, fields, rev, saved_text, tab)
            else:
                saved_at = await self.store.autosaves.save(key, user_id, fields, rev, tab)
        except StaleBase as stale:
            log.info("%s: autosave patch of %s refused: %s", user_id, key, stale)
            raise Refusal(409, "The autosave copy changed meanwhile: send the text whole.", code="stale") from None
        except Invalid as bad:
            raise Refusal(400, "Not an autosave patch: %s." % bad) from None
        self.write({"saved_at": self.local_time(saved_at, "%H:%M:%S"), "rev": rev})


class TagSuggestionsHandler(AdminHandler):
    """``/admin/tags.json?q=``: this site's tags, drafts' included, for the editor's suggestions.

    Tags starting with what is typed come first, then those containing it;
    the most used first within each. Only this site's posts are counted.
    """

    @requires("contributor")
    async def get(self) -> None:
        typed = " ".join(self.get_query_argument("q", "").split()).lower()[:50]
        slug = slugify(typed, 50)
        ranked = []
        for tag in await self.store.posts.all_tags():
            name = tag["name"].lower()
            if name.startswith(typed) or (slug and tag["slug"].startswith(slug)):
                ranked.append((0, -tag["count"], name, tag))
            elif typed in name or (slug and slug in tag["slug"]):
                ranked.append((1, -tag["count"], name, tag))
        ranked.sort(key=lambda entry: entry[:3])
        self.set_header("Cache-Control", "no-store")
        self.write({"tags": [{"name": t["name"], "slug": t["slug"], "count": t["count"]}
                             for *_, t in ranked[:MAX_SUGGESTIONS]]})


# --- live preview -----------------------------------------------------------------------


class PreviewRefused(Exception):
    """A preview that is not shown; the message is for the author's preview pane."""


class PreviewSocket(AdminBase, tornado.websocket.WebSocketHandler):
    """Renders what is typed in the site's own theme, as the author types.

    Authenticated by the same session cookie as every admin page (checked in
    ``get`` before the upgrade) and only from a page of this very host. The
    preview of a saved post needs the right to edit it. Markdown renders in the
    render pool (`cms.render_pool`), never on the event loop; each person gets
    `limiter`'s previews per site, and one socket renders one text at a time:
    what arrives meanwhile replaces what waits, so only the newest is rendered.
    """

    # The editor sends at most 4 a second (a 250 ms pause in typing): room for
    # that, none for a script. Shared by every socket of the person on the site.
    limiter = RateLimiter(rate=5.0, burst=20)

    def check_origin(self, origin: str) -> bool:
        from urllib.parse import urlparse

        return urlparse(origin).netloc.lower() == self.request.host.lower()

    @requires("contributor")
    async def get(self, *args: Any, **kwargs: Any) -> None:
        await tornado.websocket.WebSocketHandler.get(self, *args, **kwargs)

    def open(self, *args: Any, **kwargs: Any) -> None:
        self._newest: tuple[Any, str, dict[str, Any]] | None = None
        self._renderer: asyncio.Task | None = None

    def on_message(self, message: str | bytes) -> None:
        try:
            data = json.loads(message)
            kind = "page" if data.get("kind") == "pages" else "post"
            fields = {
                "title": str(data.get("title", ""))[:200] or "Untitled",
                "markdown": str(data.get("markdown", ""))[:MAX_BODY],
                "custom_excerpt": str(data.get("custom_excerpt", ""))[:2000] or None,
                "tags": str(data.get("tags", "")).split(",")[:MAX_TAGS],
                "publish_at": str(data.get("publish_at", "")),
                "post_id": str(data.get("post_id", "")),
                "author_id": str(data.get("author_id", ""))[:64],
            }
            if "featured_image" in data:  # typed, not saved yet (issue 16.13); absent: the saved one
                fields["featured"] = {"url": str(data["featured_image"] or "").strip()[:300],
                                      "alt": str(data.get("featured_alt") or "")[:300],
                                      "caption": str(data.get("featured_caption") or "")[:500]}
            seq = data.get("seq")
        except (ValueError, AttributeError):
            self.close(1003, "bad message")
            return
        if not self.limiter.allow((self.site["_id"], self.current_user["_id"])):
            self.answer(seq, error="too many previews at once: the preview catches up when you pause typing")
            return
        self._newest = (seq, kind, fields)
        if self._renderer is None or self._renderer.done():
            self._renderer = asyncio.ensure_future(self._render_newest())

    async def _render_newest(self) -> None:
        """Render what waits, newest first, until nothing does (or the author has left)."""
        while self._newest is not None and self.ws_connection is not None:
            seq, kind, fields = self._newest
            self._newest = None
            try:
                html = await self.preview_html(kind, fields)
            except (PreviewRefused, RenderRefused, StoreError) as refused:  # StoreError: a tag refused (clean_tags)
                self.answer(seq, error=str(refused))
            else:
                self.answer(seq, html=html)

    def answer(self, seq: Any, html: str | None = None, error: str | None = None) -> None:
        """Send the preview, or the reason there is none (shown in the pane, in place of the page)."""
        if self.ws_connection is None:  # the author may have left meanwhile
            return
        if error is not None:
            self.write_message({"seq": seq, "error": error,
                                "html": '<p class="preview-error">%s</p>' % tornado.escape.xhtml_escape(error)})
        else:
            self.write_message({"seq": seq, "html": html})

    async def preview_html(self, kind: str, fields: dict[str, Any]) -> str:
        """The page as readers will see it: the post's own author and date where it has them."""
        saved = await self.store.posts.get(fields["post_id"]) if re.fullmatch(ID, fields["post_id"]) else None
        if saved is not None and not self.can_edit(saved):
            # Its picture, caption and author are as private as its text (issue 9, finding 7).
            raise PreviewRefused("you may not edit this post, so it has no preview for you")
        author = await Users(self.db).by_id(saved["author_id"]) if saved else self.current_user
        chosen = fields.get("author_id")
        if (chosen and chosen != (author or {}).get("_id") and self.at_least("editor")
                and await self.store.members.role_of(chosen)):
            author = await Users(self.db).by_id(chosen)  # the author an editor picked, not saved yet
        published_at = (parse_local_time(fields["publish_at"], self.tz) or (saved or {}).get("published_at")
                        or utcnow())
        rendered = await render_pool.render(fields["markdown"], fields["custom_excerpt"],
                                            (self.site["_id"], self.current_user["_id"]))
        if self.ws_connection is None:
            raise PreviewRefused("the author has left")  # no page to render for no one
        names, tag_slugs = clean_tags(fields["tags"])
        featured = ((saved or {}).get("featured_image") if "featured" not in fields
                    else await self.store.posts.featured_preview(fields["featured"]))
        post = {
            "_id": "preview", "type": kind, "slug": "preview", "title": fields["title"],
            "markdown": fields["markdown"], "html": rendered.html, "toc": rendered.toc, "excerpt": rendered.excerpt,
            "reading_minutes": rendered.reading_minutes, "words": rendered.words, "tags": names,
            "tag_slugs": tag_slugs, "author_id": (author or self.current_user)["_id"], "status": "draft",
            "published_at": published_at, "updated_at": utcnow(),
            "featured_image": featured,
        }
        template = "page.html" if kind == "page" else "post.html"
        try:
            html = self.render_string(template, post=post, author=author, older=None, newer=None, comments=[])
        except Exception:  # a theme that cannot preview must not kill the socket
            log.exception("preview rendering failed in theme %s", self.theme.name)
            html = b"<p>The preview could not be rendered.</p>"
        return html.decode("utf-8")


def admin_routes() -> list[tornado.web.URLSpec]:
    URLSpec = tornado.web.URLSpec
    kinds = r"(posts|pages)"
    return [
        URLSpec(r"/admin/static/(.+)", AdminStaticHandler, name="admin-static"),
        URLSpec(r"/admin/?", DashboardHandler, name="admin"),
        URLSpec(r"/admin/preview", PreviewSocket, name="admin-preview"),
        URLSpec(r"/admin/tags\.json", TagSuggestionsHandler, name="admin-tag-suggestions"),
        URLSpec(r"/admin/%s/?" % kinds, ListHandler, name="admin-list"),
        URLSpec(r"/admin/%s/new" % kinds, EditorHandler, name="admin-new"),
        URLSpec(r"/admin/%s/%s" % (kinds, ID), EditorHandler, name="admin-edit"),
        URLSpec(r"/admin/%s/(new|[0-9a-f]{24})/autosave" % kinds, AutosaveHandler, name="admin-autosave"),
    ]
