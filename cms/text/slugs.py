"""Slugs: the URL-safe names of posts, pages, tags and authors, from text in any script.

Why transliterate to ASCII rather than keep Unicode in the path (as WordPress
does): an ASCII slug is one spelling everywhere a URL goes. Browsers show
Unicode paths but copy them percent-encoded, so ``/posts/привет`` and
``/posts/%D0%BF%D1%80%D0%B8...`` would both have to reach the post, and every
place that keys on a path would have to agree on one normal form: the page
cache and fast path (cms/pagecache.py, cms/fastpath.py), the redirects table
(cms/store/redirects.py), sitemaps and feeds (absolute URIs in XML), the access
log, e-mailed links, Unicode case folding for ``/tags/Writing``. ASCII slugs
need none of that: routes, caches and feeds stay as they are, and case
folding is just ``lower()`` because the library has already mapped ``П`` and
``п`` (or ``Μ`` and ``μ``) to the same letters.

The library is ``anyascii`` (pinned in requirements.txt): maintained, no
dependencies, covers every script we test (Cyrillic, Greek, Arabic, Hebrew,
Chinese, Japanese kana) and names emoji (``🎉`` -> ``tada``), so an emoji-only
title gets a meaningful slug rather than ``untitled-N``. Unidecode has no emoji
names and the same Mandarin readings for kanji.

The known cost: Chinese characters (and Japanese kanji) are read in Mandarin
pinyin, so ``東京の夏`` becomes ``dong-jing-no-xia``, not ``tokyo-no-natsu``.
It is stable and unique enough to be an address; an author who wants another
one types it in the editor's slug field. Each ideograph is one syllable, so
they are kept apart with hyphens (``ni-hao-shi-jie``, not ``nihaoshijie``).
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

_NON_WORD = re.compile(r"[^a-z0-9]+")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 80


def _is_ideograph(char: str) -> bool:
    """A CJK character: one syllable, written without spaces between words."""
    return unicodedata.name(char, "").startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH"))


def transliterate(text: str) -> str:
    """``text`` in ASCII letters, ideographs apart from each other (``東京`` -> ``" Dong  Jing "``)."""
    text = unicodedata.normalize("NFC", text)
    if not any(_is_ideograph(char) for char in text):
        return anyascii(text)
    return "".join(" %s " % anyascii(char) if _is_ideograph(char) else anyascii(char) for char in text)


def slugify(text: str, max_length: int = MAX_SLUG) -> str:
    """``"Héllo, Wörld!"`` -> ``"hello-world"``, ``"Привет мир"`` -> ``"privet-mir"``,
    ``"🎉"`` -> ``"tada"``; empty only when there is no letter, digit or emoji at all."""
    slug = _NON_WORD.sub("-", transliterate(text).lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rstrip("-")
    return slug


def is_slug(text: str) -> bool:
    return bool(SLUG_RE.match(text)) and len(text) <= MAX_SLUG
