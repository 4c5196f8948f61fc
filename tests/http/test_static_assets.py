"""Static CSS and JavaScript go out minified and, to a browser that takes it, gzipped
(Lighthouse's uses-text-compression, unminified-css and unminified-javascript)."""

from __future__ import annotations

import gzip

import pytest

from cms.config import REPO_ROOT

# (URL path, the file it is made from, a piece of code that must survive minifying)
ASSETS = [
    ("/static/journal/style.css", "themes/journal/static/style.css", ".site-header"),
    ("/static/magazine/magazine.css", "themes/magazine/static/magazine.css", ".post-card"),
    ("/static/magazine/modules/navigation.js", "themes/magazine/static/modules/navigation.js", "aria-expanded"),
    ("/modules/comments.js", "ui_modules/static/comments.js", "addEventListener"),
    ("/modules/live.css", "ui_modules/static/live.css", "{"),
    ("/admin/static/admin.css", "cms/static/admin/admin.css", "{"),
    ("/admin/static/editor.js", "cms/static/admin/editor.js", "addEventListener"),
    ("/platform/static/platform.css", "cms/static/platform/platform.css", "{"),
]


@pytest.mark.parametrize("path,source,code", ASSETS, ids=[a[0] for a in ASSETS])
async def test_text_assets_are_minified_and_gzipped(world, client, path, source, code):
    await world.site("styled", title="Assets", theme="magazine")
    host = "localhost" if path.startswith("/platform/") else "styled.localhost"
    original = (REPO_ROOT / source).read_bytes()

    plain = await client.fetch(host, path, headers={"Accept-Encoding": "identity"}, decompress_response=False)
    assert plain.code == 200, plain.body
    assert "Content-Encoding" not in plain.headers
    assert code.encode() in plain.body
    assert len(plain.body) < len(original)  # comments and indentation are gone
    assert b"\n  " not in plain.body

    zipped = await client.fetch(host, path, headers={"Accept-Encoding": "gzip, deflate"}, decompress_response=False)
    assert zipped.code == 200
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.body) == plain.body
    assert int(zipped.headers["Content-Length"]) == len(zipped.body) < len(plain.body)

    # Each variant has its own ETag, and either one revalidates to a 304.
    assert zipped.headers["Etag"] != plain.headers["Etag"]
    again = await client.fetch(host, path, decompress_response=False, headers={
        "Accept-Encoding": "gzip", "If-None-Match": zipped.headers["Etag"]})
    assert again.code == 304


async def test_a_range_of_a_minified_asset_is_a_range_of_what_is_served(world, client):
    await world.site("styled", title="Assets")
    plain = {"headers": {"Accept-Encoding": "identity"}, "decompress_response": False}
    whole = await client.get("styled", "/static/journal/style.css", **plain)
    plain["headers"]["Range"] = "bytes=0-9"
    part = await client.get("styled", "/static/journal/style.css", **plain)
    assert part.code == 206
    assert part.body == whole.body[:10]


async def test_svg_and_other_files_are_served_as_they_are(world, client):
    await world.site("styled", title="Assets")
    icon = await client.get("styled", "/static/journal/favicon.svg", headers={"Accept-Encoding": "identity"},
                            decompress_response=False)
    assert icon.code == 200
    assert icon.body == (REPO_ROOT / "themes/journal/static/favicon.svg").read_bytes()
