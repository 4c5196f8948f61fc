"""Static CSS and JavaScript as browsers should get them: minified, and gzipped when accepted.

Themes, UI modules, the admin and the platform keep their CSS and JS readable
in the repository; this module makes what goes over the wire. The first
request of a file minifies it (``rcssmin``/``rjsmin``: small, pure-Python
fallbacks, the C speed-ups when built) and gzips that once; both stay in
memory, keyed by the file's path, size and modification time, so an edited
file is made again and a served one costs no work. Other files (SVG, images)
go out as they are.

``TextAssetMixin`` puts this under Tornado's ``StaticFileHandler``, which
keeps doing what it does well: versioned URLs (the hash of the file as
written, so a changed file gets a new URL), long cache lifetimes, 304s and
ranges. A gzipped answer has its own ETag and says ``Vary: Accept-Encoding``.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import logging
import os
from typing import Iterator

import rcssmin
import rjsmin

from cms.pagecache import accepts_gzip

log = logging.getLogger(__name__)

MINIFIERS = {".css": rcssmin.cssmin, ".js": rjsmin.jsmin}
# Worth compressing: text. Images and fonts are compressed already.
COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".txt", ".xml", ".html", ".map"}


@dataclasses.dataclass(frozen=True)
class TextAsset:
    """What is served for one static text file: the (minified) body and its gzip."""

    body: bytes
    gzipped: bytes | None


@functools.lru_cache(maxsize=512)
def _load(path: str, size: int, mtime_ns: int) -> TextAsset:  # size and mtime: a new key when edited
    with open(path, "rb") as f:
        raw = f.read()
    body = raw
    minify = MINIFIERS.get(os.path.splitext(path)[1].lower())
    if minify is not None:
        try:
            body = minify(raw.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            log.warning("static file %s is not UTF-8: served unminified", path)
    gzipped = gzip.compress(body, compresslevel=9, mtime=0)
    return TextAsset(body, gzipped if len(gzipped) < len(body) else None)


def text_asset(path: str) -> TextAsset | None:
    """The served form of the static file at ``path``, or None for a file that is not text."""
    if os.path.splitext(path)[1].lower() not in COMPRESSIBLE:
        return None
    stat = os.stat(path)
    return _load(path, stat.st_size, stat.st_mtime_ns)


class TextAssetMixin:
    """For a ``tornado.web.StaticFileHandler``: text files minified and gzipped (see the module)."""

    _asset_bytes: bytes | None = None
    _asset_gzipped: bool = False

    def _served(self) -> bytes | None:
        """The bytes this request gets, or None to let Tornado read the file as it is."""
        if self._asset_bytes is None:
            asset = text_asset(self.absolute_path)  # type: ignore[attr-defined]
            if asset is None:
                return None
            take_gzip = asset.gzipped is not None and accepts_gzip(
                self.request.headers.get("Accept-Encoding", ""))  # type: ignore[attr-defined]
            self._asset_gzipped = take_gzip
            self._asset_bytes = asset.gzipped if take_gzip else asset.body
        return self._asset_bytes

    @classmethod
    def get_content_version(cls, abspath: str) -> str:
        # The hash of the file as written (Tornado's own rule), so URLs made with the plain
        # StaticFileHandler.get_version match ours.
        with open(abspath, "rb") as f:
            return hashlib.sha512(f.read()).hexdigest()

    def get_content_size(self) -> int:
        served = self._served()
        return len(served) if served is not None else super().get_content_size()  # type: ignore[misc]

    def get_content(self, abspath: str, start: int | None = None,  # type: ignore[override]
                    end: int | None = None) -> bytes | Iterator[bytes]:
        served = self._served()
        if served is None:
            return super().get_content(abspath, start, end)  # type: ignore[misc]
        return served[start:end]

    def compute_etag(self) -> str | None:
        etag = super().compute_etag()  # type: ignore[misc]
        if etag and self._served() is not None and self._asset_gzipped:
            return etag[:-1] + '-gz"'
        return etag

    def set_extra_headers(self, path: str) -> None:
        super().set_extra_headers(path)  # type: ignore[misc]
        if self._served() is not None:
            self.set_header("Vary", "Accept-Encoding")  # type: ignore[attr-defined]
            if self._asset_gzipped:
                self.set_header("Content-Encoding", "gzip")  # type: ignore[attr-defined]
