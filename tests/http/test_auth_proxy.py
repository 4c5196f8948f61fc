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
