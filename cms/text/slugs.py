"""Slugs: the URL-safe names of posts, pages, tags and sites."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 80


def slugify(text: str, max_length: int = MAX_SLUG) -> str:
    """``"Héllo, Wörld!"`` -> ``"hello-world"``; empty when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NON_WORD.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rstrip("-")
    return slug


def is_slug(text: str) -> bool:
    return bool(SLUG_RE.match(text)) and len(text) <= MAX_SLUG
