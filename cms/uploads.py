"""A ``multipart/form-data`` upload parsed as it arrives: files to disk, never whole in memory.

Tornado's own form parsing needs the whole body in memory (up to 100 MB a
request, before any check). `StreamedForm` is fed the body piece by piece
(from a ``stream_request_body`` handler's ``data_received``) and hands each
piece to python-multipart's streaming parser (the parser Starlette and
FastAPI use: pure Python, bounded memory, limits on part headers). A file
part goes straight into its own temporary file (mode 0600, removed by
`close`); a plain field is kept in memory, bounded. Whatever goes wrong
(a malformed body, too many parts, a file over its limit) is kept as
`error` with its HTTP status, and the rest of the body is ignored, so the
handler answers once, after the body, with one clear message.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

log = logging.getLogger(__name__)

MAX_PARTS = 40
MAX_FIELD_BYTES = 64 * 1024


class FormError(Exception):
    """The body is not a form we read; ``status`` is the HTTP answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclasses.dataclass
class UploadedFile:
    field: str
    filename: str
    path: str
    size: int = 0


class StreamedForm:
    """One request's form: ``fields`` (name -> [str]) and ``files`` (`UploadedFile`)."""

    def __init__(self, content_type: str, max_file_bytes: int, directory: str | None = None) -> None:
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise FormError("Send the file as multipart/form-data (a form with enctype=\"multipart/form-data\").", 415)
        self.max_file_bytes = max_file_bytes
        self.directory = directory
        self.fields: dict[str, list[str]] = {}
        self.files: list[UploadedFile] = []
        self.error: FormError | None = None
        self.complete = False
        self._parts = 0
        self._headers: dict[bytes, bytes] = {}
        self._header = [b"", b""]
        self._file: Any = None  # the open temporary file of the current file part
        self._current: UploadedFile | None = None
        self._field: tuple[str, bytearray] | None = None
        try:
            self._parser = MultipartParser(boundary, callbacks={
                "on_part_begin": self._part_begin, "on_header_field": self._header_field,
                "on_header_value": self._header_value, "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished, "on_part_data": self._part_data,
                "on_part_end": self._part_end, "on_end": self._end,
            })
        except Exception as error:  # e.g. a boundary over 256 characters
            raise FormError("The form's boundary is not valid: %s" % error) from None

    # --- feeding ---------------------------------------------------------------------

    def write(self, chunk: bytes) -> None:
        if self.error is not None:
            return  # the answer is decided; the rest is dropped
        try:
            self._parser.write(chunk)
        except FormError as error:
            self._fail(error)
        except MultipartParseError as error:
            log.info("malformed multipart body: %s", error)
            self._fail(FormError("The upload is malformed (%s)." % error))

    def finish(self) -> None:
        """The body is all in: raise `FormError` for anything that went wrong."""
        if self.error is None and not self.complete:
            self._fail(FormError("The upload ended before the form did."))
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        """Remove every temporary file (idempotent)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        for upload in self.files:
            try:
                os.unlink(upload.path)
            except FileNotFoundError:
                pass
        self.files = []

    def _fail(self, error: FormError) -> None:
        self.error = error
        self.close()

    # --- python-multipart's callbacks -------------------------------------------------

    def _part_begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise FormError("The form has too many parts (at most %d)." % MAX_PARTS)
        self._headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header[0] += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._header[1] += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header[0].strip().lower()] = self._header[1].strip()
        self._header = [b"", b""]

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b"").decode("latin-1"))
        name = _text(options.get(b"name", b""))
        if b"filename" in options:
            handle = tempfile.NamedTemporaryFile(prefix="cms-upload-", dir=self.directory, delete=False)
            self._file = handle
            self._current = UploadedFile(name, _text(options[b"filename"]), handle.name)
            self.files.append(self._current)
        else:
            self._field = (name, bytearray())

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current is not None:
            self._current.size += end - start
            if self._current.size > self.max_file_bytes:
                raise FormError("%s is too large; the limit is %s." % (self._current.filename or "The file",
                                                                       _mb(self.max_file_bytes)), 413)
            self._file.write(data[start:end])
        elif self._field is not None:
            self._field[1].extend(data[start:end])
            if len(self._field[1]) > MAX_FIELD_BYTES:
                raise FormError("The field %r is too long." % self._field[0][:40])

    def _part_end(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file, self._current = None, None
        if self._field is not None:
            name, value = self._field
            self.fields.setdefault(name, []).append(value.decode("utf-8", "replace"))
            self._field = None

    def _end(self) -> None:
        self.complete = True


def _text(raw: bytes) -> str:
    """A header parameter's bytes as the UTF-8 browsers send."""
    return raw.decode("utf-8", "replace")


def _mb(n: int) -> str:
    return "%d MB" % (n // (1024 * 1024)) if n % (1024 * 1024) == 0 else "%.1f MB" % (n / 1024 / 1024)
