"""Issue 15.10: what reader answers tell caches and crawlers, and what pages weigh.

Last-Modified and Cache-Control on HTML, feeds and sitemaps (with 304 on
If-Modified-Since, kept page or not); robots.txt lets crawlers see /search's
noindex; pygments.css only where there is code; the first card of the home
page loads first; the logo and images in posts carry their size.
"""

from __future__ import annotations

import email.utils
import io
import re

from PIL import Image

from cms.images.process import process
from tests import images

PATHS = ("/", "/posts/hello", "/about", "/tags/news", "/authors/ada", "/feed.xml", "/rss.xml", "/feed.json",
         "/sitemap.xml", "/sitemap-posts-1.xml")


async def blog(world):
    store = await world.site("blog", title="The Blog")
    ada = await world.member(store, "owner", name="Ada", username="ada")
    post = await world.post(store, ada, "Hello", tags=["News"])
    await world.post(store, ada, "About", type="page")
    return store, ada, post


async def test_reader_answers_say_when_they_changed_and_answer_304_to_if_modified_since(world, client):
    store, ada, post = await blog(world)
    for path in PATHS:
        first = await client.get("blog", path)
        assert first.code == 200, path
        assert "max-age" in first.headers["Cache-Control"], path
        modified = first.headers["Last-Modified"]
        assert email.utils.parsedate_to_datetime(modified).tzinfo is not None, path
        for attempt in (1, 2):  # the first from the render, the second from the kept page
            again = await client.get("blog", path, headers={"If-Modified-Since": modified})
            assert again.code == 304 and again.body == b"", (path, attempt)
        older = await client.get("blog", path, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
        assert older.code == 200 and older.body == first.body, path
        # If-None-Match wins over If-Modified-Since (RFC 9110 13.1.3).
        mismatch = await client.get("blog", path, headers={"If-Modified-Since": modified, "If-None-Match": '"other"'})
        assert mismatch.code == 200, path


async def test_an_edit_moves_last_modified(world, client):
    store, ada, post = await blog(world)
    before = (await client.get("blog", "/posts/hello")).headers["Last-Modified"]
    await store.posts.update(post["_id"], post["version"], title="Hello", markdown="Edited.", tags=["News"],
                             status="published")
    after = await client.get("blog", "/posts/hello", headers={"If-Modified-Since": before})
    assert after.code == 200 and b"Edited." in after.body
    assert email.utils.parsedate_to_datetime(after.headers["Last-Modified"]) >= email.utils.parsedate_to_datetime(before)


async def test_robots_txt_lets_crawlers_read_the_search_pages_noindex(world, client):
    await blog(world)
    robots = (await client.get("blog", "/robots.txt")).body.decode()
    assert "Disallow: /search" not in robots and "Disallow: /admin/" in robots
    search = await client.get("blog", "/search?q=hello")
    assert b'<meta name="robots" content="noindex">' in search.body


async def test_pygments_css_only_on_pages_with_code(world, client):
    store, ada, _ = await blog(world)
    await world.post(store, ada, "Code", markdown="Some code:\n\n```python\nprint('hi')\n```\n")
    for theme in ("journal", "magazine"):
        await world.sites.update_theme(store.site_id, theme, {})
        assert b"pygments.css" in (await client.get("blog", "/posts/code")).body, theme
        for path in ("/posts/hello", "/about", "/tags/news"):
            assert b"pygments.css" not in (await client.get("blog", path)).body, (theme, path)


async def test_the_first_card_of_the_home_page_loads_first(world, client):
    store, ada, _ = await blog(world)
    for n in range(3):
        item, _ = await store.media.add(process(images.jpeg(640 + n, 480, "green")), "c%d.jpg" % n, ada["_id"])
        await world.post(store, ada, "Pictured %d" % n, featured_image={"url": item["files"][0]["url"]})
    for theme in ("magazine",):  # Journal's cards have no images
        await world.sites.update_theme(store.site_id, theme, {})
        body = (await client.get("blog", "/")).body.decode()
        imgs = re.findall(r"<img [^>]*>", body)
        cards = [tag for tag in imgs if "/media/" in tag]
        assert len(cards) == 3, theme
        assert 'fetchpriority="high"' in cards[0] and 'loading="lazy"' not in cards[0], theme
        assert all('loading="lazy"' in tag and "fetchpriority" not in tag for tag in cards[1:]), theme


async def test_the_logo_and_images_in_posts_have_their_size(world, client):
    store, ada, _ = await blog(world)
    logo, _ = await store.media.add(process(images.jpeg(300, 100)), "logo.jpg", ada["_id"])
    photo, _ = await store.media.add(process(images.jpeg(900, 600, "red")), "photo.jpg", ada["_id"])
    url = photo["files"][0]["url"]
    await world.post(store, ada, "Photo", markdown="Look: ![a red square](%s)" % url)
    for theme in ("journal", "magazine"):
        await world.sites.update_theme(store.site_id, theme, {"logo": logo["files"][0]["url"]})
        body = (await client.get("blog", "/posts/photo")).body.decode()
        logo_tag = next(tag for tag in re.findall(r"<img [^>]*>", body) if logo["files"][0]["url"] in tag)
        assert 'width="300"' in logo_tag and 'height="100"' in logo_tag, theme
        in_post = next(tag for tag in re.findall(r"<img [^>]*>", body) if 'alt="a red square"' in tag)
        width = int(re.search(r'width="(\d+)"', in_post).group(1))
        height = int(re.search(r'height="(\d+)"', in_post).group(1))
        assert abs(width / height - 1.5) < 0.01, theme


async def test_touch_icon_and_favicon_answer_head_and_get(world, client):
    store, ada, _ = await blog(world)
    icon = await client.get("blog", "/apple-touch-icon.png")
    assert icon.code == 200 and icon.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(icon.body)).size == (180, 180)
    assert (await client.get("blog", "/favicon.ico", method="HEAD")).code in (200, 302)
    assert b'rel="apple-touch-icon" href="/apple-touch-icon.png"' in (await client.get("blog", "/")).body
    # With a logo, the icon is that logo (a red one here), centred on the accent colour.
    logo, _ = await store.media.add(process(images.jpeg(200, 200, "red")), "logo.jpg", ada["_id"])
    await world.sites.update_theme(store.site_id, "journal", {"logo": logo["files"][0]["url"]})
    drawn = Image.open(io.BytesIO((await client.get("blog", "/apple-touch-icon.png")).body)).convert("RGB")
    r, g, b = drawn.getpixel((90, 90))
    assert drawn.size == (180, 180) and r > 200 and g < 60 and b < 60


async def test_an_author_without_published_posts_has_no_page(world, client):
    store, ada, _ = await blog(world)
    await world.member(store, "author", name="Quiet", username="quiet")
    assert (await client.get("blog", "/authors/quiet")).code == 404
