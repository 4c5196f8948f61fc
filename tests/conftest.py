"""Shared fixtures: one embedded database server per test session, a fresh
database per test, and a real application listening on a loopback port.

No mocks of the database: every test talks MongoDB's wire protocol to the
embedded ``nx-27017`` server, as the application does in production.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import uuid
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPResponse
from tornado.httpserver import HTTPServer

from cms import db as database
from cms.app import make_app
from cms.config import Settings
from cms.mail import Mailer
from cms.store import Sites, SiteStore, Users
from cms.store import users as users_store
from tests.mail_server import MailServer

TEST_PASSWORD = "correct horse battery staple"
_counter = itertools.count()

# bcrypt at the production cost (12) takes ~0.25 s a hash; the suite creates
# hundreds of users. Tests that are about hashing itself set it back.
users_store.BCRYPT_COST = 4


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory) -> Any:
    """A MongoDB URI for the whole session: ``CMS_TEST_MONGODB_URI`` or an embedded server."""
    if os.environ.get("CMS_TEST_MONGODB_URI"):
        yield os.environ["CMS_TEST_MONGODB_URI"]
        return
    server = database.EmbeddedServer(tmp_path_factory.mktemp("mongo"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def db_name() -> str:
    return "test_%d_%s" % (next(_counter), uuid.uuid4().hex[:8])


@pytest.fixture
async def db(mongo_uri: str, db_name: str):
    client = database.connect(mongo_uri)
    database_ = client[db_name]
    await database.ensure_indexes(database_)
    try:
        yield database_
    finally:
        await client.drop_database(db_name)
        client.close()


@pytest.fixture
def settings(tmp_path, mongo_uri: str, db_name: str) -> Settings:
    return Settings(
        mongodb_uri=mongo_uri,
        database_name=db_name,
        data_dir=tmp_path,
        base_domain="localhost",
        cookie_secret="test-cookie-secret-" + uuid.uuid4().hex,
    )


@dataclasses.dataclass
class Client:
    """Requests to the test server, addressed to a site by its Host header."""

    port: int
    http: AsyncHTTPClient

    async def fetch(self, host: str, path: str = "/", **kwargs: Any) -> HTTPResponse:
        headers = {"Host": "%s:%d" % (host, self.port), **kwargs.pop("headers", {})}
        kwargs.setdefault("raise_error", False)
        kwargs.setdefault("follow_redirects", False)
        return await self.http.fetch("http://127.0.0.1:%d%s" % (self.port, path), headers=headers, **kwargs)

    async def get(self, site: str, path: str = "/", **kwargs: Any) -> HTTPResponse:
        """GET a page of ``<site>.localhost``."""
        return await self.fetch("%s.localhost" % site, path, **kwargs)


@pytest.fixture
async def app(settings: Settings, db):
    app = make_app(settings, db)
    # Tests look at a page right after changing it: its first reader waits for the new
    # page however long the render takes on a loaded machine (in production 0.1 s, then
    # the previous copy; tests/http/test_page_cache.py checks that budget).
    app.page_cache.render_budget = 30.0
    yield app
    app.changes.stop()  # its poll must not outlive the test's database
    app.live.stop()  # nor the live events' poll (cms.live.hub)
    app.mail.stop()  # nor the mail sender's


@pytest.fixture
def smtp_server():
    """A real SMTP server on a loopback port that keeps what arrives (tests/mail_server.py)."""
    server = MailServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mail(app, smtp_server) -> MailServer:
    """The app sends its e-mail to ``smtp_server`` (retrying quickly); the server is returned."""
    app.mail = Mailer(app.db, smtp_server.url(), app.cms_settings.base_domain, backoff=0.05, poll=0.1)
    return smtp_server


@pytest.fixture
async def client(app):
    server = HTTPServer(app)
    port = database.free_port()
    server.listen(port, "127.0.0.1")
    http = AsyncHTTPClient(force_instance=True)
    try:
        yield Client(port, http)
    finally:
        http.close()
        server.stop()
        await server.close_all_connections()


class World:
    """Builds sites, people and posts for a test through the real stores."""

    def __init__(self, db) -> None:
        self.db = db
        self.sites = Sites(db)
        self.users = Users(db)
        self._people = itertools.count(1)

    async def site(self, name: str, **kwargs: Any) -> SiteStore:
        return SiteStore(self.db, await self.sites.create(name, **kwargs))

    async def member(self, store: SiteStore, role: str = "author", **kwargs: Any) -> dict:
        n = next(self._people)
        kwargs.setdefault("email", "person%d@example.com" % n)
        kwargs.setdefault("username", "person%d" % n)
        kwargs.setdefault("name", "Person %d" % n)
        email = kwargs.pop("email")
        user = await self.users.create(email, TEST_PASSWORD, **kwargs)
        await store.members.add(user["_id"], role)
        return user

    async def post(self, store: SiteStore, author: dict, title: str, markdown: str = "Body text.", **kwargs: Any):
        return await store.posts.create(title=title, markdown=markdown, author_id=author["_id"], **kwargs)


@pytest.fixture
def world(db) -> World:
    return World(db)
