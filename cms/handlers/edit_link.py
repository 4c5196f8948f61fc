"""``/admin/edit-link.json``: may the signed-in person edit what a reader page shows? (issue 12)

Asked by the reader page's script (ui_modules/static/edit-link.js) with the
page's path; the answer is the admin editor's address, or null. It is per
person and never cached (``no-store``), and it reveals nothing to anyone else:
a visitor is sent to sign in like on every admin route, and a member learns
only about this site's published posts and pages they may edit.

The member hint cookie (``cms_member``, not HttpOnly, no identity in it) is
what lets the script skip the request for the readers who are not members:
the admin sets it (`AdminBase.prepare`), the script drops it when the answer
says signed out.
"""

from __future__ import annotations

import re

import tornado.escape
import tornado.web

from cms.handlers.admin import AdminBase, requires
from cms.handlers.public import as_typed
from cms.text.slugs import slugify

MAX_PATH = 1000
# The reader routes of a post and a page (cms/app.py), as the browser shows them.
POST_PATH = re.compile(r"/posts/([^/]{1,1000})/?")
PAGE_PATH = re.compile(r"/([^/]{1,1000})/?")


class EditLinkHandler(AdminBase):
    @requires("contributor")
    async def get(self) -> None:
        self.set_header("Cache-Control", "no-store, private")
        path = self.get_query_argument("path", "")[:MAX_PATH + 1]
        self.write({"edit": await self.editor_of(path) if len(path) <= MAX_PATH else None})

    async def editor_of(self, path: str) -> str | None:
        for kind, pattern in (("posts", POST_PATH), ("pages", PAGE_PATH)):
            found = pattern.fullmatch(path)
            if found is None:
                continue
            slug = slugify(as_typed(tornado.escape.url_unescape(found.group(1))))
            post = await self.store.posts.get_visible(kind[:-1], slug) if slug else None
            if post is not None and self.can_edit(post):
                return "/admin/%s/%s" % (kind, post["_id"])
            return None
        return None


def edit_link_routes() -> list[tornado.web.URLSpec]:
    return [tornado.web.URLSpec(r"/admin/edit-link\.json", EditLinkHandler, name="admin-edit-link")]
