"""The admin's subscribers (``/admin/subscribers``): editors and up.

Counts by status (confirmed, pending, unsubscribed), a search by address,
Remove, and a CSV export of the whole list. Admins also choose what a
newsletter carries of a post: its excerpt or its full text. Another site's
subscriber is a 404.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging

import tornado.web

from cms.handlers.admin import AdminHandler, requires
from cms.httperrors import Refusal
from cms.store import Sites
from cms.store.subscribers import CONTENTS, STATUSES, content_of

log = logging.getLogger(__name__)

PAGE = 100
DONE = {"removed": "Subscriber removed.", "settings": "Newsletter settings saved."}
CSV_FIELDS = ("email", "status", "subscribed", "confirmed", "unsubscribed")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell as a formula


def iso(epoch: float | None) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).isoformat(timespec="seconds") if epoch else ""


def cell(value: str) -> str:
    """A CSV cell no spreadsheet runs: an address may start with "=" (RFC 5322 allows it)."""
    return "'" + value if value.startswith(FORMULA_START) else value


class SubscribersHandler(AdminHandler):
    """``/admin/subscribers?q=&status=``: the list."""

    async def show(self, status: int = 200, error: str | None = None) -> None:
        self.set_status(status)
        shown = self.get_query_argument("status", "") or None
        if shown is not None and shown not in STATUSES:
            raise Refusal(400, "Unknown status: choose one of %s." % ", ".join(STATUSES))
        query = self.get_query_argument("q", "")[:254]
        subscribers = await self.store.subscribers.search(query, shown, limit=PAGE)
        self.render("admin/subscribers.html", nav="subscribers", subscribers=subscribers, shown=shown, query=query,
                    counts=await self.store.subscribers.counts(), content=content_of(self.site), contents=CONTENTS,
                    iso=iso, page=PAGE, error=error,
                    done=DONE.get(self.get_query_argument("done", "")) if status == 200 else None)

    @requires("editor")
    async def get(self) -> None:
        await self.show()


class RemoveSubscriberHandler(AdminHandler):
    """``POST /admin/subscribers/<id>/remove``."""

    @requires("editor")
    async def post(self, subscriber_id: str) -> None:
        if not await self.store.subscribers.remove(subscriber_id):
            raise Refusal(404, "There is no such subscriber on this site.")
        log.info("%s: removed subscriber %s of %s", self.current_user["_id"], subscriber_id, self.site["name"])
        self.redirect("/admin/subscribers?done=removed", status=303)


class SubscribersCsvHandler(AdminHandler):
    """``GET /admin/subscribers.csv``: every subscriber, any status."""

    @requires("editor")
    async def get(self) -> None:
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", 'attachment; filename="%s-subscribers.csv"' % self.site["name"])
        self.set_header("Cache-Control", "no-store")
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(CSV_FIELDS)
        async for s in self.store.subscribers.all():
            writer.writerow([cell(s["email"]), s["status"], iso(s.get("created")), iso(s.get("confirmed")),
                             iso(s.get("unsubscribed"))])
            if buffer.tell() > 64 * 1024:
                self.write(buffer.getvalue())
                buffer.seek(0)
                buffer.truncate()
                await self.flush()
        self.write(buffer.getvalue())


class NewsletterSettingsHandler(SubscribersHandler):
    """``POST /admin/subscribers/settings``: excerpt or full text (admins)."""

    @requires("admin")
    async def post(self) -> None:
        content = self.get_body_argument("content", "")
        if content not in CONTENTS:
            await self.show(400, "Choose what newsletters carry: the excerpt or the full text.")
            return
        await Sites(self.db).set_newsletter_settings(self.site["_id"], {"content": content})
        self.forget_cached_sites()
        self.redirect("/admin/subscribers?done=settings", status=303)


def subscribers_admin_routes() -> list[tornado.web.URLSpec]:
    URLSpec = tornado.web.URLSpec
    return [
        URLSpec(r"/admin/subscribers", SubscribersHandler, name="admin-subscribers"),
        URLSpec(r"/admin/subscribers\.csv", SubscribersCsvHandler, name="admin-subscribers-csv"),
        URLSpec(r"/admin/subscribers/settings", NewsletterSettingsHandler, name="admin-newsletter-settings"),
        URLSpec(r"/admin/subscribers/([0-9a-f]{24})/remove", RemoveSubscriberHandler, name="admin-subscriber-remove"),
    ]
