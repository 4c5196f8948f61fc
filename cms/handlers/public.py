"""The reader side of a site: lists, posts, pages, search, feeds, sitemap.

Each handler fetches what its page shows and hands it to the theme; drafts and
posts scheduled in the future are invisible here because every query goes
through `Posts.visible`.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

import tornado.web

from cms.handlers import cards
from cms.handlers.base import SiteHandler
from cms.store import Page, Users
from cms.text import feed as feed_text
from cms.text import sitemap
from cms.text.slugs import slugify

MAX_QUERY = 200
MAX_TAG_SLUG = 50  # as cms.store.posts.clean_tags makes them
MAX_USERNAME = 30  # cms.store.users.USERNAME_RE
FEED_SIZE = 20
SIDEBAR_TAGS = 24
SIDEBAR_RECENT = 5
HIGHLIGHTED = 'class="highlight"'  # what Pygments' code blocks are wrapped in (cms/text/markdown.py)


class ReaderHandler(SiteHandler):
    """A themed reader page. Loads the sidebar's data only when the theme has one
    (``"sidebar": true`` in theme.json), so sidebar-less themes cost nothing."""

    sidebar: dict | None = None
    logo: dict | None = None  # the site's logo with its size (cms/handlers/cards.py)
    has_code = False  # a post or page with highlighted code: only then the page links pygments.css

    async def prepare(self) -> None:
        await super().prepare()
        if self._finished:  # answered from the page cache
            return
        self.logo = await cards.site_logo(self)
        if self.theme.option("sidebar"):
            self.sidebar = await self.sidebar_data()

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace["site_logo"] = self.logo
        namespace["page_has_code"] = self.has_code
        return namespace

    def redirect_to_canonical(self, prefix: str, typed: str, slug: str) -> bool:
        """Answer 301 to ``prefix + slug`` (query kept) when the address was typed
        another way: in another case ("/tags/Writing"), or in the words' own
        script ("/tags/Путешествия", "/posts/東京の夏"): slugs are the ASCII
        transliteration (cms/text/slugs.py), and one URL per page is canonical."""
        if typed == slug:
            return False
        query = self.request.query
        self.redirect("%s%s%s" % (prefix, slug, "?" + query if query else ""), permanent=True)
        return True

    async def sidebar_data(self) -> dict:
        """Ready-made data of the sidebar widgets (TagCloud, RecentPosts)."""
        return {
            "tags": (await self.store.posts.tag_counts())[:SIDEBAR_TAGS],
            "recent": await self.store.posts.recent(SIDEBAR_RECENT),
        }


class ListHandler(ReaderHandler):
    """Shared by the paginated lists: fetch authors of a page's posts at once."""

    @property
    def per_page(self) -> int:
        value = self.theme.settings_for(self.site).get("posts_per_page") or 10
        return max(1, min(int(value), 50))

    comment_counts: dict[Any, int] | None = None  # approved comments of the listed posts (PostCard shows them)

    async def authors_of(self, posts: list[dict]) -> dict[Any, dict]:
        """The authors of a page's posts; their comment counts are fetched with them."""
        self.comment_counts = await self.store.comments.counts([p["_id"] for p in posts])
        return await Users(self.db).by_ids([p["author_id"] for p in posts])

    def canonical_query(self) -> str:
        """Page 1 has one address, the bare one: ``?page=1`` answers 301 to it."""
        query = self.request.query
        arguments = parse_qsl(query, keep_blank_values=True)
        if ("page", "1") not in arguments:
            return query
        return urlencode([argument for argument in arguments if argument != ("page", "1")])

    def require_page(self, page: Page) -> None:
        if not page.exists:
            raise tornado.web.HTTPError(404)


def as_typed(argument: str) -> str:
    """A path argument as its reader typed it. Browsers percent-encode UTF-8, which
    Tornado decodes; curl and some bots send the raw bytes, which reach us as one
    Latin-1 character per byte ("ÐŸ" for "П"): those are decoded as UTF-8 again."""
    try:
        return argument.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return argument  # already decoded (a character past U+00FF), or not UTF-8 at all


# WordPress's plain permalinks, ``/?p=123`` and ``/?page_id=45``: the redirects table keys
# paths only, so the home page answers them from what the import recorded (cms/store/imports.py).
# WordPress answers ?p= for pages too (it redirects to the page), so both are looked up.
WORDPRESS_QUERIES = (("p", "post"), ("p", "page"), ("page_id", "page"))
WORDPRESS_ID = re.compile(r"[0-9]{1,12}")


class IndexHandler(ListHandler):
    async def old_address(self) -> bool:
        """Answer 301 for an imported WordPress post's plain permalink; False when it is not one."""
        for argument, kind in WORDPRESS_QUERIES:
            wanted = self.get_query_argument(argument, "")
            if wanted and WORDPRESS_ID.fullmatch(wanted):
                post_id = await self.store.imported_items.imported_as("wordpress", kind, wanted)
                post = await self.store.posts.get(post_id) if post_id else None
                if post is not None and await self.store.posts.get_visible(kind, post["slug"]):
                    self.redirect(("/posts/%s" if kind == "post" else "/%s") % post["slug"], permanent=True)
                    return True
        return False

    async def serve_cached(self) -> None:
        # Before any kept page: an old address is never kept as the home page.
        if not await self.old_address():
            await super().serve_cached()

    async def get(self) -> None:
        if await self.old_address():
            return
        page = await self.store.posts.published(self.page_number(), self.per_page)
        self.require_page(page)
        self.render("index.html", page=page, authors=await self.authors_of(page.items), base_path="/")


class PostHandler(ReaderHandler):
    async def get(self, typed: str) -> None:
        slug = slugify(as_typed(typed))
        post = await self.store.posts.get_visible("post", slug) if slug else None
        if post is None:
            await self.not_found()
        if self.redirect_to_canonical("/posts/", typed, slug):
            return
        self.kept_as = ("post", slug, post.get("version"))
        self.has_code = HIGHLIGHTED in post.get("html", "")
        older, newer = await self.store.posts.neighbours(post)
        author = await Users(self.db).by_id(post["author_id"])
        comments = await self.store.comments.approved(post["_id"])
        self.render("post.html", post=post, author=author, older=older, newer=newer, comments=comments)


class PageHandler(ReaderHandler):
    """``/<slug>``: a static page. The last route, so it must 404 calmly."""

    async def get(self, slug: str) -> None:
        page = await self.store.posts.get_visible("page", slug)
        if page is None:
            await self.not_found()
        self.kept_as = ("page", slug, page.get("version"))
        self.has_code = HIGHLIGHTED in page.get("html", "")
        self.render("page.html", post=page)


class TagHandler(ListHandler):
    async def get(self, typed: str) -> None:
        tag = slugify(as_typed(typed), MAX_TAG_SLUG)
        name = await self.store.posts.tag_name(tag) if tag else None
        if name is None:
            await self.not_found()
        if self.redirect_to_canonical("/tags/", typed, tag):
            return
        page = await self.store.posts.published(self.page_number(), self.per_page, tag=tag)
        self.require_page(page)
        self.render(
            "tag.html", tag={"slug": tag, "name": name}, page=page,
            authors=await self.authors_of(page.items), base_path="/tags/%s" % tag,
        )


class AuthorHandler(ListHandler):
    async def get(self, typed: str) -> None:
        username = slugify(as_typed(typed), MAX_USERNAME)
        author = await self.store.members.user_by_username(username) if username else None
        # No published post, no page: an empty author page is nothing to read or index
        # (as a tag with no published posts); it appears with their first post.
        if author is None or author["_id"] not in await self.store.posts.author_ids():
            await self.not_found()
        if self.redirect_to_canonical("/authors/", typed, username):
            return
        page = await self.store.posts.published(self.page_number(), self.per_page, author_id=author["_id"])
        self.require_page(page)
        self.comment_counts = await self.store.comments.counts([p["_id"] for p in page.items])
        self.render(
            "author.html", author=author, page=page,
            authors={author["_id"]: author}, base_path="/authors/%s" % username,
        )


class SearchHandler(ListHandler):
    cacheable = False  # any query string would be a new entry

    async def get(self) -> None:
        query = " ".join(self.get_query_argument("q", "").split())[:MAX_QUERY]
        number = self.page_number()
        page = await self.store.posts.search(query, number, self.per_page)
        self.require_page(page)
        self.render(
            "search.html", query=query, page=page, authors=await self.authors_of(page.items),
            base_path="/search", extra_query={"q": query},
        )


class FeedHandler(SiteHandler):
    """Atom 1.0 (``/feed.xml``), RSS 2.0 (``/rss.xml``) or JSON Feed 1.1 (``/feed.json``):
    the 20 newest posts (cms/text/feed.py)."""

    CONTENT_TYPES = {"atom": "application/atom+xml", "rss": "application/rss+xml", "json": "application/feed+json"}

    def initialize(self, format: str) -> None:
        self.format = format

    async def get(self) -> None:
        posts = await self.store.posts.recent(FEED_SIZE)
        authors = await Users(self.db).by_ids([p["author_id"] for p in posts])
        self.set_header("Content-Type", "%s; charset=UTF-8" % self.CONTENT_TYPES[self.format])
        if self.format == "json":
            document = feed_text.json_feed(self.site, posts, authors, self.absolute_url, self.iso_date)
            self.write(json.dumps(document, ensure_ascii=False).encode("utf-8"))
            return
        self.write(feed_text.xml_document(self.application.platform_loader.load("feeds/%s.xml" % self.format).generate(
            **self.get_template_namespace(), posts=posts, authors=authors, feed=feed_text,
            text_as_html=feed_text.text_as_html, absolute_html=feed_text.absolute_html,
        )))


class SitemapHandler(SiteHandler):
    """``/sitemap.xml`` (the index) and ``/sitemap-<name>.xml`` (its files): see cms/text/sitemap.py."""

    async def get(self, name: str | None = None) -> None:
        posts = self.store.posts
        authors = await Users(self.db).by_ids(await posts.author_ids())
        site_map = sitemap.Sitemap(await posts.all_visible("post"), await posts.all_visible("page"),
                                   {user_id: user["username"] for user_id, user in authors.items()},
                                   self.site["created_at"])
        if name is None:
            document = sitemap.index(site_map.files(), self.absolute_url, self.iso_date)
        else:
            urls = site_map.urls(name)
            if urls is None:
                raise tornado.web.HTTPError(404)
            document = sitemap.urlset(urls, self.absolute_url, self.iso_date)
        self.set_header("Content-Type", "application/xml; charset=UTF-8")
        self.write(feed_text.xml_document(document))


class RobotsHandler(SiteHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        # /search is not disallowed: its pages say noindex, which a crawler must fetch them to see.
        self.write("User-agent: *\nDisallow: /admin/\n\nSitemap: %s\n"
                   % self.absolute_url("/sitemap.xml"))
