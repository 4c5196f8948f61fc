"""Browser fixtures for the admin tests: a live app in its own thread, and Chromium.

Selenium blocks, so the application runs on an event loop in a background
thread (the test's own loop would stall); the data it serves is created on
that same loop through the real stores.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Awaitable, Callable

import pytest
from tornado.httpserver import HTTPServer

from cms import db as database
from cms.app import make_app
from tests.conftest import World
from tests.e2e.conftest import new_chromium


class LiveApp:
    def __init__(self, settings: Any, **overrides: Any) -> None:
        self.settings = settings
        self.overrides = overrides
        self.loop = asyncio.new_event_loop()
        self.port = database.free_port()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()
        self.call(self._start)

    async def _start(self) -> None:
        self.client = database.connect(self.settings.mongodb_uri)
        self.db = self.client[self.settings.database_name]
        await database.ensure_indexes(self.db)
        self.world = World(self.db)
        self.server = HTTPServer(make_app(self.settings, self.db, **self.overrides))
        self.server.listen(self.port, "127.0.0.1")

    def call(self, make: Callable[[], Awaitable[Any]]) -> Any:
        return asyncio.run_coroutine_threadsafe(make(), self.loop).result(30)

    def url(self, site: str, path: str = "/") -> str:
        return "http://%s.localhost:%d%s" % (site, self.port, path)

    def stop(self) -> None:
        async def _stop() -> None:
            self.server.stop()
            await self.client.drop_database(self.settings.database_name)
            self.client.close()

        self.call(_stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def live_app(settings):
    app = LiveApp(settings)
    app.start()
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture
def mail_live_app(settings, smtp_server):
    """A live app whose e-mail goes to the test SMTP server (``app.smtp_server``)."""
    settings.smtp_url = smtp_server.url()
    app = LiveApp(settings)
    app.smtp_server = smtp_server
    app.start()
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture
def google_live_app(settings):
    """A live app whose Google sign-in goes to the loopback stand-in (`tests.google_standin`)."""
    from tests.google_standin import CLIENT_ID, CLIENT_SECRET, GoogleStandIn

    google = GoogleStandIn()
    settings.google_client_id, settings.google_client_secret = CLIENT_ID, CLIENT_SECRET
    app = LiveApp(settings, google_oauth_urls=google.urls)
    app.google = google
    app.start()

    async def start_google() -> None:
        google.start()

    app.call(start_google)
    try:
        yield app
    finally:
        google.stop()
        app.stop()


def new_browser() -> Any:
    return new_chromium(page_load_timeout=20)


@pytest.fixture
def second_browser():
    """Another person's browser: separate cookies, storage and session."""
    driver = new_browser()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser():
    """A fresh browser per test: its own cookies and storage."""
    driver = new_browser()
    try:
        yield driver
    finally:
        driver.quit()
