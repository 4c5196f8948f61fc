"""``next`` (where to go after signing in) never leads off the site, and never gives a 500.

The corpus holds the known ways round a naive "starts with one slash" check:
what browsers read as another host (``//host``, backslashes, tabs and newlines
they drop, schemes without slashes, userinfo), encoded and double-encoded
forms, unicode look-alikes and control characters. Each value is what the
handler receives (Tornado has already decoded the query string once); every
one of them must send the person to the safe default, ``/admin/``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from tests.admin_session import Session, signed_in
from tests.conftest import TEST_PASSWORD

HOST = "evil.example"
BYPASSES = [
    "//evil.example/",
    "///evil.example/",
    "////evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    "/\x7f/evil.example",
    "/%09/evil.example/",
    "/%0a/evil.example",
    "/%00/evil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%5C/evil.example",
    "/%252F/evil.example",
    "/%252f%252fevil.example",
    "/%25252F/evil.example",
    "/%255Cevil.example",
    "https:evil.example",
    "https:/evil.example",
    "http:/\\evil.example",
    "http:\\\\evil.example",
    "https://evil.example/",
    "HTTPS://evil.example",
    "//user@evil.example",
    "/\\user@evil.example",
    "https://alpha.localhost@evil.example/",
    "/.//evil.example",
    "/./\\evil.example",
    "/../evil.example",
    "/%2e%2e/%2e%2e//evil.example",
    "/\u2215\u2215evil.example",
    "\uff0f\uff0fevil.example",
    "/\uff0fevil.example",
    "/\u3002evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "@evil.example",
    "/admin/\n",
    "/admin/\r\nSet-Cookie: x=1",
    "/" + "a" * 5000,
]
KEPT = ["/admin/posts?status=draft", "/admin/posts/0123456789abcdef01234567#history", "/admin/",
        "/admin/tags.json?q=a%20b", "/admin/account?done=profile"]


async def test_every_bypass_signs_in_to_the_safe_default(world, client):
    assert len(BYPASSES) >= 30
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    session = Session(client, "alpha")
    await session.get("/login")
    for target in BYPASSES:
        response = await session.post("/login", {"email": owner["email"], "password": TEST_PASSWORD, "next": target})
        assert response.code == 303, (target, response.code)
        assert response.headers["Location"] == "/admin/", target


async def test_a_signed_in_person_is_sent_on_only_within_the_site(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    session = await signed_in(client, "alpha", owner)
    for target in BYPASSES:
        response = await session.get("/login?" + urlencode({"next": target}))
        assert response.code == 302, (target, response.code)
        assert response.headers["Location"] == "/admin/", target
    for target in KEPT:
        response = await session.get("/login?" + urlencode({"next": target}))
        assert response.headers["Location"] == target


async def test_the_sign_in_form_keeps_only_a_safe_next(world, client):
    await world.site("alpha")
    visitor = Session(client, "alpha")
    for target in BYPASSES:
        page = await visitor.get("/login?" + urlencode({"next": target}))
        assert page.code == 200, (target, page.code)
        assert b'name="next" value="/admin/"' in page.body, target
        assert HOST.encode() not in page.body, target
