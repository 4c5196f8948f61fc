"""Responsive ``<img>`` tags for the site's own media, in rendered (sanitised) HTML.

A Markdown image ``![A cat](/media/<item>/<digest>.jpg)`` renders to a plain
``<img>``. At save time the posts store looks up which of those URLs are
files of this site's media library and `responsive` rewrites just those
tags into a ``<picture>`` with a WebP ``<source>`` and the original format's
``srcset``/``sizes``, plus width and height (no layout shift) and lazy
loading. Other images (external URLs, another site's or unknown files) are
left exactly as they were.

`safe_srcset` is the sanitiser's rule for ``srcset``: only ``/media/`` paths
of the same host, so an author's raw HTML cannot point a srcset elsewhere.
"""

from __future__ import annotations

import html
import re
from typing import Any, Mapping

MEDIA_PATH = re.compile(r"^/media/[0-9a-f]{24}/[0-9a-f]{32}\.(?:jpg|png|gif|webp)$")
BODY_SIZES = "(min-width: 50rem) 46rem, 100vw"
_IMG = re.compile(r"<img\b([^>]*?)/?>", re.I)
_ATTR = re.compile(r'([a-zA-Z][\w:-]*)(?:="([^"]*)")?')
_SIZES_OK = re.compile(r"^[0-9a-z ().,:%-]{1,200}$")


def _attrs(raw: str) -> dict[str, str]:
    return {name.lower(): html.unescape(value or "") for name, value in _ATTR.findall(raw)}


def media_urls(fragment: str) -> list[str]:
    """The ``/media/...`` image sources of an HTML fragment, in order, without repeats."""
    found: list[str] = []
    for match in _IMG.finditer(fragment):
        src = _attrs(match.group(1)).get("src", "")
        if MEDIA_PATH.match(src) and src not in found:
            found.append(src)
    return found


def srcset(variants: list[dict]) -> str:
    return ", ".join("%s %dw" % (v["url"], int(v["width"])) for v in sorted(variants, key=lambda v: v["width"]))


def responsive(fragment: str, images: Mapping[str, Mapping[str, Any]], sizes: str = BODY_SIZES) -> str:
    """Rewrite the ``<img>`` tags whose ``src`` is a key of ``images`` (URL -> image).

    An image is ``{"url", "width", "height", "variants": [{"url", "width"}],
    "webp": [{"url", "width"}]}`` as the media store describes it.
    """

    def rewrite(match: re.Match) -> str:
        attrs = _attrs(match.group(1))
        image = images.get(attrs.get("src", ""))
        if image is None:
            return match.group(0)
        esc = html.escape
        tag = ['<img src="%s" alt="%s"' % (esc(attrs["src"]), esc(attrs.get("alt", "")))]
        if attrs.get("title"):
            tag.append(' title="%s"' % esc(attrs["title"]))
        if image.get("variants"):
            tag.append(' srcset="%s" sizes="%s"' % (esc(srcset(image["variants"])), esc(sizes)))
        tag.append(' width="%d" height="%d" loading="lazy" decoding="async">' % (image["width"], image["height"]))
        img = "".join(tag)
        if not image.get("webp"):
            return img
        source = '<source type="image/webp" srcset="%s" sizes="%s">' % (esc(srcset(image["webp"])), esc(sizes))
        return "<picture>%s%s</picture>" % (source, img)

    return _IMG.sub(rewrite, fragment)


def safe_srcset(value: str) -> str | None:
    """``value`` if every candidate of the srcset is one of this host's media files, else None."""
    candidates = [c.strip() for c in value.split(",") if c.strip()]
    if not candidates:
        return None
    for candidate in candidates:
        parts = candidate.split()
        if len(parts) > 2 or not MEDIA_PATH.match(parts[0]):
            return None
        if len(parts) == 2 and not re.match(r"^\d{1,5}(?:w|(?:\.\d+)?x)$", parts[1]):
            return None
    return value


def safe_sizes(value: str) -> str | None:
    return value if _SIZES_OK.match(value) else None
