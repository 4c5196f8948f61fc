"""Structured data (schema.org JSON-LD) and the share image of a reader page.

Search engines read a page's type from its JSON-LD: a post is a
``BlogPosting``, a static page a ``WebPage``, a tag a ``CollectionPage``, an
author a ``ProfilePage``, search results a ``SearchResultsPage``, the home
page the ``WebSite``. Every page but the
home page also carries a ``BreadcrumbList`` (the ``breadcrumb`` of its
``WebPage``; a post's is on the page it is the ``mainEntityOfPage`` of). Images are ``ImageObject`` with
their size, and the publisher carries the site's logo when it has one.
tests/http/test_structured_data.py checks every type and property against
schema.org's vocabulary.

The functions are pure: the caller (`ui_modules.seo_meta.SeoMeta`) gives the
absolute URLs and the dates already formatted.
"""

from __future__ import annotations

from typing import Any, Callable

CONTEXT = "https://schema.org"
CARD_SIZE = (1200, 630)  # what Open Graph and X/Twitter cards show best (1.91:1)

Absolute = Callable[[str], str]
Stamp = Callable[[Any], str]


def card_path(post: dict) -> str:
    """The generated share card of one version of a post (`cms.handlers.cards`)."""
    return "/cards/%s-%d.png" % (post["_id"], post.get("version", 1))


def share_image(post: dict | None, logo: dict | None) -> dict | None:
    """``{"url" (a path), "width", "height", "alt"}`` of what a shared link shows: a post's
    featured image, else its generated card; on other pages the site's logo, if any."""
    if post is not None:
        featured = post.get("featured_image")
        if featured and featured.get("url"):
            return {"url": featured["url"], "width": featured.get("width"), "height": featured.get("height"),
                    "alt": featured.get("alt") or post.get("title", "")}
        if post.get("_id"):
            return {"url": card_path(post), "width": CARD_SIZE[0], "height": CARD_SIZE[1],
                    "alt": post.get("title", "")}
    if logo:
        return {**logo, "alt": logo.get("alt", "")}
    return None


def image_object(image: dict, absolute_url: Absolute) -> dict:
    node: dict[str, Any] = {"@type": "ImageObject", "url": absolute_url(image["url"])}
    if image.get("width") and image.get("height"):
        node["width"], node["height"] = image["width"], image["height"]
    if image.get("alt") or image.get("caption"):
        node["caption"] = image.get("caption") or image["alt"]
    return node


def organization(site: dict, logo: dict | None, absolute_url: Absolute) -> dict:
    node: dict[str, Any] = {"@type": "Organization", "name": site.get("title", ""), "url": absolute_url("/")}
    if logo:
        node["logo"] = image_object(logo, absolute_url)
    return node


def website(site: dict, absolute_url: Absolute) -> dict:
    return {"@type": "WebSite", "name": site.get("title", ""), "url": absolute_url("/")}


def breadcrumbs(trail: list[tuple[str, str]], absolute_url: Absolute) -> dict:
    """``trail``: (name, path) from the home page to this page."""
    return {"@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": n, "name": name, "item": absolute_url(path)}
        for n, (name, path) in enumerate(trail, 1)
    ]}


class Page:
    """What one reader page tells about itself; `document` makes its JSON-LD."""

    def __init__(self, site: dict, path: str, description: str, absolute_url: Absolute, stamp: Stamp,
                 logo: dict | None = None) -> None:
        self.site, self.path, self.description = site, path, description
        self.absolute_url, self.stamp, self.logo = absolute_url, stamp, logo

    def _common(self, type_name: str, name: str) -> dict:
        node: dict[str, Any] = {"@type": type_name, "name": name, "url": self.absolute_url(self.path),
                                "inLanguage": self.site.get("language", "en")}
        if self.description:
            node["description"] = self.description
        return node

    def home(self) -> dict:
        node = self._common("WebSite", self.site.get("title", ""))
        node["description"] = self.description or self.site.get("tagline", "")
        node["publisher"] = organization(self.site, self.logo, self.absolute_url)
        node["potentialAction"] = {"@type": "SearchAction", "target": self.absolute_url("/search?q={query}"),
                                   "query-input": "required name=query"}
        return {"@context": CONTEXT, **node}

    def post(self, post: dict, author: dict | None, image: dict | None) -> dict:
        url = self.absolute_url(self.path)
        node: dict[str, Any] = {
            "@type": "BlogPosting", "headline": post.get("title", ""), "url": url,
            "mainEntityOfPage": {"@type": "WebPage", "@id": url, "url": url},
            "inLanguage": self.site.get("language", "en"),
            "publisher": organization(self.site, self.logo, self.absolute_url),
            "isPartOf": website(self.site, self.absolute_url),
        }
        if self.description:
            node["description"] = self.description
        if post.get("published_at"):
            node["datePublished"] = self.stamp(post["published_at"])
            node["dateModified"] = self.stamp(max(post.get("updated_at") or post["published_at"], post["published_at"]))
        if post.get("tags"):
            node["keywords"] = ", ".join(post["tags"])
        if post.get("words"):
            node["wordCount"] = post["words"]
        if author:
            node["author"] = {"@type": "Person", "name": author.get("name", ""),
                              "url": self.absolute_url("/authors/%s" % author.get("username", ""))}
        if image:
            node["image"] = image_object(image, self.absolute_url)
        trail = [(self.site.get("title", ""), "/")]
        if post.get("tags") and post.get("tag_slugs"):
            trail.append((post["tags"][0], "/tags/" + post["tag_slugs"][0]))
        trail.append((post.get("title", ""), self.path))
        # The trail belongs to the page the post is the main entity of (``breadcrumb`` is WebPage's).
        node["mainEntityOfPage"]["breadcrumb"] = breadcrumbs(trail, self.absolute_url)
        return {"@context": CONTEXT, **node}

    def web_page(self, name: str, type_name: str = "WebPage", image: dict | None = None,
                 main_entity: dict | None = None, dates: dict | None = None) -> dict:
        """A static page (``WebPage``), a tag (``CollectionPage``), an author (``ProfilePage``)..."""
        node = self._common(type_name, name)
        node["isPartOf"] = website(self.site, self.absolute_url)
        if image:
            node["primaryImageOfPage"] = image_object(image, self.absolute_url)
        if main_entity:
            node["mainEntity"] = main_entity
        if dates and dates.get("published_at"):
            node["datePublished"] = self.stamp(dates["published_at"])
            node["dateModified"] = self.stamp(max(dates.get("updated_at") or dates["published_at"],
                                                  dates["published_at"]))
        node["breadcrumb"] = breadcrumbs([(self.site.get("title", ""), "/"), (name, self.path)], self.absolute_url)
        return {"@context": CONTEXT, **node}

    def profile(self, author: dict) -> dict:
        person: dict[str, Any] = {"@type": "Person", "name": author.get("name", ""),
                                  "url": self.absolute_url(self.path)}
        if author.get("bio"):
            person["description"] = author["bio"]
        return self.web_page(author.get("name", ""), "ProfilePage", main_entity=person)
