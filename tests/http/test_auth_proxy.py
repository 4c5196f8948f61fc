"""Behind a trusted proxy that terminated TLS, the session cookie is Secure."""

from __future__ import annotations

import pytest

from tests.admin_session import Session


@pytest.fixture
def settings(settings):
    settings.trust_proxy = True
    return settings


async def test_session_cookie_is_secure_when_the_proxy_says_https(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    session = Session(client, "alpha")
    await session.get("/login", headers={"X-Forwarded-Proto": "https"})
    response = await session.post(
        "/login", {"email": owner["email"], "password": "correct horse battery staple"},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert response.code == 303
    cookie = next(h for h in session.set_cookie_headers if h.startswith("cms_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


async def test_a_made_up_forwarded_for_does_not_escape_the_address_limit(world, client):
    """The proxy appends the real address: a client's own X-Forwarded-For entries come first."""
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    for n in range(50):
        session = Session(client, "alpha")
        headers = {"X-Forwarded-For": "10.9.%d.%d, 198.51.100.7" % (n // 250, n % 250)}
        await session.get("/login", headers=headers)
        response = await session.post("/login", {"email": "guess%d@example.com" % n, "password": "x" * 12},
                                      headers=headers)
        assert response.code == 401
    session = Session(client, "alpha")
    headers = {"X-Forwarded-For": "10.200.0.1, 198.51.100.7"}
    await session.get("/login", headers=headers)
    response = await session.post("/login", {"email": owner["email"], "password": "correct horse battery staple"},
                                  headers=headers)
    assert response.code == 429


async def test_the_proxy_appended_host_and_proto_win_over_the_clients(world, client):
    """A router that appends to X-Forwarded-Host/-Proto puts the client's own values first:
    the last value is the one the proxy vouches for, as for X-Forwarded-For."""
    await world.site("alpha")
    await world.site("beta", title="Beta")
    response = await client.fetch("alpha.localhost", "/robots.txt", headers={
        "X-Forwarded-Host": "beta.localhost, alpha.localhost",
        "X-Forwarded-Proto": "http, https",
    })
    assert response.code == 200
    assert "Sitemap: https://alpha.localhost/sitemap.xml" in response.body.decode()
