"""A stopping process closes its database client only after the last handler.

`cms.server.finish_serving` is what ``serve`` does after SIGTERM. A handler
still working when the grace runs out (an upload being processed) has its
connection closed, but the database client must stay usable until the
handler ends; one that never ends is cancelled after the settle time.
Before, the client closed under it: "Cannot use MongoClient after close".
"""

from __future__ import annotations

import asyncio
import time

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from tornado.httpserver import HTTPServer

from cms import db as database
from cms.app import make_app
from cms.config import Settings
from cms.handlers.base import BaseHandler
from cms.server import finish_serving


class SlowSaveHandler(BaseHandler):
    """Waits for the test's word, then writes to the database, as a long upload would."""

    async def get(self) -> None:
        await self.application.settings["gate"].wait()
        await self.db.slow_saves.insert_one({"site_id": self.site["_id"], "done": True})
        self.write("saved")


async def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


@pytest.fixture
async def running(settings, world, mongo_uri, db_name):
    """A served app with a slow route, on its own client (closed by the test, as serve does)."""
    await world.site("blog")
    client = database.connect(mongo_uri)
    gate = asyncio.Event()
    app = make_app(settings, client[db_name], gate=gate)
    app.add_handlers(r"blog\.localhost$", [(r"/slow", SlowSaveHandler)])
    server = HTTPServer(app)
    port = database.free_port()
    server.listen(port, "127.0.0.1")
    http = AsyncHTTPClient(force_instance=True)
    request = asyncio.ensure_future(http.fetch(
        "http://127.0.0.1:%d/slow" % port, headers={"Host": "blog.localhost"}, request_timeout=30))
    await wait_until(lambda: app.in_flight.handlers)  # the handler is at work
    try:
        yield app, server, client, gate, request
    finally:
        http.close()
        client.close()


async def test_a_handler_past_the_grace_still_has_its_database(running, db):
    app, server, client, gate, request = running
    stopping = asyncio.ensure_future(finish_serving(server, app, grace=0.2, settle=10))
    # The grace runs out: the connection is closed (the client sees it end) ...
    with pytest.raises((HTTPClientError, OSError)):
        await request
    # ... while the handler works on; only then does it reach the database.
    assert not stopping.done()
    gate.set()
    await stopping
    client.close()  # what serve does next
    assert await db.slow_saves.count_documents({"done": True}) == 1
    assert not app.in_flight.busy


async def test_a_handler_that_never_ends_is_cancelled_after_the_settle_time(running, db):
    app, server, client, gate, request = running
    await finish_serving(server, app, grace=0.1, settle=0.2)
    with pytest.raises((HTTPClientError, OSError)):
        await request
    assert not app.in_flight.handlers  # cancelled, and unwound before the client closes
    assert await db.slow_saves.count_documents({}) == 0


def test_the_default_grace_fits_openshifts_30_seconds():
    settings = Settings.from_env({})
    from cms.server import SETTLE

    assert settings.shutdown_grace == 25
    assert settings.shutdown_grace + SETTLE < 30
    assert Settings.from_env({"CMS_SHUTDOWN_GRACE": "40"}).shutdown_grace == 40
