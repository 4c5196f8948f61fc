"""Health checks on every host, and error pages that never leak a traceback."""

import pytest
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer

from cms import db as database
from cms.app import make_app


@pytest.mark.parametrize("host", ["localhost", "blog.localhost", "unknown.example.org"])
async def test_healthz_and_readyz_answer_on_every_host(world, client, host):
    await world.site("blog")
    assert (await client.fetch(host, "/healthz")).code == 200
    ready = await client.fetch(host, "/readyz")
    assert ready.code == 200 and b"ready" in ready.body


async def test_readyz_is_503_when_the_database_does_not_answer(settings):
    # A port nothing listens on: the database is down, the process is up.
    unreachable = database.connect("mongodb://127.0.0.1:%d/" % database.free_port(), serverSelectionTimeoutMS=300)
    app = make_app(settings, unreachable["cms"])
    server = HTTPServer(app)
    port = database.free_port()
    server.listen(port, "127.0.0.1")
    http = AsyncHTTPClient(force_instance=True)
    try:
        ready = await http.fetch("http://127.0.0.1:%d/readyz" % port, raise_error=False)
        health = await http.fetch("http://127.0.0.1:%d/healthz" % port, raise_error=False)
    finally:
        http.close()
        server.stop()
    assert ready.code == 503
    assert health.code == 200


async def test_readyz_reads_documents_not_just_ping(tmp_path, settings):
    """A damaged document: pages fail, ping still answers; readyz must say 503."""
    import sqlite3

    with database.EmbeddedServer(tmp_path / "db") as server:
        client = database.connect(server.uri)
        db = client["cms"]
        await db.sites.insert_one({"name": "blog", "title": "Blog"})
        app = make_app(settings, db)
        http_server = HTTPServer(app)
        port = database.free_port()
        http_server.listen(port, "127.0.0.1")
        http = AsyncHTTPClient(force_instance=True)
        try:
            url = "http://127.0.0.1:%d/readyz" % port
            assert (await http.fetch(url, raise_error=False)).code == 200
            with sqlite3.connect(tmp_path / "db" / "cms.db") as files:
                files.execute("UPDATE sites SET data = 'not a document'")
            ready = await http.fetch(url, raise_error=False)
        finally:
            http.close()
            http_server.stop()
            client.close()
    assert ready.code == 503 and b"damaged" in ready.body


async def broken_post(world, db):
    """A stored post the theme cannot render (a corrupt document): a real 500."""
    store = await world.site("blog", title="Sturdy Blog")
    author = await world.member(store, "owner")
    post = await world.post(store, author, "Broken")
    await db.posts.update_one({"_id": post["_id"]}, {"$set": {"title": None}})


async def test_500_is_themed_and_shows_no_traceback(world, db, client):
    await broken_post(world, db)
    response = await client.get("blog", "/posts/broken")
    assert response.code == 500
    assert b"Something went wrong" in response.body
    assert b"Sturdy Blog" in response.body
    assert b"Traceback" not in response.body and b"TypeError" not in response.body


async def test_500_shows_the_traceback_with_cms_debug(world, db, settings):
    settings.debug = True
    await broken_post(world, db)
    app = make_app(settings, db)
    server = HTTPServer(app)
    port = database.free_port()
    server.listen(port, "127.0.0.1")
    http = AsyncHTTPClient(force_instance=True)
    try:
        response = await http.fetch("http://127.0.0.1:%d/posts/broken" % port,
                                    headers={"Host": "blog.localhost"}, raise_error=False)
    finally:
        http.close()
        server.stop()
    assert response.code == 500
    assert b"Traceback" in response.body


async def test_unknown_path_is_a_themed_404(world, client):
    await world.site("blog", title="Sturdy Blog")
    for path in ["/no/such/thing", "/UPPER", "/posts/", "/tags/"]:
        response = await client.get("blog", path)
        assert response.code == 404, path
        assert b"Sturdy Blog" in response.body, path


async def test_theme_static_files_are_versioned_and_cached_long(world, client):
    await world.site("blog")
    home = (await client.get("blog")).body.decode()
    import re

    url = re.search(r'href="(/static/journal/style\.css\?v=[0-9a-f]+)"', home).group(1)
    response = await client.get("blog", url)
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert "max-age=31536000" in response.headers["Cache-Control"]
    for private in ["/static/journal/../theme.json", "/static/journal/%2e%2e/templates/base.html",
                    "/static/journal/../../cms/config.py"]:
        assert (await client.get("blog", private)).code in (403, 404), private
    assert (await client.get("blog", "/static/journal/nope.css")).code == 404


@pytest.mark.parametrize("host, theme", [("blog.localhost", "magazine"), ("localhost", "journal"),
                                         ("nobody.example.org", "journal")])
async def test_favicon_is_the_theme_icon_on_every_host(world, client, host, theme):
    await world.site("blog", theme="magazine")
    response = await client.fetch(host, "/favicon.ico")
    assert response.code == 302
    location = response.headers["Location"]
    assert location.startswith("/static/%s/favicon.svg?v=" % theme)
    icon = await client.fetch(host, location)
    assert icon.code == 200 and icon.headers["Content-Type"] == "image/svg+xml"


async def test_every_answer_carries_safe_default_headers(world, client):
    store = await world.site("blog")
    await world.post(store, await world.member(store, "owner"), "Hello")
    for host, path, frames in [("blog.localhost", "/", "SAMEORIGIN"), ("blog.localhost", "/posts/nope", "SAMEORIGIN"),
                               ("blog.localhost", "/login", "DENY"), ("blog.localhost", "/admin/", "DENY"),
                               ("localhost", "/", "DENY")]:
        response = await client.fetch(host, path)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
        assert response.headers["X-Frame-Options"] == frames, path


async def test_head_favicon_answers_like_get(world, client):
    """Browsers and link checkers ask ``HEAD /favicon.ico``; it was a 405."""
    await world.site("blog", theme="magazine")
    get = await client.get("blog", "/favicon.ico")
    head = await client.get("blog", "/favicon.ico", method="HEAD")
    assert head.code == get.code == 302
    for name in ("Location", "Cache-Control"):
        assert head.headers[name] == get.headers[name]
    icon = await client.get("blog", head.headers["Location"], method="HEAD")
    assert icon.code == 200 and icon.headers["Content-Type"] == "image/svg+xml" and icon.body == b""
