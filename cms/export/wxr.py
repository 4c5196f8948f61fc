"""WordPress eXtended RSS (WXR 1.2) out: the file WordPress's importer reads, so a site can move there.

Written as WordPress itself writes it (Tools → Export): RSS 2.0 with the
``excerpt``, ``content``, ``wfw``, ``dc`` and ``wp`` namespaces under the
same URIs, ``wp:wxr_version`` 1.2, the authors (``wp:author``) and tags
(``wp:tag``) of the channel, then one ``item`` per media file (an
``attachment`` whose ``wp:attachment_url`` WordPress downloads), post and page.
Text goes in CDATA sections as WordPress puts it there.

What maps to what: a post's rendered, sanitised HTML is its
``content:encoded`` (WordPress content is HTML), with every image pointing at
the absolute URL of its original file, the one WordPress fetches and then
rewrites; the ``srcset`` is left out (WordPress makes its own). The custom
excerpt is ``excerpt:encoded``; statuses: published -> ``publish``,
scheduled -> ``future``, draft -> ``draft``; tags are ``post_tag``
categories; a featured image is ``_thumbnail_id`` postmeta naming the
attachment; readers' comments are ``wp:comment`` entries of their post. ``wp:post_date`` is in the site's time zone, ``_gmt`` in UTC.

The file is written item by item as the posts are read in batches.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import re
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cms.export.archive import original_of
from cms.store import SiteStore
from cms.store.posts import state_of
from cms.store.site_data import SiteData
from cms.text.feed import absolute_html

NAMESPACES = (
    ("excerpt", "http://wordpress.org/export/1.2/excerpt/"),
    ("content", "http://purl.org/rss/1.0/modules/content/"),
    ("wfw", "http://wellformedweb.org/CommentAPI/"),
    ("dc", "http://purl.org/dc/elements/1.1/"),
    ("wp", "http://wordpress.org/export/1.2/"),
)
WP_COMMENT_STATUS = {"approved": "1", "pending": "0", "spam": "spam", "rejected": "trash"}
WP_STATUS = {"published": "publish", "scheduled": "future", "draft": "draft", "pending": "pending"}
NO_DATE = "0000-00-00 00:00:00"  # what WordPress writes for a draft's GMT date
# Characters XML 1.0 does not allow, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SRCSET = re.compile(r'\s(?:srcset|sizes)="[^"]*"')
MEDIA_URL = re.compile(r"/media/[0-9a-f]{24}/[0-9a-f]{32}\.(?:jpg|png|gif|webp)")


def cdata(text: Any) -> str:
    """``text`` as one or more CDATA sections (a ``]]>`` inside is split across two)."""
    text = _NOT_XML.sub("", "" if text is None else str(text))
    return "<![CDATA[%s]]>" % text.replace("]]>", "]]]]><![CDATA[>")


def plain(text: Any) -> str:
    return escape(_NOT_XML.sub("", "" if text is None else str(text)))


def wp_date(when: dt.datetime | None, tz: dt.tzinfo) -> str:
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if when else NO_DATE


class WxrWriter:
    """One site as a WXR file."""

    def __init__(self, store: SiteStore, base_url: str) -> None:
        self.store = store
        self.data = SiteData(store.db, store.site_id)
        self.base = base_url.rstrip("/")
        self.out: IO[str] | None = None
        self.counts = {"posts": 0, "media": 0, "comments": 0}

    def _line(self, text: str) -> None:
        assert self.out is not None
        self.out.write(text + "\n")

    def _tag(self, name: str, text: Any, indent: int = 2, raw: bool = False) -> None:
        self._line("%s<%s>%s</%s>" % ("\t" * indent, name, text if raw else cdata(text), name))

    async def write(self, path: str | os.PathLike) -> dict[str, int]:
        site = await self.data.site() or self.store.site
        try:
            self.tz: dt.tzinfo = ZoneInfo(site.get("timezone") or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            self.tz = dt.timezone.utc
        people = await self.data.people(await self.data.referenced_people())
        self.logins = {user_id: person.get("username") or person["email"] for user_id, person in people.items()}
        # Media first: posts name their featured image by the attachment's number.
        self.numbers: dict[Any, int] = {}
        self.originals: dict[str, str] = {}
        async for item in self.data.media_items():
            self.numbers[item["_id"]] = len(self.numbers) + 1
            original = original_of(item)
            if original is not None:
                for f in item.get("files", []):
                    self.originals[f["url"]] = original["url"]
        with open(path, "w", encoding="utf-8", newline="\n") as self.out:
            self._channel(site, people, await self.store.posts.all_tags())
            async for item in self.data.media_items():
                self._attachment(item)
            number = len(self.numbers)
            with_comments = await self.data.has_comments()  # one query per post only where there are some
            async for post in self.data.posts():
                number += 1
                self._post(post, number, await self.data.comments_of(post["_id"]) if with_comments else [])
            self._line("</channel>\n</rss>")
        return self.counts

    def _channel(self, site: dict, people: dict[Any, dict], tags: list[dict]) -> None:
        self._line('<?xml version="1.0" encoding="UTF-8" ?>')
        self._line("<!-- A WordPress eXtended RSS file (WXR 1.2): an export of %s, for WordPress's importer. -->"
                   % plain(site.get("name")).replace("--", "- -"))
        self._line('<rss version="2.0"\n%s\n>' % "\n".join('\txmlns:%s="%s"' % pair for pair in NAMESPACES))
        self._line("<channel>")
        self._tag("title", plain(site.get("title")), 1, raw=True)
        self._tag("link", plain(self.base), 1, raw=True)
        self._tag("description", plain(site.get("tagline")), 1, raw=True)
        self._tag("pubDate", email.utils.format_datetime(dt.datetime.now(dt.timezone.utc)), 1, raw=True)
        self._tag("language", plain(site.get("language") or "en"), 1, raw=True)
        self._tag("wp:wxr_version", "1.2", 1, raw=True)
        self._tag("wp:base_site_url", plain(self.base), 1, raw=True)
        self._tag("wp:base_blog_url", plain(self.base), 1, raw=True)
        for number, (user_id, person) in enumerate(sorted(people.items(), key=lambda p: p[1]["email"]), 1):
            name = person.get("name") or ""
            first, _, last = name.partition(" ")
            self._line("\t<wp:author><wp:author_id>%d</wp:author_id><wp:author_login>%s</wp:author_login>"
                       "<wp:author_email>%s</wp:author_email><wp:author_display_name>%s</wp:author_display_name>"
                       "<wp:author_first_name>%s</wp:author_first_name><wp:author_last_name>%s</wp:author_last_name>"
                       "</wp:author>" % (number, cdata(self.logins[user_id]), cdata(person["email"]), cdata(name),
                                         cdata(first), cdata(last)))
        for number, tag in enumerate(tags, 1):
            self._line("\t<wp:tag><wp:term_id>%d</wp:term_id><wp:tag_slug>%s</wp:tag_slug><wp:tag_name>%s</wp:tag_name>"
                       "</wp:tag>" % (number, cdata(tag["slug"]), cdata(tag["name"])))
        self._tag("generator", "cms", 1, raw=True)
        self._line("")

    def _attachment(self, item: dict) -> None:
        original = original_of(item)
        if original is None:
            return
        url = self.base + original["url"]
        when = item.get("created_at")
        self._line("\t<item>")
        self._tag("title", item.get("filename") or "image")
        self._tag("link", plain(url), raw=True)
        self._tag("pubDate", email.utils.format_datetime(when) if when else "", raw=True)
        self._tag("dc:creator", self.logins.get(item.get("uploaded_by"), ""))
        self._line('\t\t<guid isPermaLink="false">%s</guid>' % plain(url))
        self._tag("description", "", raw=True)
        self._tag("content:encoded", "")
        self._tag("excerpt:encoded", "")
        self._tag("wp:post_id", self.numbers[item["_id"]], raw=True)
        self._tag("wp:post_date", wp_date(when, self.tz))
        self._tag("wp:post_date_gmt", wp_date(when, dt.timezone.utc))
        self._tag("wp:post_modified", wp_date(when, self.tz))
        self._tag("wp:post_modified_gmt", wp_date(when, dt.timezone.utc))
        self._tag("wp:comment_status", "closed")
        self._tag("wp:ping_status", "closed")
        self._tag("wp:post_name", re.sub(r"[^a-z0-9]+", "-", (item.get("filename") or "image").lower()).strip("-"))
        self._tag("wp:status", "inherit")
        self._tag("wp:post_parent", 0, raw=True)
        self._tag("wp:menu_order", 0, raw=True)
        self._tag("wp:post_type", "attachment")
        self._tag("wp:post_password", "")
        self._tag("wp:is_sticky", 0, raw=True)
        self._tag("wp:attachment_url", url)
        self._meta("_wp_attachment_image_alt", item.get("alt") or "")
        self._line("\t</item>")
        self.counts["media"] += 1

    def _meta(self, key: str, value: Any) -> None:
        self._line("\t\t<wp:postmeta>\n\t\t\t<wp:meta_key>%s</wp:meta_key>\n\t\t\t<wp:meta_value>%s</wp:meta_value>"
                   "\n\t\t</wp:postmeta>" % (cdata(key), cdata(value)))

    def content(self, post: dict, link: str) -> str:
        """The post's HTML for WordPress: absolute URLs, each image at its original file, no srcset."""
        html = _SRCSET.sub("", post.get("html") or "")
        html = MEDIA_URL.sub(lambda m: self.originals.get(m.group(0), m.group(0)), html)
        return absolute_html(html, link)

    def _post(self, post: dict, number: int, comments: list[dict]) -> None:
        path = ("/posts/%s" if post["type"] == "post" else "/%s") % post["slug"]
        link = self.base + path
        state = state_of(post)
        published = post.get("published_at")
        self._line("\t<item>")
        self._tag("title", post["title"])
        self._tag("link", plain(link), raw=True)
        self._tag("pubDate", email.utils.format_datetime(published) if published else "", raw=True)
        self._tag("dc:creator", self.logins.get(post.get("author_id"), ""))
        self._line('\t\t<guid isPermaLink="false">%s</guid>' % plain(link))
        self._tag("description", "", raw=True)
        self._tag("content:encoded", self.content(post, link))
        self._tag("excerpt:encoded", post.get("custom_excerpt") or "")
        self._tag("wp:post_id", number, raw=True)
        self._tag("wp:post_date", wp_date(published or post.get("created_at"), self.tz))
        self._tag("wp:post_date_gmt", wp_date(published, dt.timezone.utc))
        self._tag("wp:post_modified", wp_date(post.get("updated_at"), self.tz))
        self._tag("wp:post_modified_gmt", wp_date(post.get("updated_at"), dt.timezone.utc))
        self._tag("wp:comment_status", "open")
        self._tag("wp:ping_status", "closed")
        self._tag("wp:post_name", post["slug"])
        self._tag("wp:status", WP_STATUS[state])
        self._tag("wp:post_parent", 0, raw=True)
        self._tag("wp:menu_order", 0, raw=True)
        self._tag("wp:post_type", post["type"])
        self._tag("wp:post_password", "")
        self._tag("wp:is_sticky", 0, raw=True)
        for name, slug in zip(post.get("tags", []), post.get("tag_slugs", [])):
            self._line('\t\t<category domain="post_tag" nicename=%s>%s</category>' % (quoteattr(slug), cdata(name)))
        featured = post.get("featured_image") or {}
        if featured.get("media_id") in self.numbers:
            self._meta("_thumbnail_id", self.numbers[featured["media_id"]])
        self._comments(comments)
        self._line("\t</item>")
        self.counts["posts"] += 1

    def _comments(self, comments: list[dict]) -> None:
        """The post's comments as ``wp:comment`` entries, numbered here (a reply names its parent by
        that number); WordPress's states: approved 1, pending 0, spam, rejected as trash."""
        numbers = {c["_id"]: n for n, c in enumerate(comments, self.counts["comments"] + 1)}
        for comment in comments:
            created = comment.get("created")
            if isinstance(created, dt.datetime) and created.tzinfo is None:
                created = created.replace(tzinfo=dt.timezone.utc)  # the embedded server's naive UTC
            fields = [
                ("comment_id", numbers[comment["_id"]], True),
                ("comment_author", comment.get("name") or "", False),
                ("comment_author_email", comment.get("email") or "", False),
                ("comment_author_url", comment.get("website") or "", False),
                ("comment_author_IP", "", False),
                ("comment_date", wp_date(created, self.tz), False),
                ("comment_date_gmt", wp_date(created, dt.timezone.utc), False),
                ("comment_content", comment.get("html") or "", False),
                ("comment_approved", WP_COMMENT_STATUS.get(comment.get("status"), "0"), False),
                ("comment_type", "", False),
                ("comment_parent", numbers.get(comment.get("parent"), 0), True),
                ("comment_user_id", 0, True),
            ]
            self._line("\t\t<wp:comment>")
            for name, value, raw in fields:
                self._tag("wp:" + name, value, 3, raw=raw)
            self._line("\t\t</wp:comment>")
        self.counts["comments"] += len(comments)


async def write_wxr(store: SiteStore, path: str | os.PathLike, base_url: str) -> dict[str, int]:
    """Write the site as WXR 1.2 at ``path``; ``base_url``: the site's address (``https://blog.example.org``)."""
    return await WxrWriter(store, base_url).write(path)
