"""Atom, RSS, sitemap and robots.txt: valid XML, absolute URLs, full content."""

import datetime as dt
import html.parser
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import feedparser

from cms.store.posts import utcnow

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


async def blog_with_posts(world, count=3):
    store = await world.site("blog", title="Feed & Co")
    author = await world.member(store, "owner", name="Ada", username="ada")
    now = utcnow()
    for i in range(count):
        await world.post(store, author, "Post %d" % i, markdown="Full **body** number %d." % i,
                         tags=["News"], published_at=now - dt.timedelta(hours=count - i))
    return store, author


async def test_atom_feed_has_the_20_newest_posts_with_full_content(world, client):
    await blog_with_posts(world, 22)
    response = await client.get("blog", "/feed.xml")
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.body)
    assert feed.find(ATOM + "title").text == "Feed & Co"
    entries = feed.findall(ATOM + "entry")
    assert len(entries) == 20
    first = entries[0]
    assert first.find(ATOM + "title").text == "Post 21"
    port = client.port
    assert first.find(ATOM + "link").get("href") == "http://blog.localhost:%d/posts/post-21" % port
    assert first.find(ATOM + "author/" + ATOM + "name").text == "Ada"
    assert "<strong>body</strong>" in first.find(ATOM + "content").text
    assert first.find(ATOM + "published").text.endswith("Z")


async def test_rss_feed_is_rss_2_with_absolute_links_and_full_content(world, client):
    await blog_with_posts(world, 3)
    response = await client.get("blog", "/rss.xml")
    assert response.headers["Content-Type"].startswith("application/rss+xml")
    rss = ET.fromstring(response.body)
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    items = rss.findall("channel/item")
    assert [i.find("title").text for i in items] == ["Post 2", "Post 1", "Post 0"]
    assert items[0].find("link").text == "http://blog.localhost:%d/posts/post-2" % client.port
    assert "<strong>body</strong>" in items[0].find(CONTENT).text
    # RFC 822 dates, as RSS readers expect.
    assert items[0].find("pubDate").text.endswith("+0000")


async def test_sitemap_lists_posts_pages_tags_and_authors(world, client):
    store, author = await blog_with_posts(world, 2)
    await world.post(store, author, "About", type="page")
    response = await client.get("blog", "/sitemap.xml")  # an index of files (tests/http/test_sitemap.py)
    assert response.code == 200
    root = "http://blog.localhost:%d" % client.port
    locs = set()
    for file in ET.fromstring(response.body).iter(SITEMAP + "loc"):
        urlset = await client.get("blog", file.text[len(root):])
        locs |= {loc.text for loc in ET.fromstring(urlset.body).iter(SITEMAP + "loc")}
    assert locs == {
        root + "/", root + "/posts/post-0", root + "/posts/post-1", root + "/about",
        root + "/tags/news", root + "/authors/ada",
    }


async def test_robots_txt_points_at_the_sitemap(world, client):
    await world.site("blog")
    response = await client.get("blog", "/robots.txt")
    assert response.code == 200
    assert "Sitemap: http://blog.localhost:%d/sitemap.xml" % client.port in response.body.decode()
    assert "Disallow: /admin/" in response.body.decode()


async def test_feeds_of_an_empty_site_are_valid(world, client):
    await world.site("blog")
    for path in ["/feed.xml", "/rss.xml", "/sitemap.xml"]:
        response = await client.get("blog", path)
        assert response.code == 200
        ET.fromstring(response.body)


HOSTILE = "<img src=x onerror=alert(1)>"


class Markup(html.parser.HTMLParser):
    """What a feed reader's HTML view of a field holds: elements, handler attributes, URLs."""

    def __init__(self, fragment: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.urls: list[str] = []
        self.text = ""
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(name)
            if name in ("href", "src"):
                self.urls.append(value or "")
            if name == "srcset":
                self.urls.extend(c.split()[0] for c in (value or "").split(",") if c.strip())

    def handle_data(self, data):
        self.text += data


def read_feed(body: bytes):
    """Parse as a naive reader would: no sanitising and no resolving of relative URLs of its own."""
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


async def hostile_blog(world):
    store = await world.site("blog", title="Blog", tagline="Tips: %s & more" % HOSTILE)
    author = await world.member(store, "owner", name="Ada", username="ada")
    markdown = (
        "Write `%s` in a code span.\n\nSee [writing](/tags/writing), [a note][^aside] "
        "and ![a cat](/media/cat.png) or [elsewhere](https://example.org/x).[^aside]\n\n"
        "[^aside]: An aside.\n" % HOSTILE
    )
    await world.post(store, author, "Hostile", markdown=markdown, tags=["writing"])
    return store


async def test_rss_description_and_tagline_are_text_that_readers_show_as_text(world, client):
    await hostile_blog(world)
    feed = read_feed((await client.get("blog", "/rss.xml")).body)
    for field in (feed.feed.subtitle_detail, feed.entries[0].summary_detail):
        shown = Markup(field.value) if field.type == "text/html" else None
        if shown is not None:
            assert shown.tags == [] and shown.handlers == [], field.value
            assert HOSTILE in shown.text
        else:
            assert HOSTILE in field.value
    assert "Tips: %s & more" % HOSTILE in Markup(feed.feed.subtitle).text


async def test_rss_and_atom_content_has_only_absolute_urls_and_no_handlers(world, client):
    await hostile_blog(world)
    root = "http://blog.localhost:%d" % client.port
    for path in ("/rss.xml", "/feed.xml"):
        feed = read_feed((await client.get("blog", path)).body)
        content = Markup(feed.entries[0].content[0].value)
        assert content.handlers == [] and "script" not in content.tags
        assert HOSTILE in content.text  # the code span shows the text, not an image
        assert content.urls, path
        for url in content.urls:
            assert urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc, (path, url)
        assert root + "/tags/writing" in content.urls
        assert root + "/media/cat.png" in content.urls
        assert "https://example.org/x" in content.urls
        assert any(u.startswith(root + "/posts/hostile#fn") for u in content.urls), content.urls
