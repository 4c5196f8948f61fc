"""Custom domains from the site admin (issue 10): an owner adds a domain, proves it
by a token fetched through it, makes it the primary address; a domain serves one
site only, and an unverified one serves nothing.

The domains point at the test server through the ``domain_check_hosts`` setting
(tornado's resolver, overridden for the check), never through /etc/hosts.
"""

from __future__ import annotations

import html
import re
import socket

import pytest
import tornado.web
from tornado.httpserver import HTTPServer

from cms import db as database
from cms.store.domains import MAX_DOMAINS, SiteDomains
from tests.admin_session import signed_in

DOMAIN = "blog.example.org"


def canonical_of(body: bytes) -> str:
    return re.search(rb'<link rel="canonical" href="([^"]*)"', body).group(1).decode()


def error_of(page) -> str:
    found = re.search(rb'<p class="alert error" role="alert" id="domain-error">(.*?)</p>', page.body, re.S)
    assert found, page.body[:2000]
    return html.unescape(found.group(1).decode())


async def mag_with_owner(world, name: str = "mag"):
    store = await world.site(name, title="%s site" % name.title())
    owner = await world.member(store, "owner", username="%s-owner" % name)
    await world.post(store, owner, "Story %s" % name, slug="story")
    return store, owner


def point(app, client, domain: str = DOMAIN, port: int | None = None) -> None:
    """``domain`` resolves to the test server (or to ``port``) for the verification."""
    app.settings.setdefault("domain_check_hosts", {})[domain] = ("127.0.0.1", port or client.port)


async def action(session, action: str, name: str):
    return await session.post("/admin/domains", {"action": action, "name": name})


async def test_an_owner_adds_verifies_and_makes_a_domain_primary(world, client, app):
    store, owner = await mag_with_owner(world)
    session = await signed_in(client, "mag", owner)
    page = await session.get("/admin/domains")
    assert page.code == 200 and b"CNAME" in page.body and b"<code>mag.localhost.</code>" in page.body

    added = await action(session, "add", "Blog.Example.org")
    assert added.code == 303
    page = await session.get("/admin/domains")
    assert b'data-domain="blog.example.org"' in page.body and b"waiting for verification" in page.body
    # Not proven yet: the domain is an unknown host.
    assert (await client.fetch(DOMAIN, "/posts/story")).code == 404

    point(app, client)
    assert (await action(session, "verify", DOMAIN)).code == 303
    assert b"waiting for verification" not in (await session.get("/admin/domains")).body
    # It serves the site now, at the site's primary address (still mag.localhost).
    moved = await client.fetch(DOMAIN, "/posts/story?x=1")
    assert moved.code == 301 and moved.headers["Location"] == "http://mag.localhost:%d/posts/story?x=1" % client.port

    assert (await action(session, "primary", DOMAIN)).code == 303
    page = await client.fetch(DOMAIN, "/posts/story")
    assert page.code == 200 and canonical_of(page.body) == "http://%s:%d/posts/story" % (DOMAIN, client.port)
    moved = await client.get("mag", "/posts/story")
    assert moved.code == 301 and moved.headers["Location"] == "http://%s:%d/posts/story" % (DOMAIN, client.port)
    # The admin stays at <name>.<base>: an owner is never locked out by the domain's DNS.
    admin = await session.get("/admin/domains")
    assert admin.code == 200 and b'id="primary-address">blog.example.org<' in admin.body

    assert (await action(session, "primary", "")).code == 303
    assert (await client.get("mag", "/posts/story")).code == 200
    assert (await action(session, "remove", DOMAIN)).code == 303
    assert (await client.fetch(DOMAIN, "/posts/story")).code == 404


async def test_the_token_answers_on_any_host_but_only_for_its_own_domain(world, client, app):
    await mag_with_owner(world)
    token = app.domain_tokens.make(DOMAIN)
    for host in (DOMAIN, DOMAIN.upper() + "."):
        answer = await client.fetch(host, "/.well-known/cms-domain/" + token)
        assert answer.code == 200 and answer.body == token.encode(), host
        assert answer.headers["Content-Type"].startswith("text/plain")
    for host, path in [("other.example.org", token), ("mag.localhost", token), ("localhost", token),
                       (DOMAIN, token[:-1] + ("A" if token[-1] != "A" else "B")), (DOMAIN, "<script>"),
                       (DOMAIN, "x" * 100)]:
        answer = await client.fetch(host, "/.well-known/cms-domain/" + path)
        assert answer.code == 404 and path.encode() not in answer.body, (host, path)


class Impostor(tornado.web.RequestHandler):
    """Another server the name points at: a wrong token, a redirect, an error, a huge body."""

    def get(self, token: str) -> None:
        kind = self.settings["kind"]
        if kind == "same-host":  # a router sending http to https on the same name: followed
            if self.get_query_argument("hop", None) is None:
                self.redirect("http://%s/.well-known/cms-domain/%s?hop=1" % (DOMAIN, token), permanent=True)
            else:
                self.write(token)  # as this platform would, behind that router
        elif kind == "loop":
            self.redirect("http://%s/.well-known/cms-domain/%s" % (DOMAIN, token))
        elif kind == "redirect":
            self.redirect("http://elsewhere.example.net/", permanent=True)
        elif kind == "error":
            raise tornado.web.HTTPError(500)
        elif kind == "huge":
            self.write(b"x" * 100_000)
        else:
            self.write("some-other-token")


@pytest.mark.parametrize("kind, message", [
    ("wrong", "answered, but not with this site's token"),
    ("redirect", "answered with a redirect to http://elsewhere.example.net/"),
    ("loop", "redirects too many times"),
    ("error", "answered 500"),
    ("huge", "could not reach http://blog.example.org/"),
    ("refused", "the connection was refused"),
    ("silent", "no answer within 0.5 seconds"),
])
async def test_a_failed_verification_says_why_and_changes_nothing(world, client, app, kind, message):
    store, owner = await mag_with_owner(world)
    session = await signed_in(client, "mag", owner)
    await action(session, "add", DOMAIN)
    app.settings["domain_check_timeout"] = 0.5
    other = HTTPServer(tornado.web.Application([(r"/\.well-known/cms-domain/(.*)", Impostor)], kind=kind))
    port = database.free_port()
    silent = None
    if kind == "silent":  # accepts connections (the kernel does) and never answers
        silent = socket.socket()
        silent.bind(("127.0.0.1", port))
        silent.listen(8)
    elif kind != "refused":
        other.listen(port, "127.0.0.1")
    point(app, client, port=port)
    try:
        page = await action(session, "verify", DOMAIN)
    finally:
        other.stop()
        if silent is not None:
            silent.close()
    assert page.code == 400 and message in error_of(page)
    assert (await SiteDomains(world.db, store.site_id).get(DOMAIN)).verified is False
    assert (await client.fetch(DOMAIN, "/posts/story")).code == 404


async def test_a_redirect_to_the_same_name_is_followed(world, client, app):
    store, owner = await mag_with_owner(world)
    session = await signed_in(client, "mag", owner)
    await action(session, "add", DOMAIN)
    other = HTTPServer(tornado.web.Application([(r"/\.well-known/cms-domain/(.*)", Impostor)], kind="same-host"))
    port = database.free_port()
    other.listen(port, "127.0.0.1")
    point(app, client, port=port)
    try:
        assert (await action(session, "verify", DOMAIN)).code == 303
    finally:
        other.stop()
    assert (await SiteDomains(world.db, store.site_id).get(DOMAIN)).verified


async def test_a_name_that_does_not_resolve_says_so(world, client, app):
    store, owner = await mag_with_owner(world)
    session = await signed_in(client, "mag", owner)
    await action(session, "add", "nowhere.invalid")
    page = await action(session, "verify", "nowhere.invalid")
    assert page.code == 400 and "does not resolve yet" in error_of(page)


@pytest.mark.parametrize("name, message", [
    ("", "invalid domain"), ("not a domain", "invalid domain"), ("mag.localhost", "platform's own addresses"),
    ("localhost", "invalid domain"), ("x" * 300 + ".org", "invalid domain"), ("exa_mple.org", "invalid domain"),
])
async def test_bad_domains_are_refused_with_a_message(world, client, name, message):
    store, owner = await mag_with_owner(world)
    session = await signed_in(client, "mag", owner)
    page = await action(session, "add", name)
    assert page.code == 400 and message in error_of(page)
    assert await SiteDomains(world.db, store.site_id).list() == []


async def test_actions_on_nothing_and_unknown_actions_are_refused(world, client):
    store, owner = await mag_with_owner(world)
    session = await signed_in(client, "mag", owner)
    await action(session, "add", DOMAIN)
    assert (await action(session, "add", DOMAIN)).code == 400  # already there
    assert (await action(session, "primary", DOMAIN)).code == 400  # not verified yet
    assert "verify blog.example.org before" in error_of(await action(session, "primary", DOMAIN))
    for verb in ("verify", "primary", "remove"):
        assert (await action(session, verb, "missing.example.org")).code == 404, verb
    assert (await action(session, "explode", DOMAIN)).code == 400
    for n in range(MAX_DOMAINS - 1):
        assert (await action(session, "add", "d%d.example.org" % n)).code == 303
    page = await action(session, "add", "one-too-many.example.org")
    assert page.code == 400 and "at most %d domains" % MAX_DOMAINS in error_of(page)


async def test_only_the_owner_reaches_the_domains_page(world, client):
    store, owner = await mag_with_owner(world)
    admin = await world.member(store, "admin")
    session = await signed_in(client, "mag", admin)
    assert (await session.get("/admin/domains")).code == 403
    assert (await action(session, "add", DOMAIN)).code == 403
    assert b"/admin/domains" not in (await session.get("/admin/settings")).body
    anonymous = await client.get("mag", "/admin/domains")
    assert anonymous.code == 302 and anonymous.headers["Location"].startswith("/login")
    assert await SiteDomains(world.db, store.site_id).list() == []


async def test_a_domain_serves_one_site_only(world, client, app):
    """Cross-site: B can neither add nor verify A's domain, nor touch it from its own admin."""
    a_store, a_owner = await mag_with_owner(world, "alpha")
    b_store, b_owner = await mag_with_owner(world, "beta")
    alpha = await signed_in(client, "alpha", a_owner)
    beta = await signed_in(client, "beta", b_owner)
    point(app, client)
    # Both may add it while nobody proved it: the first to verify gets it.
    await action(alpha, "add", DOMAIN)
    await action(beta, "add", DOMAIN)
    assert (await action(alpha, "verify", DOMAIN)).code == 303
    page = await action(beta, "verify", DOMAIN)
    assert page.code == 400 and "belongs to another site" in error_of(page)
    await action(alpha, "primary", DOMAIN)
    # Beta's admin cannot touch it; its own claim is its own, and goes away alone.
    for verb in ("primary",):
        assert (await action(beta, verb, DOMAIN)).code == 400
    assert (await action(beta, "remove", DOMAIN)).code == 303
    assert (await action(beta, "remove", DOMAIN)).code == 404
    assert (await action(beta, "verify", DOMAIN)).code == 404
    page = await action(beta, "add", DOMAIN)
    assert page.code == 400 and "belongs to another site" in error_of(page)
    served = await client.fetch(DOMAIN, "/posts/story")
    assert served.code == 200 and b"Story alpha" in served.body and b"beta" not in served.body.lower()
    assert [d.name for d in await SiteDomains(world.db, a_store.site_id).list()] == [DOMAIN]


async def test_verify_is_limited_per_site_so_the_platform_is_no_fetching_service(world, client, app):
    from cms.ratelimit import RateLimiter

    app.domain_checks = RateLimiter(rate=1e-9, burst=2)  # no refill within the test, however slow
    store, owner = await mag_with_owner(world)
    other_store, other_owner = await mag_with_owner(world, "other")
    session = await signed_in(client, "mag", owner)
    await action(session, "add", DOMAIN)
    point(app, client, port=database.free_port())  # nothing listens there: refused, fast
    for _ in range(2):
        assert (await action(session, "verify", DOMAIN)).code == 400
    page = await action(session, "verify", DOMAIN)
    assert page.code == 429 and "Too many checks" in error_of(page)
    # Another site has its own allowance.
    other = await signed_in(client, "other", other_owner)
    await action(other, "add", "other.example.org")
    point(app, client, "other.example.org", port=database.free_port())
    assert (await action(other, "verify", "other.example.org")).code == 400
