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

import datetime as dt
import html
import mimetypes
import uuid
from typing import Any, Callable
from urllib.parse import urljoin

import nh3

from cms.text.chars import XML_UNSAFE
from cms.text.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_SCHEMES, _media_attribute_filter

URL_ATTRIBUTES = {"href", "src"}
# The namespace of every feed id: ids are uuid5 of the site's and post's ids in it,
# so they never change when a slug, a host or a custom domain does.
ID_NAMESPACE = uuid.UUID("8f0c7d52-4a53-5b8e-9f0e-2f1d6c3b7a10")
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def feed_id(site_id: Any) -> str:
    """The permanent id of a site's feed (Atom ``<id>``)."""
    return "urn:uuid:%s" % uuid.uuid5(ID_NAMESPACE, "site:%s" % site_id)


def entry_id(site_id: Any, post_id: Any) -> str:
    """The permanent id of a post in every feed (Atom ``<id>``, RSS ``<guid>``, JSON Feed ``id``)."""
    return "urn:uuid:%s" % uuid.uuid5(ID_NAMESPACE, "post:%s/%s" % (site_id, post_id))


def changed_at(post: dict) -> dt.datetime:
    """When a post last changed for a feed reader: its last edit, or its publication if later."""
    return max(post["updated_at"], post["published_at"])


def last_change(posts: list[dict], default: dt.datetime) -> dt.datetime:
    """The feed's ``updated``/``lastBuildDate``: its newest change, edits of older posts included."""
    return max((changed_at(p) for p in posts), default=default)


def image_type(url: str) -> str:
    """The media type of an image by its file name (media URLs keep their extension)."""
    return mimetypes.guess_type(url)[0] or "image/jpeg"


def json_feed(site: dict, posts: list[dict], authors: dict, absolute_url: Callable[[str], str],
              iso_date: Callable[[dt.datetime], str]) -> dict:
    """A JSON Feed 1.1 document (https://www.jsonfeed.org/version/1.1/) of ``posts``."""
    items = []
    for post in posts:
        url = absolute_url("/posts/" + post["slug"])
        item: dict[str, Any] = {
            "id": entry_id(site["_id"], post["_id"]),
            "url": url,
            "title": post["title"],
            "content_html": absolute_html(post["html"], url),
            "summary": post.get("excerpt", ""),
            "date_published": iso_date(post["published_at"]),
            "date_modified": iso_date(changed_at(post)),
            "tags": list(post.get("tags", [])),
        }
        image = post.get("featured_image")
        if image and image.get("url"):
            item["image"] = absolute_url(image["url"])
        author = authors.get(post["author_id"])
        if author:
            item["authors"] = [{"name": author["name"], "url": absolute_url("/authors/" + author["username"])}]
        items.append(item)
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": site["title"],
        "home_page_url": absolute_url("/"),
        "feed_url": absolute_url("/feed.json"),
        "language": site.get("language", "en"),
        "authors": [{"name": site["title"], "url": absolute_url("/")}],
        "items": items,
    }
    if site.get("tagline"):
        feed["description"] = site["tagline"]
    return feed


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
