"""Real, small images drawn by Pillow for the media tests, and an upload body builder."""

from __future__ import annotations

import io
import struct
import uuid
import zlib

from PIL import Image, ImageCms, ImageDraw

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE, MODEL = 0x010F, 0x0110


def jpeg_sideways(width: int = 60, height: int = 40) -> bytes:
    """A JPEG stored sideways: red left half, blue right half, EXIF orientation 6
    (turn 90° clockwise to view), a GPS position, a camera make and model, and
    an sRGB colour profile."""
    image = Image.new("RGB", (width, height), "blue")
    ImageDraw.Draw(image).rectangle([0, 0, width // 2 - 1, height - 1], fill="red")
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MAKE] = "SpyCam"
    exif[MODEL] = "Model 7"
    exif[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, icc_profile=icc, quality=95)
    return out.getvalue()


def png_transparent(width: int = 700, height: int = 350) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse([10, 10, width - 10, height - 10], fill=(0, 128, 0, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def gif_animated(width: int = 48, height: int = 32, frames: int = 3) -> bytes:
    colours = ["red", "green", "blue", "yellow"]
    images = [Image.new("RGB", (width, height), colours[i % 4]).convert("P") for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=120, loop=0)
    return out.getvalue()


def webp(width: int = 400, height: int = 300, colour: str = "purple") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "WEBP")
    return out.getvalue()


def jpeg(width: int = 400, height: int = 300, colour: str = "orange") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG")
    return out.getvalue()


def bmp(width: int = 20, height: int = 20) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(out, "BMP")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
HTML_AS_JPEG = b"<html><script>alert(document.cookie)</script></html>"


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def multipart(files: list[tuple[str, bytes, str]], field: str = "file", **fields: str) -> tuple[bytes, str]:
    """A multipart/form-data body of ``(filename, data, content type)`` files; (body, Content-Type)."""
    boundary = "----media-test-" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                     % (boundary.encode(), name.encode(), value.encode()))
    for filename, data, content_type in files:
        parts.append(b'--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\nContent-Type: %s\r\n\r\n'
                     % (boundary.encode(), field.encode(), filename.encode(), content_type.encode()) + data + b"\r\n")
    parts.append(b"--%s--\r\n" % boundary.encode())
    return b"".join(parts), "multipart/form-data; boundary=%s" % boundary


def png_blank(width: int, height: int) -> bytes:
    """A valid, all-black ``width`` × ``height`` RGB PNG of a few hundred KB (it decodes in full)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    packer = zlib.compressobj(9)
    row = b"\x00" * (1 + 3 * width)  # filter type 0, then the row's pixels
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
