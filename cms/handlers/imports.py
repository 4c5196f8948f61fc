"""The site admin's Import page (owners): upload a WordPress or Ghost export, watch it import.

The upload is streamed to temporary files (`cms.uploads`) after the person,
their role, the XSRF token and the size (``CMS_MAX_IMPORT_MB``) have been
checked from the headers. The import then runs in the background of this
process (`cms.importers.jobs.in_background`) and its record in
``import_jobs`` is what everyone sees: the job's page follows it over a
WebSocket (`ImportProgressSocket`, which reads the record twice a second and
sends what changed), or, without WebSockets, by polling its JSON. The author
may leave and come back; another owner sees the same job. A job of another
site is a 404, like a missing one.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import urlparse

import tornado.web
import tornado.websocket

from cms.handlers.admin import ID, AdminBase, AdminHandler, requires
from cms.handlers.refused import StreamsForm
from cms.importers import jobs
from cms.store.imports import RUNNING, ImportBusy
from cms.uploads import FormError, StreamedForm

log = logging.getLogger(__name__)

MB = 1024 * 1024
FORM_OVERHEAD = 1 * MB
IMPORT_BODY_TIMEOUT = 1800.0  # seconds to send an export: 100 MB at 60 KB/s
SOURCES = {"wordpress": "WordPress (WXR .xml)", "ghost": "Ghost (.json)"}
POLL_SECONDS = 0.5


def job_view(job: dict) -> dict[str, Any]:
    """What the page, its socket and its JSON show of a job (never who started it or file paths)."""
    return {
        "id": job["_id"], "status": job["status"], "phase": job.get("phase", ""), "source": job.get("source", ""),
        "filename": job.get("filename", ""), "done": job.get("done", 0), "total": job.get("total", 0),
        "counts": job.get("counts") or {}, "error": job.get("error"), "report": job.get("report"),
    }


class ImportAdmin(AdminHandler):
    async def load_job(self, job_id: str) -> dict:
        job = await self.store.import_jobs.get(job_id)
        if job is None:
            raise tornado.web.HTTPError(404)
        return job


@tornado.web.stream_request_body
class ImportPageHandler(StreamsForm, ImportAdmin):
    """``/admin/import``: the form, the site's recent imports, and the upload that starts one."""


    @property
    def max_bytes(self) -> int:
        return self.cms.max_import_mb * MB

    async def prepare(self) -> None:
        await super().prepare()
        if self.request.method != "POST" or self._finished:
            return
        if not self.check_role("owner"):
            return
        if "Content-Length" not in self.request.headers:
            return await self.refuse_early(411, "Send the export with a Content-Length.")
        length = int(self.request.headers["Content-Length"])
        if length > self.max_bytes + FORM_OVERHEAD:
            return await self.refuse_early(413, "The upload is too large (%.1f MB); the limit is %d MB." % (
                length / MB, self.cms.max_import_mb))
        try:
            self.form = StreamedForm(self.request.headers.get("Content-Type", ""), self.max_bytes,
                                     directory=self.settings.get("upload_dir"))
        except FormError as error:
            return await self.refuse_early(error.status, error.message)
        self.request.connection.set_max_body_size(self.max_bytes + FORM_OVERHEAD)
        self.request.connection.set_body_timeout(IMPORT_BODY_TIMEOUT)

    async def refuse_early(self, status: int, message: str) -> None:
        log.info("site %s: refused an import from its headers: %s", self.site["name"], message)
        await self.show(status, error=message)
        self.finish()

    async def show(self, status: int = 200, error: str | None = None) -> None:
        self.set_status(status)
        recent = await self.store.import_jobs.recent()
        self.render("admin/import.html", nav="import", error=error, jobs=recent, sources=SOURCES,
                    max_mb=self.cms.max_import_mb, running=next((j for j in recent if j["status"] == RUNNING), None))

    @requires("owner")
    async def get(self) -> None:
        await self.show()

    @requires("owner")
    async def post(self) -> None:
        try:
            self.form.finish()
        except FormError as error:
            return await self.show(error.status, error.message)
        kind = (self.form.fields.get("source") or [""])[0]
        if kind not in SOURCES:
            return await self.show(400, "Choose where the export comes from: WordPress or Ghost.")
        export = next((f for f in self.form.files if f.field == "file" and f.size), None)
        if export is None:
            return await self.show(400, "Choose the export file to import.")
        media = next((f for f in self.form.files if f.field == "media" and f.size), None)
        try:
            job = await self.store.import_jobs.start(kind, export.filename, self.current_user["_id"])
        except ImportBusy as busy:
            return await self.show(409, str(busy))
        # The background run owns these files from now on (it removes them when done).
        for upload in (export, media):
            if upload is not None:
                self.form.files.remove(upload)
        jobs.in_background(self.db, self.site, kind, export.path, self.current_user["_id"], job,
                           self.cms.max_upload_mb * MB, media=media.path if media else None)
        log.info("%s started import %s (%s, %d bytes) on %s", self.current_user["_id"], job["_id"], kind,
                 export.size, self.site["name"])
        self.redirect("/admin/import/%s" % job["_id"], status=303)


class ImportJobHandler(ImportAdmin):
    """``/admin/import/<id>``: one import, live while it runs, with its report once done."""

    @requires("owner")
    async def get(self, job_id: str) -> None:
        job = await self.load_job(job_id)
        self.render("admin/import_job.html", nav="import", job=job_view(job))


class ImportJobJSONHandler(ImportAdmin):
    """``/admin/import/<id>.json``: the job now (the page polls it where WebSockets do not work)."""

    @requires("owner")
    async def get(self, job_id: str) -> None:
        job = await self.load_job(job_id)
        self.set_header("Cache-Control", "no-store")
        self.write(job_view(job))


class ImportProgressSocket(AdminBase, tornado.websocket.WebSocketHandler):
    """``/admin/import/<id>/live``: the job's record, sent whenever it changes, until it ends.

    Signed in by the session cookie like every admin page (checked in ``get``,
    before the upgrade), owners of this site only, from a page of this host.
    """

    def check_origin(self, origin: str) -> bool:
        return urlparse(origin).netloc.lower() == self.request.host.lower()

    @requires("owner")
    async def get(self, job_id: str) -> None:
        job = await self.store.import_jobs.get(job_id)
        if job is None:
            raise tornado.web.HTTPError(404)
        self.job_id = job_id
        await tornado.websocket.WebSocketHandler.get(self, job_id)

    def open(self, job_id: str) -> None:
        self._follower = asyncio.ensure_future(self.follow())

    async def follow(self) -> None:
        sent = None
        while self.ws_connection is not None:
            job = await self.store.import_jobs.get(self.job_id)
            if job is None:
                break
            view = json.dumps(job_view(job), default=str)
            if view != sent:
                sent = view
                try:
                    await self.write_message(view)
                except tornado.websocket.WebSocketClosedError:
                    return
            if job["status"] != RUNNING:
                break
            await asyncio.sleep(POLL_SECONDS)
        self.close()

    def on_message(self, message: str | bytes) -> None:
        """Nothing to say to the server: the socket only listens."""

    def on_close(self) -> None:
        follower = getattr(self, "_follower", None)
        if follower is not None and not follower.done():
            follower.cancel()


def import_routes() -> list[tornado.web.URLSpec]:
    URLSpec = tornado.web.URLSpec
    return [
        URLSpec(r"/admin/import", ImportPageHandler, name="admin-import"),
        URLSpec(r"/admin/import/%s" % ID, ImportJobHandler, name="admin-import-job"),
        URLSpec(r"/admin/import/%s\.json" % ID, ImportJobJSONHandler, name="admin-import-job-json"),
        URLSpec(r"/admin/import/%s/live" % ID, ImportProgressSocket, name="admin-import-live"),
    ]
