"""Media: the reader-side file server (``/media/...``) and the admin library.

Thin handlers: validation and resizing are `cms.images.process` (run in an
executor by `cms.store.media.process_upload`), storage is the site's
`cms.store.media.Media`. An upload's body is streamed (`cms.uploads`): who
is asking, their role, the XSRF token (``X-XSRFToken`` header or ``_xsrf``
query argument) and ``Content-Length`` are checked from the headers, and
only then is the body read, file parts straight to temporary files. Every admin method declares its role with
`requires`: uploading and managing files needs ``author`` (as in most
blogging tools, contributors write drafts but do not upload files); authors
delete and describe (alt text) their own uploads, editors anyone's.
"""

from __future__ import annotations

import asyncio
import logging
import re

import tornado.web

from cms.handlers.admin import AdminHandler, requires
from cms.handlers.base import BaseHandler
from cms.handlers.refused import StreamsForm
from cms.httperrors import Suspended
from cms.images import Limits, Rejected
from cms.store import Users
from cms.store.errors import OverQuota, megabytes
from cms.store.media import Media, image_of, markdown_of, process_upload, thumbnail_of
from cms.store.sites import quota_bytes
from cms.uploads import FormError, StreamedForm

log = logging.getLogger(__name__)

ONE_YEAR = 31536000
MB = 1024 * 1024
FORM_OVERHEAD = 1 * MB  # an upload's body: the file(s), at most the upload limit, plus the form around them
UPLOAD_BODY_TIMEOUT = 600.0  # seconds to send an upload (90 MB at 150 KB/s); only signed-in authors get it
CHUNK = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str, length: int) -> tuple[int, int] | None | bool:
    """``(start, end)`` (end exclusive) of a single ``Range: bytes=`` header.

    None: ignore the header (absent, several ranges, another unit) and send
    it all. False: unsatisfiable (416).
    """
    match = _RANGE.match(header.strip().replace(" ", ""))
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        n = int(last)
        if n == 0:
            return False
        return max(0, length - n), length
    start = int(first)
    end = min(int(last) + 1, length) if last else length
    if start >= length or (last and int(last) < start):
        return False
    return start, end


class MediaFileHandler(BaseHandler):
    """``/media/<item>/<digest>.<ext>``: a file of this site, cached for a year.

    The URL is content-addressed (the digest is the SHA-256 of the bytes), so
    the response is ``immutable`` with a strong ETag of that digest. Another
    site's file is a 404 here, like a missing one.
    """

    async def prepare(self) -> None:
        # Only the site: no session lookup for an image request.
        self.application.in_flight.track(asyncio.current_task())
        self.refuse_while_database_down()
        resolved = await self.application.resolver.resolve(self.request.host)
        if not isinstance(resolved, dict) or not resolved.get("_id"):
            raise tornado.web.HTTPError(404)
        if resolved.get("suspended"):
            raise Suspended(resolved["name"])
        self.site = resolved
        self.theme = self.themes.get(resolved.get("theme"))

    def compute_etag(self) -> str | None:
        return None  # set from the digest; never hash the body

    async def head(self, name: str) -> None:
        await self.get(name, include_body=False)

    async def get(self, name: str, include_body: bool = True) -> None:
        grid_out = await Media(self.db, self.site["_id"]).open(name)
        if grid_out is None:
            raise tornado.web.HTTPError(404)
        length = grid_out.length
        etag = '"%s"' % name.rsplit("/", 1)[-1].split(".")[0]
        self.set_header("Content-Type", grid_out.metadata.get("content_type", "application/octet-stream"))
        self.set_header("Cache-Control", "public, max-age=%d, immutable" % ONE_YEAR)
        self.set_header("ETag", etag)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", "default-src 'none'; sandbox")
        self.set_header("Accept-Ranges", "bytes")
        if etag in [t.strip() for t in self.request.headers.get("If-None-Match", "").split(",")] or \
                self.request.headers.get("If-None-Match", "").strip() == "*":
            self.clear_header("Content-Type")
            self.set_status(304)
            return
        start, end = 0, length
        wanted = self.request.headers.get("Range")
        if_range = self.request.headers.get("If-Range")
        if wanted and (not if_range or if_range.strip() == etag):
            found = parse_range(wanted, length)
            if found is False:
                self.set_status(416)
                self.set_header("Content-Range", "bytes */%d" % length)
                self.clear_header("Content-Type")
                return
            if found:
                start, end = found
                self.set_status(206)
                self.set_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, length))
        self.set_header("Content-Length", end - start)
        if not include_body:
            return
        if start:
            grid_out.seek(start)
        remaining = end - start
        while remaining > 0:
            data = await grid_out.read(min(CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)
            self.write(data)
            await self.flush()


# --- the admin library --------------------------------------------------------------


class MediaAdmin(AdminHandler):
    @property
    def media(self) -> Media:
        return self.store.media

    def limits(self) -> Limits:
        return Limits(max_bytes=self.cms.max_upload_mb * 1024 * 1024)

    def quota(self) -> int:
        """Bytes of media this site may store (``CMS_SITE_QUOTA_MB``, or its own from the console)."""
        return quota_bytes(self.site, self.cms.site_quota_mb)

    def wants_json(self) -> bool:
        return "application/json" in self.request.headers.get("Accept", "")

    async def load_item(self, item_id: str) -> dict:
        item = await self.media.get(item_id)
        if item is None:
            raise tornado.web.HTTPError(404)
        return item

    def may_change(self, item: dict) -> bool:
        """Deleting a file and changing its alt text: its uploader, or an editor and up."""
        return self.at_least("editor") or item.get("uploaded_by") == self.current_user["_id"]


@tornado.web.stream_request_body
class MediaLibraryHandler(StreamsForm, MediaAdmin):
    """``/admin/media``: the list (search by name or alt text) and uploads.

    One upload request carries at most ``CMS_MAX_UPLOAD_MB`` of files (the
    editor sends one file a request; the form may send several).
    """


    async def prepare(self) -> None:
        await super().prepare()
        if self.request.method != "POST" or self._finished:
            return
        # Tornado checked the XSRF token (header or query) before this; now
        # the person and their role, then the size: all before the body.
        if not self.check_role("author"):
            return
        if "Content-Length" not in self.request.headers:
            return await self.refuse_early(411, "Send the upload with a Content-Length.")
        limit = self.limits().max_bytes + FORM_OVERHEAD
        length = int(self.request.headers["Content-Length"])  # Tornado refused a malformed one
        if length > limit:
            return await self.refuse_early(413, "The upload is too large (%.1f MB); the limit is %d MB." % (
                length / MB, self.cms.max_upload_mb))
        used = (await self.media.stored())["media_bytes"]
        if used >= self.quota():  # full already: say so before the body is sent
            return await self.refuse_early(413, OverQuota(used, self.quota(), 0).args[0])
        try:
            self.form = StreamedForm(self.request.headers.get("Content-Type", ""), self.limits().max_bytes,
                                     directory=self.settings.get("upload_dir"))  # None: the system's temporary directory
        except FormError as error:
            return await self.refuse_early(error.status, error.message)
        self.request.connection.set_max_body_size(limit)
        self.request.connection.set_body_timeout(UPLOAD_BODY_TIMEOUT)

    async def refuse_early(self, status: int, message: str) -> None:
        log.info("site %s: refused an upload from its headers: %s", self.site["name"], message)
        await self.refuse(status, message)
        self.finish()

    async def show(self, status: int = 200, error: str | None = None, uploaded: list[dict] | None = None) -> None:
        query = self.get_query_argument("q", "").strip()
        page = await self.media.list(query, self.page_number())
        people = await Users(self.db).by_ids([i.get("uploaded_by") for i in page.items])
        self.set_status(status)
        self.render("admin/media.html", nav="media", page=page, query=query, error=error, uploaded=uploaded or [],
                    people=people, usage=await self.media.stored(), quota=self.quota(), megabytes=megabytes, image_of=image_of,
                    images=await self.media.count(), thumbnail_of=thumbnail_of,
                    max_mb=self.cms.max_upload_mb,
                    only_in_trash=await self.media.only_in_trash([i["_id"] for i in page.items]))

    @requires("author")
    async def get(self) -> None:
        if self.wants_json():  # the picker (media-picker.js): a page of the library, searched
            query = self.get_query_argument("q", "").strip()
            page = await self.media.list(query, self.page_number(), per_page=24)
            self.write({"items": [self.describe(item) for item in page.items], "total": page.total,
                        "page": page.number, "pages": page.pages})
            return
        await self.show()

    @requires("author")
    async def post(self) -> None:
        try:
            self.form.finish()
        except FormError as error:
            return await self.refuse(error.status, error.message)
        files = [f for f in self.form.files if f.field == "file" and (f.size or f.filename)]
        if not files:
            return await self.refuse(400, "Choose an image file to upload.")
        # Alt text is asked for with the upload (the editor's dialog); one for all the files
        # of a request. Never made from the file name: empty shows a "missing alt" hint instead.
        alt = (self.form.fields.get("alt") or [""])[0]
        results = []
        for upload in files[:20]:
            try:
                processed = await process_upload(upload.path, self.limits())
            except Rejected as rejected:
                log.info("site %s: refused upload %r: %s", self.site["name"], upload.filename[:80], rejected.message)
                return await self.refuse(rejected.status, "%s: %s" % (upload.filename[:80] or "file", rejected.message))
            try:
                item, created = await self.media.add(processed, upload.filename, self.current_user["_id"],
                                                     quota_bytes=self.quota(), alt=alt)
            except OverQuota as full:
                return await self.refuse(413, str(full))
            finally:
                processed.discard()
            results.append((item, created))
        if self.wants_json():
            self.set_status(201 if any(created for _, created in results) else 200)
            self.write({"items": [{**self.describe(item), "created": created} for item, created in results]})
            return
        await self.show(201, uploaded=[item for item, _ in results])

    def describe(self, item: dict) -> dict:
        image = image_of(item)
        return {
            "id": item["_id"], "filename": item["filename"], "url": image["url"], "thumbnail": thumbnail_of(item),
            "width": image["width"], "height": image["height"], "alt": item.get("alt", ""),
            "markdown": markdown_of(item),
        }

    async def refuse(self, status: int, message: str) -> None:
        if self.wants_json():
            self.set_status(status)
            self.write({"error": message})
            return
        await self.show(status, error=message)


class MediaItemHandler(MediaAdmin):
    """``/admin/media/<id>``: one file, where it is used, its alt text."""

    @requires("author")
    async def get(self, item_id: str) -> None:
        item = await self.load_item(item_id)
        self.render("admin/media_item.html", nav="media", item=item, image=image_of(item),
                    used_in=await self.media.usage(item["_id"]), may_change=self.may_change(item),
                    confirm=False, saved=self.get_query_argument("saved", "") == "1")

    @requires("author")
    async def post(self, item_id: str) -> None:
        item = await self.load_item(item_id)
        if not self.may_change(item):
            raise tornado.web.HTTPError(403)
        await self.media.set_alt(item["_id"], self.get_body_argument("alt", "")[:300])
        self.redirect("/admin/media/%s?saved=1" % item["_id"], status=303)


class MediaDeleteHandler(MediaAdmin):
    """Deleting a file that posts show asks first (``confirm=yes`` to go on)."""

    @requires("author")
    async def post(self, item_id: str) -> None:
        item = await self.load_item(item_id)
        if not self.may_change(item):
            raise tornado.web.HTTPError(403)
        used_in = await self.media.usage(item["_id"])
        if used_in and self.get_body_argument("confirm", "") != "yes":
            self.set_status(409)
            self.render("admin/media_item.html", nav="media", item=item, image=image_of(item), used_in=used_in,
                        may_change=True, confirm=True, saved=False)
            return
        await self.media.delete(item["_id"])
        log.info("%s deleted media %s (used in %d posts)", self.current_user["_id"], item["_id"], len(used_in))
        self.redirect("/admin/media?deleted=1", status=303)


def media_routes() -> list[tornado.web.URLSpec]:
    """The reader's file route (before the catch-all page route) and the admin's."""
    URLSpec = tornado.web.URLSpec
    return [
        URLSpec(r"/media/([0-9a-f]{24}/[0-9a-f]{32}\.(?:jpg|png|gif|webp))", MediaFileHandler, name="media-file"),
        URLSpec(r"/admin/media/?", MediaLibraryHandler, name="admin-media"),
        URLSpec(r"/admin/media/([0-9a-f]{24})", MediaItemHandler, name="admin-media-item"),
        URLSpec(r"/admin/media/([0-9a-f]{24})/delete", MediaDeleteHandler, name="admin-media-delete"),
    ]
