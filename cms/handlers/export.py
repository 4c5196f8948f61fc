"""The site admin's Export page (``/admin/export``): the whole site as a file, for its owner only.

An export holds everything of the site (the archive lists its members'
e-mail addresses), so only an owner may make one; anyone else gets the
admin's ordinary 403. The file is built by `cms.export` into a temporary
file -- documents read in batches, the event loop free between them, so
readers of every site keep being served -- then sent in chunks, each
flushed before the next is read, so neither the site nor the file is ever
in memory. One export per site runs at a time in a process: a second click
while one is being made is told to wait (409), not queued.

The download is a POST (with the XSRF token) rather than a link: making an
export is work, and no other site's page should be able to start one.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from typing import Any

import tornado.iostream
import tornado.web

from cms.export import CONTENT_TYPES, FORMATS, file_name, write_format
from cms.handlers.admin import AdminHandler, requires
from cms.httperrors import Refusal
from cms.store.site_data import SiteData

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
_running: set[Any] = set()  # site ids with an export being made in this process


class ExportHandler(AdminHandler):
    """``GET /admin/export``: the three formats; ``POST``: the file in ``format``, as an attachment."""

    writes_while_suspended = True  # it changes nothing: the owner of a suspended site may take their data

    @requires("owner")
    async def get(self) -> None:
        counts = await SiteData(self.db, self.site["_id"]).counts()
        self.render("admin/export.html", nav="export", counts=counts)

    @requires("owner")
    async def post(self) -> None:
        format = self.get_body_argument("format", "")
        if format not in FORMATS:
            raise Refusal(400, "Choose one of the export formats: %s." % ", ".join(FORMATS))
        site_id = self.site["_id"]
        if site_id in _running:
            raise Refusal(409, "An export of this site is being made already: try again when it is done.")
        _running.add(site_id)
        fd, path = tempfile.mkstemp(prefix="cms-export-", suffix=".part")
        os.close(fd)
        try:
            counts = await write_format(self.store, format, path, self.site_origin())
            log.info("%s exported %s as %s: %s", self.current_user["_id"], self.site["name"], format, counts)
            await self._send(path, format)
        finally:
            _running.discard(site_id)
            os.unlink(path)

    async def _send(self, path: str, format: str) -> None:
        today = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
        self.set_header("Content-Type", CONTENT_TYPES[format])
        self.set_header("Content-Disposition", 'attachment; filename="%s"' % file_name(self.site["name"], format, today))
        self.set_header("Content-Length", str(os.path.getsize(path)))
        self.set_header("Cache-Control", "no-store")
        with open(path, "rb") as source:
            while chunk := source.read(CHUNK):
                self.write(chunk)
                try:
                    await self.flush()
                except tornado.iostream.StreamClosedError:
                    log.info("the download of %s's export was cancelled", self.site["name"])
                    return


def export_routes() -> list[tornado.web.URLSpec]:
    return [
        tornado.web.URLSpec(r"/admin/export", ExportHandler, name="admin-export"),
    ]
