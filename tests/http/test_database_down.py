"""With the database out of reach: 503 with Retry-After, never a 500 or a hang.

The database here is a port nothing listens on (a real client, a real
connection refused), so PyMongo's own errors reach the handlers; see
tests/cli/test_database_supervision.py for a killed server coming back.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer

from cms import db as database
from cms.app import make_app
from cms.supervisor import RETRY_AFTER


@pytest.fixture
async def unreachable(settings):
    """An application whose database does not answer, and a way to GET from it."""
    client = database.connect("mongodb://127.0.0.1:%d/" % database.free_port(), serverSelectionTimeoutMS=300)
    app = make_app(settings, client["cms"])
    server = HTTPServer(app)
    port = database.free_port()
    server.listen(port, "127.0.0.1")
    http = AsyncHTTPClient(force_instance=True)

    async def get(host: str, path: str = "/", **kwargs):
        return await http.fetch("http://127.0.0.1:%d%s" % (port, path), headers={"Host": host},
                                raise_error=False, follow_redirects=False, **kwargs)

    try:
        yield app, get
    finally:
        http.close()
        server.stop()
        await server.close_all_connections()
        client.close()


@pytest.mark.parametrize("host, path", [
    ("blog.localhost", "/"), ("blog.localhost", "/posts/hello"), ("blog.localhost", "/admin/"),
    ("blog.localhost", "/media/abc/0123.png"), ("unknown.example.org", "/"),
])
async def test_a_database_error_is_a_503_with_retry_after(unreachable, host, path):
    app, get = unreachable
    response = await get(host, path)
    assert response.code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER)
    assert b"try again in a moment" in response.body and b"Traceback" not in response.body
    # The process now knows: the next answer does not wait for the database.
    assert app.monitor.available is False
    again = await get(host, path)
    assert again.code == 503 and again.headers["Retry-After"] == str(RETRY_AFTER)


async def test_bad_input_still_gets_its_own_answer_first(unreachable):
    # A form without its XSRF token is refused before any database work.
    app, get = unreachable
    response = await get("blog.localhost", "/admin/posts/new", method="POST", body="title=x")
    assert response.code == 403


async def test_readyz_is_503_within_its_deadline_and_healthz_stays_200(unreachable):
    app, get = unreachable
    ready = await get("probe", "/readyz", request_timeout=3)  # the probe's own timeout
    assert ready.code == 503 and b"database unreachable" in ready.body
    assert (await get("probe", "/healthz")).code == 200


async def test_readiness_waits_for_the_indexes_and_they_are_made_in_the_background(settings, db_name, mongo_uri):
    # As under gunicorn: the worker starts, the indexes are made once the database answers.
    client = database.connect(mongo_uri)
    try:
        app = make_app(settings, client[db_name])
        app.monitor.start(ensure_indexes=True)
        assert (await app.monitor.readiness()) in (None, "database indexes not made yet")
        deadline = time.monotonic() + 30
        while await app.monitor.readiness() is not None:
            assert time.monotonic() < deadline, "the indexes were not made"
            await asyncio.sleep(0.05)
        indexes = await client[db_name].posts.index_information()
        assert [("site_id", 1), ("type", 1), ("slug", 1)] in [index["key"] for index in indexes.values()]
        await app.monitor.stop()
    finally:
        await client.drop_database(db_name)
        client.close()
