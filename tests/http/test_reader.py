"""The reader side of one site: lists, posts, pages, tags, authors, search, errors."""

import datetime as dt
import re

import pytest

from cms.store.posts import utcnow


def titles(body: bytes) -> list[str]:
    return re.findall(r'class="post-card__title"><a href="[^"]+">([^<]+)</a>', body.decode())


async def publish_many(world, store, author, count, tag=None):
    now = utcnow()
    for i in range(count):
        await world.post(store, author, "Post %02d" % i, published_at=now - dt.timedelta(hours=count - i),
                         tags=[tag] if tag else [])


async def test_home_lists_the_ten_newest_posts_newest_first(world, client):
    store = await world.site("blog")
    author = await world.member(store, "owner")
    await publish_many(world, store, author, 12)
    response = await client.get("blog")
    assert response.code == 200
    assert titles(response.body) == ["Post %02d" % i for i in range(11, 1, -1)]
    assert b'href="/?page=2"' in response.body
    assert b'rel="prev"' not in response.body


async def test_second_page_has_the_rest_and_links_back(world, client):
    store = await world.site("blog")
    author = await world.member(store, "owner")
    await publish_many(world, store, author, 12)
    response = await client.get("blog", "/?page=2")
    assert titles(response.body) == ["Post 01", "Post 00"]
    assert b'href="/"' in response.body and b'rel="prev"' in response.body
    assert b'rel="next"' not in response.body


@pytest.mark.parametrize("page", ["3", "0", "-1", "x", "1.5", "99999999999"])
async def test_out_of_range_or_non_numeric_page_is_404(world, client, page):
    store = await world.site("blog")
    author = await world.member(store, "owner")
    await publish_many(world, store, author, 12)
    response = await client.get("blog", "/?page=" + page)
    assert response.code == 404
    assert b"not here" in response.body


async def test_empty_site_home_is_200_and_says_so(world, client):
    await world.site("empty")
    response = await client.get("empty")
    assert response.code == 200 and b"Nothing published yet" in response.body


async def test_post_page_shows_title_author_date_tags_body_and_neighbours(world, client):
    store = await world.site("blog", timezone="Europe/Paris")
    author = await world.member(store, "owner", name="Ada Writer", username="ada")
    base = dt.datetime(2025, 3, 1, 23, 30, tzinfo=dt.timezone.utc)
    await world.post(store, author, "Older one", published_at=base - dt.timedelta(days=1))
    await world.post(store, author, "Middle one", markdown="## Part\n\nThe *body*.",
                     tags=["Python", "Web Dev"], published_at=base)
    await world.post(store, author, "Newer one", published_at=base + dt.timedelta(days=1))
    body = (await client.get("blog", "/posts/middle-one")).body.decode()
    assert "<h1 class=\"post__title\"><bdi>Middle one</bdi></h1>" in body
    assert 'href="/authors/ada">Ada Writer</a>' in body
    # 23:30 UTC is already the next day in Paris: dates show in the site's time zone.
    assert "2 March 2025" in body
    assert 'href="/tags/python">#Python</a>' in body and 'href="/tags/web-dev">#Web Dev</a>' in body
    assert '<h2 id="part">Part</h2>' in body and "<em>body</em>" in body
    assert 'href="/posts/older-one"' in body and 'href="/posts/newer-one"' in body


async def test_unknown_post_is_a_themed_404(world, client):
    await world.site("blog", title="My Blog")
    response = await client.get("blog", "/posts/nothing-here")
    assert response.code == 404
    assert b"My Blog" in response.body and b'class="error-page"' in response.body


async def test_page_and_post_may_share_a_slug(world, client):
    store = await world.site("blog")
    author = await world.member(store, "owner")
    await world.post(store, author, "About", markdown="The post about things.", slug="about")
    await world.post(store, author, "About us", markdown="The page about us.", slug="about", type="page")
    assert b"The page about us." in (await client.get("blog", "/about")).body
    assert b"The post about things." in (await client.get("blog", "/posts/about")).body


async def test_tag_page_lists_only_tagged_posts_and_paginates(world, client):
    store = await world.site("blog")
    author = await world.member(store, "owner")
    await publish_many(world, store, author, 11, tag="Deep Dives")
    await world.post(store, author, "Untagged")
    first = await client.get("blog", "/tags/deep-dives")
    assert first.code == 200 and b"#Deep Dives" in first.body
    assert len(titles(first.body)) == 10 and "Untagged" not in titles(first.body)
    assert b'href="/tags/deep-dives?page=2"' in first.body
    second = await client.get("blog", "/tags/deep-dives?page=2")
    assert titles(second.body) == ["Post 00"]
    assert (await client.get("blog", "/tags/no-such-tag")).code == 404


async def test_author_page_lists_their_posts(world, client):
    store = await world.site("blog")
    ada = await world.member(store, "owner", name="Ada", username="ada")
    bob = await world.member(store, "author", name="Bob", username="bob")
    await world.post(store, ada, "By Ada")
    await world.post(store, bob, "By Bob")
    response = await client.get("blog", "/authors/bob")
    assert response.code == 200 and titles(response.body) == ["By Bob"]
    assert (await client.get("blog", "/authors/nobody")).code == 404


async def test_drafts_and_future_posts_are_invisible_everywhere(world, client):
    store = await world.site("blog")
    author = await world.member(store, "owner", username="ada")
    await world.post(store, author, "Visible post", markdown="zebra visible", tags=["Secret"])
    await world.post(store, author, "Draft post", markdown="zebra draft", tags=["Secret", "Hidden"], status="draft")
    await world.post(store, author, "Future post", markdown="zebra future", tags=["Secret", "Hidden"],
                     published_at=utcnow() + dt.timedelta(hours=1))
    await world.post(store, author, "Draft page", markdown="zebra", type="page", status="draft")
    for path in ["/", "/tags/secret", "/authors/ada", "/search?q=zebra", "/feed.xml", "/rss.xml", "/sitemap.xml"]:
        body = (await client.get("blog", path)).body
        assert b"Draft post" not in body and b"Future post" not in body, path
        assert b"draft-post" not in body and b"future-post" not in body and b"draft-page" not in body, path
    for path in ["/posts/draft-post", "/posts/future-post", "/draft-page", "/tags/hidden"]:
        assert (await client.get("blog", path)).code == 404, path


async def test_search_finds_posts_and_ranks_title_matches_first(world, client):
    store = await world.site("blog")
    author = await world.member(store, "owner")
    now = utcnow()
    await world.post(store, author, "Gardening notes", markdown="Tomatoes need sun. Tomatoes need water.",
                     published_at=now - dt.timedelta(minutes=1))
    await world.post(store, author, "Tomatoes", markdown="A short one.", published_at=now - dt.timedelta(days=3))
    await world.post(store, author, "Unrelated", markdown="Nothing to see.")
    response = await client.get("blog", "/search?q=tomatoes")
    assert response.code == 200
    assert titles(response.body) == ["Tomatoes", "Gardening notes"]
    assert "2 results for" in response.body.decode()


@pytest.mark.parametrize(
    "query",
    ["", "   ", '"unbalanced', "-", "$where", "{}", "a" * 5000, "\u202e\u0000", "tomato%00", "🙂" * 50],
)
async def test_empty_or_absurd_queries_answer_calmly(world, client, query):
    from urllib.parse import quote

    store = await world.site("blog")
    author = await world.member(store, "owner")
    await world.post(store, author, "Tomatoes")
    response = await client.get("blog", "/search?q=" + quote(query))
    assert response.code == 200
    assert b"Search" in response.body


async def test_search_results_paginate_and_keep_the_query(world, client):
    store = await world.site("blog")
    author = await world.member(store, "owner")
    for i in range(12):
        await world.post(store, author, "Kiwi %d" % i)
    first = await client.get("blog", "/search?q=kiwi")
    assert len(titles(first.body)) == 10
    assert b'href="/search?q=kiwi&amp;page=2"' in first.body
    second = await client.get("blog", "/search?q=kiwi&page=2")
    assert len(titles(second.body)) == 2


async def test_hostile_titles_are_escaped(world, client):
    store = await world.site("blog")
    author = await world.member(store, "owner")
    await world.post(store, author, "<script>alert(1)</script>", slug="hostile", tags=["<b>x</b>"])
    for path in ["/", "/posts/hostile", "/feed.xml", "/rss.xml"]:
        body = (await client.get("blog", path)).body
        assert b"<script>alert(1)" not in body, path
        assert b"<b>x</b>" not in body, path


async def test_head_answers_like_get_without_a_body(world, client):
    store = await world.site("blog")
    author = await world.member(store, "owner")
    await world.post(store, author, "Hello")
    for path, code in [("/", 200), ("/posts/hello", 200), ("/feed.xml", 200), ("/posts/nope", 404)]:
        get = await client.get("blog", path)
        head = await client.get("blog", path, method="HEAD")
        assert head.code == get.code == code, path
        assert head.body == b"", path
        assert head.headers["Content-Type"] == get.headers["Content-Type"], path


@pytest.mark.parametrize("asked, canonical", [
    ("/tags/Writing", "/tags/writing"), ("/tags/WRITING?utm_source=feed", "/tags/writing?utm_source=feed"),
    ("/tags/Deep-Dives", "/tags/deep-dives"), ("/authors/Ada", "/authors/ada"),
])
async def test_tag_and_author_urls_in_another_case_redirect_to_the_canonical_one(world, client, asked, canonical):
    store = await world.site("blog")
    ada = await world.member(store, "owner", name="Ada", username="ada")
    await world.post(store, ada, "Tagged", tags=["Writing", "Deep Dives"])
    response = await client.get("blog", asked)
    assert response.code == 301 and response.headers["Location"] == canonical
    assert (await client.get("blog", canonical)).code == 200


async def test_tag_and_author_in_another_case_of_another_site_are_404(world, client):
    store = await world.site("blog")
    ada = await world.member(store, "owner", name="Ada", username="ada")
    await world.post(store, ada, "Tagged", tags=["Writing"])
    await world.site("other")
    for path in ["/tags/Writing", "/authors/Ada", "/tags/Nothing", "/authors/Nobody"]:
        assert (await client.get("other", path)).code == 404, path
    for path in ["/tags/Nothing", "/authors/Nobody"]:
        assert (await client.get("blog", path)).code == 404, path


async def test_an_author_with_no_published_posts_has_no_page(world, client):
    """404 rather than an indexable empty page: there is nothing to read there, and a
    tag with no published posts is a 404 too. It comes back with their first post."""
    store = await world.site("blog")
    ada = await world.member(store, "owner", name="Ada", username="ada")
    await world.member(store, "author", name="Bob", username="bob")
    await world.post(store, ada, "Only a draft", status="draft")
    await world.post(store, ada, "Not yet", published_at=utcnow() + dt.timedelta(hours=1))
    await world.post(store, ada, "About", type="page", slug="about")
    for path in ["/authors/ada", "/authors/bob", "/authors/Ada"]:
        assert (await client.get("blog", path)).code == 404, path
    assert b"/authors/ada" not in (await client.get("blog", "/sitemap.xml")).body
    await world.post(store, ada, "Now published")
    response = await client.get("blog", "/authors/ada")
    assert response.code == 200 and titles(response.body) == ["Now published"]
