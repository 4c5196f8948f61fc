"""Validating and resizing an uploaded image with Pillow: pure, blocking functions.

`process(data, limits)` trusts nothing but the bytes: the format is what
Pillow decodes, never the file name or the Content-Type. It accepts JPEG,
PNG, GIF (animations stay animated) and WebP; anything else (SVG, BMP,
TIFF, HTML dressed as a ``.jpg``...) is `Rejected` with a message an author
can act on and the HTTP status to answer with. Nothing here touches storage,
so a rejected upload leaves no trace by construction.

What is kept: the pixels, turned upright by the EXIF orientation, and the
colour profile (``icc_profile``). What is dropped: every other piece of
metadata -- EXIF (GPS position, camera, serial numbers), XMP, comments,
text chunks -- because each output image is written with an empty ``info``.

It is CPU-bound, slow and memory-hungry for large images: callers run it in
a worker process with a time and a memory budget (`cms.images.pool`), never
in the web process.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import os
import tempfile
import warnings
from typing import BinaryIO

from PIL import Image, ImageFile, ImageOps, ImageSequence, UnidentifiedImageError

log = logging.getLogger(__name__)

# Format as Pillow names it -> (MIME type, file extension).
ACCEPTED: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
RENDITION_WIDTHS = (320, 640, 1024, 1600, 2400)
DEFAULT_MAX_PIXELS = 50_000_000
# An animation is decoded frame by frame: bound the work over all frames, not
# just one. 24 MP (e.g. 40 frames of 1000×600) takes about 7 s and 200 MB to
# make its renditions; a 3.7 KB GIF of 40 frames of 2000×1000 (80 MP) asked
# for 24 s and 900 MB, and is refused from its header.
DEFAULT_MAX_ANIMATION_PIXELS = 24_000_000

# Decompression bombs: Pillow only warns between MAX_IMAGE_PIXELS and twice
# that. Made strict: the limit is an error from the first pixel over it.
Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)
ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is refused, never half-stored


class Rejected(Exception):
    """The upload is not an image we store; ``status`` is the HTTP answer (4xx)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message, status)  # both, so it crosses from an image worker intact
        self.message = message
        self.status = status


@dataclasses.dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_animation_pixels: int = DEFAULT_MAX_ANIMATION_PIXELS


@dataclasses.dataclass
class Rendition:
    """One stored file: the clean original or a resized copy.

    Its bytes are in ``data``, or, once `spilled` (by the image worker, so
    that they cross to the web process as a file name, not as tens of MB),
    in the file at ``path``.
    """

    format: str  # "JPEG", "PNG", "GIF", "WEBP"
    width: int
    height: int
    data: bytes
    original: bool = False
    path: str | None = None
    size: int = 0  # of the file at ``path``
    sha256: str = ""  # of the file at ``path``

    @property
    def content_type(self) -> str:
        return ACCEPTED[self.format][0]

    @property
    def ext(self) -> str:
        return ACCEPTED[self.format][1]

    @property
    def digest(self) -> str:
        """The content address: the first 32 hex digits of the SHA-256 of the bytes."""
        return (self.sha256 or hashlib.sha256(self.data).hexdigest())[:32]

    @property
    def name(self) -> str:
        return "%s.%s" % (self.digest, self.ext)

    @property
    def length(self) -> int:
        return self.size if self.path else len(self.data)

    def open(self) -> BinaryIO:
        """The bytes, to read."""
        return open(self.path, "rb") if self.path else io.BytesIO(self.data)

    def spilled(self, directory: str) -> "Rendition":
        """This rendition with its bytes moved to a new private file in ``directory``."""
        fd, path = tempfile.mkstemp(prefix="cms-rendition-", dir=directory)
        with os.fdopen(fd, "wb") as f:
            f.write(self.data)
        return dataclasses.replace(self, data=b"", path=path, size=len(self.data),
                                   sha256=hashlib.sha256(self.data).hexdigest())


@dataclasses.dataclass
class Processed:
    format: str
    width: int
    height: int
    animated: bool
    frames: int
    sha256: str  # of the uploaded bytes, to recognise the same upload twice
    files: list[Rendition]

    @property
    def original(self) -> Rendition:
        return next(f for f in self.files if f.original)

    def discard(self) -> None:
        """Remove the files of spilled renditions (idempotent)."""
        for f in self.files:
            if f.path:
                try:
                    os.unlink(f.path)
                except FileNotFoundError:
                    pass

    @property
    def content_type(self) -> str:
        return ACCEPTED[self.format][0]


def _mb(n: int) -> str:
    return "%.1f MB" % (n / 1024 / 1024) if n % (1024 * 1024) else "%d MB" % (n // (1024 * 1024))


def identify(data: bytes, limits: Limits) -> Image.Image:
    """Open ``data`` as an accepted image (header only), or raise `Rejected`."""
    if not data:
        raise Rejected("The file is empty.", 400)
    if len(data) > limits.max_bytes:
        raise Rejected("The file is too large (%s); the limit is %s." % (_mb(len(data)), _mb(limits.max_bytes)), 413)
    head = data[:512].lstrip().lower()
    if head.startswith(b"<?xml") or head.startswith(b"<svg") or b"<svg" in head:
        raise Rejected("SVG images are not accepted (they can carry scripts); upload JPEG, PNG, GIF or WebP.", 415)
    try:
        image = Image.open(io.BytesIO(data), formats=list(ACCEPTED))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Rejected("The image has too many pixels; the limit is %d megapixels." % (limits.max_pixels // 1_000_000), 413) from None
    except UnidentifiedImageError:
        try:  # name the format if it is one we could read but do not accept
            other = Image.open(io.BytesIO(data)).format
        except Exception:  # not an image at all
            other = None
        if other:
            raise Rejected("%s images are not accepted; upload JPEG, PNG, GIF or WebP." % other, 415) from None
        raise Rejected("This file is not an image we can read; upload JPEG, PNG, GIF or WebP.", 415) from None
    except Exception as error:  # a malformed header
        log.info("unreadable image header: %s", error)
        raise Rejected("The image is truncated or corrupt and cannot be read.", 400) from None
    width, height = image.size
    if width < 1 or height < 1:
        raise Rejected("The image has no pixels.", 400)
    if width * height > limits.max_pixels:
        raise Rejected(
            "The image is too large: %d × %d pixels; the limit is %d megapixels." % (width, height, limits.max_pixels // 1_000_000),
            413,
        )
    frames = getattr(image, "n_frames", 1)
    if frames > 1 and frames * width * height > limits.max_animation_pixels:
        raise Rejected("The animation is too large: %d frames of %d × %d pixels." % (frames, width, height), 413)
    return image


def _load_all(image: Image.Image) -> list[Image.Image]:
    """Decode every frame fully (a truncated or corrupt file fails here)."""
    try:
        if getattr(image, "n_frames", 1) == 1:
            image.load()  # a still is decoded once, in place: no copy of its pixels
            return [image]
        frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
        for frame in frames:
            frame.load()
        return frames
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Rejected("The image has too many pixels.", 413) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        log.info("undecodable image: %s", error)
        raise Rejected("The image is truncated or corrupt and cannot be read.", 400) from None


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _normalised(image: Image.Image) -> Image.Image:
    """A still in a mode every output format takes: L, RGB or RGBA."""
    if image.mode in ("RGB", "RGBA", "L") and "transparency" not in image.info:
        return image
    return image.convert("RGBA" if _has_alpha(image) else "RGB")


def _encode(frames: list[Image.Image], format: str, icc: bytes | None, durations: list[int] | None = None,
            loop: int | None = None, original: bool = False) -> bytes:
    """Write frames with no metadata but the colour profile."""
    out = io.BytesIO()
    first = frames[0]
    first.info = {}  # nothing from the upload rides along (EXIF, XMP, comments, text)
    options: dict = {}
    if icc and format != "GIF":
        options["icc_profile"] = icc
    if format == "JPEG":
        if first.mode not in ("RGB", "L"):
            first = first.convert("RGB")
        options.update(quality=90 if original else 82, progressive=True, exif=b"")
    elif format == "WEBP":
        options.update(quality=85 if original else 80, method=4, exif=b"", xmp=b"")
    elif format == "PNG":
        options.update(compress_level=6)
    if len(frames) > 1:
        options.update(save_all=True, append_images=frames[1:], duration=durations or 100, loop=loop or 0)
        if format == "GIF":
            options["disposal"] = 2
    first.save(out, format=format, **options)
    return out.getvalue()


def _resize(frame: Image.Image, width: int) -> Image.Image:
    height = max(1, round(frame.height * width / frame.width))
    return frame.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)


def rendition_widths(width: int, widths: tuple[int, ...] = RENDITION_WIDTHS) -> list[int]:
    """The rendition widths for an image ``width`` wide: never wider than it, and
    the full width itself when it is within the largest rendition width."""
    chosen = [w for w in widths if w < width]
    if width <= widths[-1]:
        chosen.append(width)
    return chosen


def process_file(path: str, limits: Limits = Limits(), spill: bool = False) -> Processed:
    """`process` the upload stored at ``path`` (refused by its size before it is read).

    ``spill``: write each rendition to its own file beside ``path`` (see
    `Rendition.spilled`); the caller removes them with `Processed.discard`.
    """
    with open(path, "rb") as f:
        data = f.read(limits.max_bytes + 1)
    processed = process(data, limits)
    if spill:
        directory = os.path.dirname(os.path.abspath(path))
        spilled = dataclasses.replace(processed, files=[])
        try:
            for rendition in processed.files:
                spilled.files.append(rendition.spilled(directory))
        except BaseException:  # a full disk: leave no file behind
            spilled.discard()
            raise
        return spilled
    return processed


def process(data: bytes, limits: Limits = Limits(), widths: tuple[int, ...] = RENDITION_WIDTHS) -> Processed:
    """Validate ``data`` and make the clean original plus its renditions.

    The files: the original in its own format at full size (upright, stripped),
    then for each width of `rendition_widths` a copy in the original format
    and one in WebP (the full-width copy in the original format is the
    original itself).
    """
    image = identify(data, limits)
    format = image.format
    raw_frames = _load_all(image)
    animated = len(raw_frames) > 1
    icc = image.info.get("icc_profile")
    if animated:
        durations = [int(f.info.get("duration", image.info.get("duration", 100)) or 100) for f in raw_frames]
        loop = int(image.info.get("loop", 0) or 0)
        frames = [f.convert("RGBA") for f in raw_frames]
    else:
        durations, loop = None, None
        upright = raw_frames[0]
        ImageOps.exif_transpose(upright, in_place=True)  # turn by the EXIF orientation, before it is dropped
        if upright.mode == "CMYK":
            icc = None  # a CMYK profile no longer describes the converted RGB pixels
        frames = [_normalised(upright)]
    width, height = frames[0].size
    files = [Rendition(format, width, height, _encode(frames, format, icc, durations, loop, original=True), original=True)]
    current = frames
    for w in sorted(rendition_widths(width, widths), reverse=True):
        if w != width:
            current = [_resize(f, w) for f in current]  # each from the next larger: fast, still sharp
            files.append(Rendition(format, w, current[0].height, _encode(current, format, icc, durations, loop)))
        if format != "WEBP":  # a WebP upload's copies above are WebP already
            files.append(Rendition("WEBP", w, current[0].height, _encode(current, "WEBP", icc, durations, loop)))
    log.debug("processed a %s %dx%d (%d frames) into %d files", format, width, height, len(frames), len(files))
    return Processed(
        format=format, width=width, height=height, animated=animated, frames=len(frames),
        sha256=hashlib.sha256(data).hexdigest(), files=files,
    )
