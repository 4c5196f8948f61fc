"""`SeoMeta`: the ``<head>`` tags that describe a page to search engines, social sites and feed readers.

Title, description, canonical URL, Open Graph and Twitter cards, JSON-LD
(``BlogPosting`` for a post, ``WebSite`` otherwise) and the feeds'
``<link rel=alternate>``.
"""

from __future__ import annotations

from typing import Any

from tornado.escape import json_encode

from ui_modules.base import ThemedModule


class SeoMeta(ThemedModule):
    template = "seo_meta"

    def render(self, title: str, description: str = "", path: str | None = None, kind: str = "website",
               post: dict | None = None, author: dict | None = None, image: Any = None) -> str:
        request = self.request
        base = self.handler.site_origin()  # the primary address, never the Host's spelling
        canonical = base + (path if path is not None else request.path)
        number = getattr(self.handler, "page_shown", 1)
        if number > 1:  # each page of a list is its own page: its own address and title (issue 15.4)
            canonical += "?page=%d" % number
            title = "%s — Page %d" % (title, number)
        site = self.handler.site or {}
        if isinstance(image, dict):
            image = image.get("url")
        if image and image.startswith("/"):
            image = base + image
        description = " ".join((description or "").split())[:300]
        return self.render_module(
            title=title, description=description, canonical=canonical, kind=kind, image=image,
            site_title=site.get("title", ""), json_ld=self.json_ld(base, canonical, site, description, post, author, image),
        )

    def json_ld(self, base: str, canonical: str, site: dict, description: str,
                post: dict | None, author: dict | None, image: str | None) -> str:
        """The structured data, as JSON safe inside ``<script>`` (``<``, ``>``, ``&`` as \\u escapes)."""
        if post is not None and post.get("type", "post") == "post":
            data: dict = {
                "@context": "https://schema.org", "@type": "BlogPosting",
                "headline": post.get("title", ""), "url": canonical,
                "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
                "description": description,
                "publisher": {"@type": "Organization", "name": site.get("title", ""), "url": base + "/"},
            }
            if post.get("published_at"):
                data["datePublished"] = self.handler.iso_date(post["published_at"])
            if post.get("updated_at"):
                data["dateModified"] = self.handler.iso_date(post["updated_at"])
            if post.get("tags"):
                data["keywords"] = ", ".join(post["tags"])
            if author:
                data["author"] = {"@type": "Person", "name": author.get("name", ""),
                                  "url": "%s/authors/%s" % (base, author.get("username", ""))}
            if image:
                data["image"] = image
        else:
            data = {
                "@context": "https://schema.org", "@type": "WebSite", "name": site.get("title", ""),
                "url": base + "/", "description": description or site.get("tagline", ""),
                "potentialAction": {"@type": "SearchAction", "target": base + "/search?q={query}",
                                    "query-input": "required name=query"},
            }
        return json_encode(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
