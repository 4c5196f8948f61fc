"""Sign-in sessions kept on the server, and reader pages that never look at them.

Reader pages are kept per process and served to everyone (cms/pagecache.py):
a session cookie must neither change what they show nor cost a lookup.
"""

from __future__ import annotations

import pytest
from pymongo import monitoring

from cms import db as database
from cms.app import make_app
from tests.admin_session import Session, signed_in


class Commands(monitoring.CommandListener):
    """Every command the application's client sends: (name, collection)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, object]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.seen.append((event.command_name, event.command.get(event.command_name)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def commands(mongo_uri, db_name, db):
    listener = Commands()
    client = database.connect(mongo_uri, event_listeners=[listener])
    yield client[db_name], listener
    client.close()


@pytest.fixture
async def app(settings, commands):
    return make_app(settings, commands[0])


async def test_a_session_cookie_costs_a_reader_page_nothing(world, client, commands):
    _, listener = commands
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    await world.post(store, owner, "Hello")
    session = await signed_in(client, "alpha", owner)
    assert (await client.get("alpha", "/")).code == 200  # rendered and kept
    listener.seen.clear()
    assert (await client.get("alpha", "/")).code == 200
    anonymous = list(listener.seen)
    listener.seen.clear()
    assert (await session.get("/")).code == 200
    assert listener.seen == anonymous  # no session or user lookup for the signed-in reader


async def test_reader_pages_are_the_same_for_everyone(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner", name="Olive Owner")
    editor = await world.member(store, "editor", name="Eddie Editor")
    await world.post(store, owner, "Hello")
    session = await signed_in(client, "alpha", editor)
    for path in ("/", "/posts/hello", "/feed.xml", "/no-such-page"):
        signed = await session.get(path)  # rendered first for the signed-in person
        anonymous = await Session(client, "alpha").get(path)
        assert signed.code == anonymous.code
        assert signed.body == anonymous.body, path
        assert b"Eddie Editor" not in signed.body and editor["email"].encode() not in signed.body
        assert "Set-Cookie" not in signed.headers
