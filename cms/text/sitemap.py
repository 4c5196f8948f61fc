"""Sitemaps of any size: an index at ``/sitemap.xml`` and small files it points at.

The protocol allows 50,000 URLs (and 50 MB) per file; a site of 50,000 posts
made one file over that limit that took seconds to build. Here posts go into
files of `POSTS_PER_FILE`, oldest first, so a new post only changes the last
file and an old file stays the same (a crawler's 304) until one of its posts
is edited. 5,000 is far below the limit on purpose: a file is then ~1 MB at
most and built in milliseconds, and a crawler that fetches one gets a useful
slice. Pages (with the home page), tags and authors have a file each.

Everything comes from the site's `cms.store.listing.Listing` (read once per
change of the site, kept in memory): a file is a slice of it, with no query
and no ``skip()``. ``lastmod`` is on every URL: a post's or page's last change;
the home page's, a tag's and an author's is their newest post's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any, Callable, Iterable
from xml.sax.saxutils import escape

POSTS_PER_FILE = 5000
FILE = re.compile(r"(pages|tags|authors|posts-([1-9][0-9]{0,5}))")

Absolute = Callable[[str], str]
Stamp = Callable[[dt.datetime], str]


@dataclasses.dataclass
class Url:
    path: str
    lastmod: dt.datetime | None
    images: tuple[str, ...] = ()


def changed_at(entry: dict) -> dt.datetime:
    return max(entry.get("updated_at") or entry["published_at"], entry["published_at"])


class Sitemap:
    """The sitemap of one site, from its visible posts and pages (each newest first)."""

    def __init__(self, posts: list[dict], pages: list[dict], usernames: dict[Any, str],
                 created_at: dt.datetime) -> None:
        self.posts = posts[::-1]  # oldest first: new posts land in the last file
        self.pages = pages
        self.usernames = usernames
        self.created_at = created_at  # the home page's lastmod while nothing is published

    @property
    def post_files(self) -> int:
        return (len(self.posts) + POSTS_PER_FILE - 1) // POSTS_PER_FILE

    def newest(self, entries: Iterable[dict]) -> dt.datetime:
        return max((changed_at(e) for e in entries), default=self.created_at)

    def files(self) -> list[tuple[str, dt.datetime]]:
        """(file name, newest change in it), in the order the index lists them."""
        named = [("pages", self.newest([*self.posts, *self.pages]))]
        for n in range(1, self.post_files + 1):
            named.append(("posts-%d" % n, self.newest(self._post_slice(n))))
        if any(p.get("tag_slugs") for p in self.posts):
            named.append(("tags", self.newest(p for p in self.posts if p.get("tag_slugs"))))
        if self.posts:
            named.append(("authors", self.newest(self.posts)))
        return [("sitemap-%s.xml" % name, when) for name, when in named]

    def _post_slice(self, n: int) -> list[dict]:
        return self.posts[(n - 1) * POSTS_PER_FILE:n * POSTS_PER_FILE]

    def urls(self, name: str) -> list[Url] | None:
        """The URLs of ``sitemap-<name>.xml``; None when there is no such file."""
        matched = FILE.fullmatch(name)
        if matched is None:
            return None
        if matched.group(2):
            n = int(matched.group(2))
            if n > self.post_files:
                return None
            return [Url("/posts/" + p["slug"], changed_at(p), _image(p)) for p in self._post_slice(n)]
        if name == "pages":
            return [Url("/", self.newest([*self.posts, *self.pages]))] + [
                Url("/" + p["slug"], changed_at(p), _image(p)) for p in self.pages]
        newest: dict[str, dt.datetime] = {}
        for post in self.posts:
            keys = post.get("tag_slugs", []) if name == "tags" else [self.usernames.get(post["author_id"])]
            for key in keys:
                if key:
                    newest[key] = max(newest.get(key, changed_at(post)), changed_at(post))
        if not newest:
            return None
        prefix = "/tags/" if name == "tags" else "/authors/"
        return [Url(prefix + key, when) for key, when in sorted(newest.items())]


def _image(entry: dict) -> tuple[str, ...]:
    image = entry.get("featured_image") or {}
    return (image["url"],) if image.get("url") else ()


def urlset(urls: list[Url], absolute_url: Absolute, stamp: Stamp) -> bytes:
    """A ``<urlset>`` document, with Google's image extension where a URL has images."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
           'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">\n']
    for url in urls:
        out.append("<url><loc>%s</loc>" % escape(absolute_url(url.path)))
        if url.lastmod is not None:
            out.append("<lastmod>%s</lastmod>" % stamp(url.lastmod))
        for image in url.images:
            out.append("<image:image><image:loc>%s</image:loc></image:image>" % escape(absolute_url(image)))
        out.append("</url>\n")
    out.append("</urlset>\n")
    return "".join(out).encode("utf-8")


def index(files: list[tuple[str, dt.datetime]], absolute_url: Absolute, stamp: Stamp) -> bytes:
    """A ``<sitemapindex>`` of the site's files."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n'
           '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n']
    for name, when in files:
        out.append("<sitemap><loc>%s</loc>" % escape(absolute_url("/" + name)))
        if when is not None:
            out.append("<lastmod>%s</lastmod>" % stamp(when))
        out.append("</sitemap>\n")
    out.append("</sitemapindex>\n")
    return "".join(out).encode("utf-8")
