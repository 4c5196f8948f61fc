"""`SeoMeta`: the ``<head>`` tags that describe a page to search engines, social sites and feed readers.

Title, description, canonical URL, Open Graph (with ``article:*`` on posts) and
Twitter cards with a sized share image and its alt text, JSON-LD of the page's
own schema.org type (`cms.text.structured`) and the feeds' ``<link rel=alternate>``.
"""

from __future__ import annotations

from typing import Any

from tornado.escape import json_encode

from cms.text import structured
from ui_modules.base import ThemedModule


class SeoMeta(ThemedModule):
    template = "seo_meta"

    def render(self, title: str, description: str = "", path: str | None = None, kind: str = "website",
               post: dict | None = None, author: dict | None = None, image: Any = None,
               tag: dict | None = None) -> str:
        handler = self.handler
        base = handler.site_origin()  # the primary address, never the Host's spelling
        path = path if path is not None else self.request.path
        address = path  # what the page is canonical at, query included
        number = getattr(handler, "page_shown", 1)
        if number > 1:  # each page of a list is its own page: its own address and title (issue 15.4)
            address += "?page=%d" % number
            _ = self.locale.translate  # the site's language (cms.i18n)
            title = _("%(title)s — Page %(number)d") % {"title": title, "number": number}
        canonical = base + address
        site = handler.site or {}
        logo = getattr(handler, "logo", None)
        description = " ".join((description or "").split())[:300]
        if isinstance(image, str) and image:
            image = {"url": image}
        if isinstance(image, dict) and image.get("url"):  # what the theme names wins
            shared: dict | None = {**image, "alt": image.get("alt") or (post or {}).get("title", "")}
        else:
            shared = structured.share_image(post, logo)
        share = dict(shared) if shared else None
        if share and share["url"].startswith("/"):
            share["url"] = base + share["url"]
        page = structured.Page(site, address, description, handler.absolute_url, handler.iso_date, logo)
        data = self.json_ld(page, path, title, kind, post, author, tag, shared)
        article = None
        if post is not None and post.get("type", "post") == "post" and post.get("published_at"):
            article = {
                "published": handler.iso_date(post["published_at"]),
                "modified": handler.iso_date(max(post.get("updated_at") or post["published_at"],
                                                 post["published_at"])),
                "author": base + "/authors/%s" % author["username"] if author else None,
                "tags": post.get("tags", []),
            }
        return self.render_module(
            title=title, description=description, canonical=canonical, kind=kind, image=share,
            site_title=site.get("title", ""), article=article,
            json_ld=json_encode(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"),
        )

    @staticmethod
    def json_ld(page: structured.Page, path: str, title: str, kind: str, post: dict | None,
                author: dict | None, tag: dict | None, image: dict | None) -> dict:
        """The page's schema.org description (JSON, made safe inside ``<script>`` by the caller:
        ``<``, ``>``, ``&`` as \\u escapes)."""
        if post is not None and post.get("type", "post") == "post":
            return page.post(post, author, image)
        if post is not None:
            featured = post.get("featured_image")
            return page.web_page(post.get("title", title), image=featured if featured and featured.get("url") else None,
                                 dates=post)
        if tag is not None:
            return page.web_page(tag.get("name", title), "CollectionPage")
        if kind == "profile" and author is not None:
            return page.profile(author)
        if path == "/":
            return page.home()
        if path == "/search":
            return page.web_page(title, "SearchResultsPage")
        return page.web_page(title)
