"""`ResponsiveImage`: an ``<img>`` with ``srcset``/``sizes`` from an image's variants.

``image`` is a URL, or a dict as the media library will store it:
``{"url", "width", "height", "alt", "variants": [{"url", "width"}, ...]}``.
With WebP copies too (``"webp": [{"url", "width"}, ...]``, as cms/store/media.py
describes an upload) it is a ``<picture>`` whose WebP ``<source>`` the browser
prefers. The image's own alt text wins over the ``alt`` argument (a theme
passes the post title as a fallback).
"""

from __future__ import annotations

from typing import Any

from ui_modules.base import ThemedModule


def srcset(image: dict) -> str:
    variants = sorted(image.get("variants") or [], key=lambda v: v["width"])
    return ", ".join("%s %dw" % (v["url"], int(v["width"])) for v in variants)


class ResponsiveImage(ThemedModule):
    template = "responsive_image"

    def render(self, image: Any, alt: str = "", sizes: str = "100vw", css_class: str = "",
               lazy: bool = True, priority: bool = False) -> str:
        if not image:
            return ""
        if isinstance(image, str):
            image = {"url": image}
        return self.render_module(
            src=image["url"], srcset=srcset(image), sizes=sizes if image.get("variants") or image.get("webp") else "",
            webp_srcset=srcset({"variants": image.get("webp")}),
            alt=image.get("alt") or alt, width=image.get("width"), height=image.get("height"),
            css_class=css_class, lazy=lazy, priority=priority,
        )
