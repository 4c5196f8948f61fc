"""Each UIModule rendered through a real handler and theme: markup, theme overrides,
declared CSS/JS, and escaping of hostile titles, tags and names."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

from cms.handlers.base import SiteHandler
from cms.handlers.static import ModuleStaticHandler
from cms.store import Page
from cms.themes import registry
from ui_modules.base import DEFAULTS

HOSTILE = '<script>alert("x")</script>'
WHEN = dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.timezone.utc)


class _Connection:
    def set_close_callback(self, callback) -> None:
        pass


@pytest.fixture
def application(app):
    return app  # a real app on the test database; the modules themselves never query it


def handler_for(application, theme: str = "journal", path: str = "/posts/hello") -> SiteHandler:
    request = HTTPServerRequest(start_line=RequestStartLine("GET", path, "HTTP/1.1"),
                                headers=HTTPHeaders({"Host": "demo.localhost:8888"}), connection=_Connection())
    handler = SiteHandler(application, request)
    handler.site = {"_id": 1, "name": "demo", "title": "Demo & Co", "tagline": "Notes", "theme": theme,
                    "theme_settings": {}}
    handler.theme = registry().get(theme)
    return handler


def render(handler: SiteHandler, module: str, *args, **kwargs) -> str:
    return str(handler.ui["_tt_modules"][module](*args, **kwargs))


def post(**overrides) -> dict:
    return {"_id": 7, "type": "post", "slug": "hello", "title": HOSTILE, "excerpt": "An <b>excerpt</b>",
            "tags": ['"><img src=x onerror=alert(1)>', "Plain"], "tag_slugs": ["img-src-x", "plain"],
            "published_at": WHEN, "updated_at": WHEN, "reading_minutes": 4, "author_id": 3, **overrides}


AUTHOR = {"_id": 3, "name": "Eve <evil>", "username": "eve", "bio": "Bio with <i>tags</i>"}


def assert_no_raw_hostile(html: str) -> None:
    assert "<script>alert" not in html and "<img src=x" not in html and "<evil>" not in html and "<i>" not in html


def test_post_card_escapes_the_title_and_links_the_post(application):
    html = render(handler_for(application), "PostCard", post(), AUTHOR)
    assert '<h2 class="post-card__title"><a href="/posts/hello">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</a>' in html
    assert "An &lt;b&gt;excerpt&lt;/b&gt;" in html
    assert_no_raw_hostile(html)


def test_magazine_post_card_shows_a_placeholder_or_the_featured_image(application):
    handler = handler_for(application, "magazine")
    plain = render(handler, "PostCard", post(), AUTHOR)
    assert 'class="post-card__placeholder post-card__placeholder--hue-' in plain and "<img" not in plain
    assert "style=" not in plain  # the Content-Security-Policy refuses style attributes
    assert '<span class="post-card__initial">&lt;</span>' in plain
    with_image = render(handler, "PostCard", post(featured_image={
        "url": "/media/a.jpg", "width": 1200, "height": 800,
        "variants": [{"url": "/media/a-640.jpg", "width": 640}, {"url": "/media/a-320.jpg", "width": 320}]}), AUTHOR)
    assert 'srcset="/media/a-320.jpg 320w, /media/a-640.jpg 640w"' in with_image
    assert "post-card__placeholder" not in with_image
    assert_no_raw_hostile(plain + with_image)


def test_post_meta_shows_author_date_reading_time_and_escaped_tags(application):
    html = render(handler_for(application), "PostMeta", post(), AUTHOR)
    assert '<a class="post-meta__author" href="/authors/eve">Eve &lt;evil&gt;</a>' in html
    assert '<time class="post-meta__date" datetime="2026-03-14T09:30:00Z">14 March 2026</time>' in html
    assert "4 min read" in html
    assert '<a class="tag" rel="tag" href="/tags/img-src-x">#&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</a>' in html
    assert_no_raw_hostile(html)
    assert "post-meta__tags" not in render(handler_for(application), "PostMeta", post(), AUTHOR, show_tags=False)


def test_pagination_links_keep_the_query_and_hide_when_single(application):
    handler = handler_for(application)
    html = render(handler, "Pagination", Page(items=[1], number=2, per_page=1, total=3), "/search", {"q": "a&b <c>"})
    assert 'href="/search?q=a%26b+%3Cc%3E"' in html  # page 1 has no page argument
    assert 'href="/search?q=a%26b+%3Cc%3E&amp;page=3"' in html
    assert "Page 2 of 3" in html
    assert render(handler, "Pagination", Page(items=[1], number=1, per_page=5, total=1), "/").strip() == ""


def test_tag_cloud_weights_and_escapes_tags(application):
    handler = handler_for(application)
    tags = [{"slug": "big", "name": "Big", "count": 9}, {"slug": "x", "name": HOSTILE, "count": 1},
            {"slug": "mid", "name": "Mid", "count": 5}]
    html = render(handler, "TagCloud", tags)
    assert 'class="tag-cloud__tag tag-cloud__tag--w5" href="/tags/big">Big' in html
    assert 'tag-cloud__tag--w1" href="/tags/x">&lt;script&gt;' in html
    assert 'tag-cloud__tag--w3" href="/tags/mid">Mid' in html
    assert_no_raw_hostile(html)
    assert render(handler, "TagCloud", []).strip() == ""
    # Its default CSS is a served file, linked: the Content-Security-Policy refuses inline styles.
    module = handler._active_modules["TagCloud"]
    assert module.embedded_css() is None
    assert module.css_files() == [ModuleStaticHandler.module_url("tag_cloud.css", DEFAULTS)]
    assert module.css_files()[0].startswith("/modules/tag_cloud.css?v=")


def test_recent_posts_lists_escaped_titles_and_can_leave_out_the_current_post(application):
    handler = handler_for(application)
    posts = [post(), post(_id=8, slug="other", title="Other")]
    html = render(handler, "RecentPosts", posts)
    assert html.count('<li class="recent-posts__item">') == 2 and "&lt;script&gt;" in html
    assert_no_raw_hostile(html)
    html = render(handler, "RecentPosts", posts, exclude=post())
    assert html.count('<li class="recent-posts__item">') == 1 and 'href="/posts/other"' in html


def test_author_card_shows_initials_and_escaped_bio(application):
    handler = handler_for(application)
    html = render(handler, "AuthorCard", AUTHOR)
    assert '<span class="author-card__avatar" aria-hidden="true">E</span>' in html
    assert '<h2 class="author-card__name"><a href="/authors/eve">Eve &lt;evil&gt;</a></h2>' in html
    assert "Bio with &lt;i&gt;tags&lt;/i&gt;" in html
    assert_no_raw_hostile(html)
    assert '<h1 class="author-card__name">' in render(handler, "AuthorCard", AUTHOR, heading_level=1)
    assert render(handler, "AuthorCard", None) == ""


def test_navigation_marks_the_current_page_and_escapes_labels(application):
    handler = handler_for(application, path="/about/")
    html = render(handler, "Navigation", [{"label": HOSTILE, "url": "/about"}, {"label": "Code", "url": "/tags/code"}])
    assert '<a class="site-nav__link" href="/about" aria-current="page">&lt;script&gt;' in html
    assert '<a class="site-nav__link" href="/">Home</a>' in html
    assert '<a class="site-nav__link" href="/tags/code">Code</a>' in html
    assert_no_raw_hostile(html)


def test_navigation_script_is_declared_only_by_the_theme_that_ships_one(application):
    magazine = handler_for(application, "magazine")
    render(magazine, "Navigation", [])
    module = magazine._active_modules["Navigation"]
    assert module.javascript_files() == ["modules/navigation.js"]
    journal = handler_for(application, "journal")
    render(journal, "Navigation", [])
    assert journal._active_modules["Navigation"].javascript_files() is None


def test_responsive_image_builds_srcset_and_escapes_alt(application):
    handler = handler_for(application)
    html = render(handler, "ResponsiveImage", {"url": "/media/p.jpg", "width": 800, "height": 600, "variants": [
        {"url": "/media/p-800.jpg", "width": 800}, {"url": "/media/p-400.jpg", "width": 400}]},
        HOSTILE, sizes="(min-width: 40rem) 40rem, 100vw")
    assert 'srcset="/media/p-400.jpg 400w, /media/p-800.jpg 800w" sizes="(min-width: 40rem) 40rem, 100vw"' in html
    assert 'width="800" height="600" loading="lazy"' in html
    assert 'alt="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"' in html
    plain = render(handler, "ResponsiveImage", "/media/q.png", "A cat")
    assert 'src="/media/q.png" alt="A cat"' in plain and "srcset" not in plain
    assert render(handler, "ResponsiveImage", None) == ""


def test_seo_meta_for_a_post_has_open_graph_twitter_and_safe_json_ld(application):
    handler = handler_for(application)
    title = '</script><script>alert(1)</script> & "quotes"'
    html = render(handler, "SeoMeta", title + " — Demo", "A description", kind="article",
                  post=post(title=title), author=AUTHOR, image="/media/cover.jpg")
    assert "<script>alert(1)" not in html
    assert '<link rel="canonical" href="http://demo.localhost:8888/posts/hello">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="og:image" content="http://demo.localhost:8888/media/cover.jpg">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert '<meta property="og:title" content="&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot; — Demo">' in html
    assert '<link rel="alternate" type="application/atom+xml" title="Demo &amp; Co (Atom)" href="/feed.xml">' in html
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["@type"] == "BlogPosting" and data["headline"] == title
    assert data["author"] == {"@type": "Person", "name": "Eve <evil>", "url": "http://demo.localhost:8888/authors/eve"}
    assert data["datePublished"] == "2026-03-14T09:30:00Z"
    assert data["image"]["@type"] == "ImageObject" and data["image"]["url"].endswith("/media/cover.jpg")


def test_seo_meta_for_a_listing_describes_the_website(application):
    html = render(handler_for(application, path="/"), "SeoMeta", "Demo & Co", "Notes")
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["@type"] == "WebSite" and data["url"] == "http://demo.localhost:8888/"
    assert data["potentialAction"]["target"] == "http://demo.localhost:8888/search?q={query}"
    assert '<meta name="twitter:card" content="summary">' in html and "og:image" not in html


def test_module_css_is_declared_not_inlined(application):
    """Module markup carries no <style> or <script> of its own (JSON-LD data aside)."""
    from pathlib import Path

    for path in (Path(__file__).resolve().parents[2] / "ui_modules" / "templates" / "modules").glob("*.html"):
        text = path.read_text()
        assert "<style" not in text and re.search(r"<script(?! type=\"application/ld\+json\")", text) is None, path
