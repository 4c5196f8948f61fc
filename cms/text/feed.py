"""A post's HTML and text as a feed carries them.

Feed readers show a feed away from the site: a relative link there points
nowhere (or at the reader's own host), and many readers ignore Atom's
``xml:base``. RSS readers also decode ``<description>`` (and the channel's)
as HTML, so plain text must go out as *escaped* HTML or an author's
``<img onerror=...>`` written as text becomes markup in the reader.
Whatever a feed is made of (posts, names, the site's title), it goes out
without the characters XML cannot carry (`xml_document`): one of them makes
the whole feed invalid, and readers drop it.
"""

from __future__ import annotations

import html
from urllib.parse import urljoin

import nh3

from cms.text.chars import XML_UNSAFE
from cms.text.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_SCHEMES, _media_attribute_filter

URL_ATTRIBUTES = {"href", "src"}


def xml_document(rendered: bytes) -> bytes:
    """A rendered XML document without the characters XML 1.0 forbids (cms/text/chars.py).

    Filtering the whole document catches every field, including data stored
    before the post store dropped them on save. Lone surrogates never get this far:
    they cannot be stored as UTF-8.
    """
    text = rendered.decode("utf-8")
    return XML_UNSAFE.sub("", text).encode("utf-8") if XML_UNSAFE.search(text) else rendered


def text_as_html(text: str) -> str:
    """Plain text as an HTML fragment that shows exactly that text."""
    return html.escape(text, quote=False)


def absolute_html(fragment: str, base: str) -> str:
    """Sanitised ``fragment`` with every URL resolved against the absolute ``base``.

    The stored HTML is sanitised already; passing it through the same
    allow-list again costs little and keeps the feed safe on its own.
    """

    def resolve(tag: str, attribute: str, value: str) -> str | None:
        value = _media_attribute_filter(tag, attribute, value)
        if value is None:
            return None
        if attribute in URL_ATTRIBUTES:
            return urljoin(base, value.strip())
        if attribute == "srcset":
            return ", ".join(_resolve_candidate(c, base) for c in value.split(",") if c.strip())
        return value

    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        attribute_filter=resolve,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def _resolve_candidate(candidate: str, base: str) -> str:
    url, _, descriptor = candidate.strip().partition(" ")
    return ("%s %s" % (urljoin(base, url), descriptor.strip())).strip()
