"""Images the site draws itself: a post's share card and the site's touch icon.

A shared link to a post without a featured image showed no picture at all;
now it shows a card of 1200×630 with the post's title on the site's accent
colour. The home-screen icon of a site (``/apple-touch-icon.png``) is its logo
on a square of 180×180. Both are drawn by Pillow in the image pool's worker
processes (`cms.images.pool.ImagePool.run`), never on the event loop, and kept
by the handlers that serve them (cms/handlers/cards.py).
"""

from __future__ import annotations

import io
import re
import textwrap

from PIL import Image, ImageColor, ImageDraw, ImageFont

CARD = (1200, 630)
TOUCH_ICON = 180
MARGIN = 80
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def colour(value: str | None, default: str = "#3b5bdb") -> tuple[int, int, int]:
    text = value if isinstance(value, str) and COLOUR.fullmatch(value) else default
    return ImageColor.getrgb(text)[:3]


def ink_on(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """White or near-black, whichever reads better on ``background`` (WCAG relative luminance)."""
    def linear(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in background)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return (255, 255, 255) if luminance < 0.4 else (17, 17, 17)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def draw_card(title: str, site_title: str, accent: str | None) -> bytes:
    """A 1200×630 PNG: ``title`` large, wrapped to at most four lines, the site's name below."""
    background = colour(accent)
    ink = ink_on(background)
    image = Image.new("RGB", CARD, background)
    draw = ImageDraw.Draw(image)
    size, lines = 76, []
    for size in (76, 64, 54, 46):
        font = ImageFont.load_default(size=size)
        width = max(8, int((CARD[0] - 2 * MARGIN) / (size * 0.52)))
        lines = textwrap.wrap(title, width=width) or [""]
        if len(lines) <= 4:
            break
    if len(lines) > 4:
        lines = lines[:4]
        lines[-1] = lines[-1][: max(1, len(lines[-1]) - 1)] + "…"
    font = ImageFont.load_default(size=size)
    y = MARGIN
    for line in lines:
        draw.text((MARGIN, y), line, font=font, fill=ink)
        y += int(size * 1.2)
    small = ImageFont.load_default(size=34)
    draw.line([(MARGIN, CARD[1] - MARGIN - 60), (MARGIN + 120, CARD[1] - MARGIN - 60)], fill=ink, width=6)
    draw.text((MARGIN, CARD[1] - MARGIN - 34), site_title[:60], font=small, fill=ink)
    return _png(image)


def draw_touch_icon(logo: bytes | None, site_title: str, accent: str | None) -> bytes:
    """A 180×180 PNG: the logo fitted on the accent colour, or the site's initial."""
    background = colour(accent)
    image = Image.new("RGB", (TOUCH_ICON, TOUCH_ICON), background)
    if logo:
        with Image.open(io.BytesIO(logo)) as source:
            source.draft("RGB", (TOUCH_ICON, TOUCH_ICON))  # JPEG: decode small
            picture = source.convert("RGBA")
            picture.thumbnail((TOUCH_ICON - 24, TOUCH_ICON - 24))
            image.paste(picture, ((TOUCH_ICON - picture.width) // 2, (TOUCH_ICON - picture.height) // 2), picture)
    else:
        font = ImageFont.load_default(size=110)
        ImageDraw.Draw(image).text((TOUCH_ICON // 2, TOUCH_ICON // 2), (site_title[:1] or "·").upper(), font=font,
                                   fill=ink_on(background), anchor="mm")
    return _png(image)
