"""The admin's Redirects page: the site's table of old addresses (cms/store/redirects.py).

Editors and up see every redirect -- the ones kept for renamed slugs and tags,
the ones an import wrote, their own -- add one by hand and delete any. What the
table refuses (a platform address, a loop, a bad target) comes back as the
page with the store's message and a 400; nothing is stored then.
"""

from __future__ import annotations

import logging

import tornado.web

from cms.handlers.admin import AdminHandler, requires
from cms.store import StoreError

log = logging.getLogger(__name__)

# Fixed notices after a redirect (``?done=key``): nothing a visitor types is echoed.
DONE = {"redirect-added": "Redirect added.", "redirect-deleted": "Redirect deleted."}
SOURCES = {"slug": "renamed slug", "tag": "renamed tag", "import": "import", "manual": "added by hand"}


class RedirectsHandler(AdminHandler):
    """``/admin/redirects``: the list, and the form that adds one."""

    async def show(self, status: int = 200, error: str | None = None, form: dict | None = None) -> None:
        self.set_status(status)
        raw = self.request.query_arguments.get("done", [b""])[-1]
        self.render("admin/redirects.html", nav="redirects", redirects=await self.store.redirects.all(),
                    total=await self.store.redirects.count(), sources=SOURCES, error=error,
                    done=DONE.get(raw.decode("utf-8", "replace")) if status == 200 else None,
                    form=form or {"from": "", "to": "", "code": "301"})

    @requires("editor")
    async def get(self) -> None:
        await self.show()

    @requires("editor")
    async def post(self) -> None:
        form = {name: self.get_body_argument(name, "")[:2100] for name in ("from", "to", "code")}
        try:
            code = int(form["code"]) if form["code"].isdigit() else 0
            await self.store.redirects.add(form["from"], form["to"], code=code, source="manual")
        except StoreError as error:
            await self.show(400, str(error), form)
            return
        log.info("%s added a redirect on %s", self.current_user["_id"], self.site["name"])
        self.redirect("/admin/redirects?done=redirect-added", status=303)


class DeleteRedirectHandler(AdminHandler):
    """``POST /admin/redirects/<id>/delete``. Another site's redirect is not found here."""

    @requires("editor")
    async def post(self, redirect_id: str) -> None:
        if not await self.store.redirects.delete(redirect_id):
            raise tornado.web.HTTPError(404)
        log.info("%s deleted redirect %s on %s", self.current_user["_id"], redirect_id, self.site["name"])
        self.redirect("/admin/redirects?done=redirect-deleted", status=303)


def redirects_admin_routes() -> list[tornado.web.URLSpec]:
    URLSpec = tornado.web.URLSpec
    return [
        URLSpec(r"/admin/redirects", RedirectsHandler, name="admin-redirects"),
        URLSpec(r"/admin/redirects/([0-9a-f]{24})/delete", DeleteRedirectHandler, name="admin-redirect-delete"),
    ]
