"""Defence in depth: Content-Security-Policy, HSTS behind https, framing.

Reader pages are kept and served to many people, so they can carry no
per-response nonce: they must need none. Every inline style, script and
handler attribute is refused by their policy, so the test reads each page
for any (the browser tests then check that nothing the policy blocks is
asked for).
"""

from __future__ import annotations

import html.parser
import re

import pytest

from cms.store import Sites
from tests.admin_session import signed_in


@pytest.fixture
def settings(settings):
    """Behind the router: ``X-Forwarded-Proto: https`` says the request came over https."""
    settings.trust_proxy = True
    return settings


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    assert header, "no Content-Security-Policy on %s" % response.effective_url
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


class Inline(html.parser.HTMLParser):
    """What a page holds that a policy without 'unsafe-inline' (and without a nonce) refuses."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.found: list[str] = []
        self.nonces: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in attrs:
            if name.startswith("on") or name == "style":
                self.found.append("%s[%s]" % (tag, name))
        if tag == "style" or (tag == "script" and "src" not in attrs
                              and attrs.get("type") != "application/ld+json"):
            if "nonce" in attrs:
                self.nonces.append(attrs["nonce"])
            else:
                self.found.append(tag)
        if tag == "a" and (attrs.get("href") or "").lower().startswith("javascript:"):
            self.found.append("a[href=javascript:]")


def assert_strict(directives: dict[str, list[str]], form_action: tuple[str, ...] = ("'self'",)) -> None:
    assert directives["default-src"] == ["'none'"]
    for name in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in directives[name] and "'unsafe-eval'" not in directives[name]
        assert "'self'" in directives[name]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == list(form_action)
    assert directives["object-src"] == ["'none'"]


@pytest.fixture
async def blog(world):
    store = await world.site("blog", title="Blog")
    owner = await world.member(store, "owner", username="ada")
    await world.post(store, owner, "First", markdown="Hello ![x](/media/x.png)", tags=["news"])
    await world.post(store, owner, "About", type="page")
    return store, owner


READER_PAGES = ["/", "/posts/first", "/tags/news", "/authors/ada", "/about", "/search?q=hello", "/nowhere"]


@pytest.mark.parametrize("theme", ["journal", "magazine", "dusk"])
async def test_reader_pages_have_a_strict_policy_and_nothing_inline(world, client, db, blog, theme):
    store, _ = blog
    await db.sites.update_one({"_id": store.site["_id"]}, {"$set": {"theme": theme}})
    for path in READER_PAGES:
        for attempt in ("rendered", "kept"):  # a kept copy is answered with the same headers
            response = await client.get("blog", path)
            assert response.code in (200, 404), path
            directives = policy(response)
            assert_strict(directives)
            assert directives["frame-ancestors"] == ["'self'"], path
            assert not any(v.startswith("'nonce-") for values in directives.values() for v in values)
            page = Inline(response.body.decode())
            assert page.found == [] and page.nonces == [], (theme, path, attempt, page.found)
            assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
            assert "Strict-Transport-Security" not in response.headers  # plain http: no HSTS


async def test_the_site_stylesheet_carries_the_accent_and_changes_its_url_with_it(world, client, db, blog):
    """The theme's inline accent <style> is a served file now, versioned by its content."""
    store, _ = blog
    sites = Sites(db)
    beta = await world.site("beta", theme="magazine")
    await sites.update_theme(beta.site["_id"], "magazine", {"accent_color": "#123456"})

    async def stylesheet(site: str) -> str:
        body = (await client.get(site, "/")).body
        found = re.search(rb'<link rel="stylesheet" href="(/site\.css\?v=[0-9a-f]+)">', body)
        assert found, body[:2000]
        return found.group(1).decode()

    first = await stylesheet("blog")
    css = await client.get("blog", first)
    assert css.code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert "--accent: #3b5bdb" in css.body.decode()
    assert "max-age=31536000" in css.headers["Cache-Control"]
    # Each host gets its own site's colours, whatever the URL names.
    other = await client.get("beta", first)
    assert "--accent: #123456" in other.body.decode() and "#3b5bdb" not in other.body.decode()
    assert "max-age=31536000" not in other.headers.get("Cache-Control", "")  # not the version it names
    assert (await client.get("beta", await stylesheet("beta"))).body == other.body

    await sites.update_theme(store.site["_id"], "journal", {"accent_color": "#abcdef"})
    second = await stylesheet("blog")
    assert second != first
    assert "--accent: #abcdef" in (await client.get("blog", second)).body.decode()
    assert (await client.get("nowhere", first)).code == 404


async def test_module_styles_are_linked_files_not_inline(world, client, db, blog):
    store, _ = blog
    await Sites(db).update_theme(store.site["_id"], "magazine")  # its sidebar has the TagCloud and RecentPosts
    body = (await client.get("blog", "/")).body.decode()
    linked = re.findall(r'<link href="(/modules/[a-z_]+\.css\?v=[0-9a-f]+)" type="text/css" rel="stylesheet"/?>', body)
    assert "/modules/tag_cloud.css" in " ".join(linked), body[:3000]
    for url in linked:
        response = await client.get("blog", url)
        assert response.code == 200 and response.headers["Content-Type"].startswith("text/css")
    assert (await client.get("blog", "/modules/..%2Fbase.py")).code == 404
    assert (await client.get("blog", "/modules/nothing.css")).code == 404


async def test_admin_pages_forbid_framing_and_have_a_strict_policy(client, blog):
    _, owner = blog
    session = await signed_in(client, "blog", owner)
    for path in ["/login", "/admin/", "/admin/posts/new", "/admin/theme", "/admin/account"]:
        response = await session.get(path)
        assert response.code in (200, 302), path
        directives = policy(response)
        assert_strict(directives)
        assert directives["frame-ancestors"] == ["'none'"], path
        assert response.headers["X-Frame-Options"] == "DENY"
        nonces = [v[len("'nonce-"):-1] for v in directives["style-src"] if v.startswith("'nonce-")]
        page = Inline(response.body.decode())
        assert page.found == [], (path, page.found)
        assert set(page.nonces) <= set(nonces), path


async def test_platform_pages_have_a_policy_and_a_fresh_nonce_for_their_inline_style(client):
    seen = set()
    for _ in range(2):
        for host, path in [("localhost", "/"), ("unknown.example.org", "/")]:
            response = await client.fetch(host, path)
            directives = policy(response)
            # The platform's forms (start a site, open its admin) end on the sites' hosts.
            assert_strict(directives, ("'self'", "*.localhost:*") if host == "localhost" else ("'self'",))
            page = Inline(response.body.decode())
            assert page.found == []
            nonces = [v[len("'nonce-"):-1] for v in directives["style-src"] if v.startswith("'nonce-")]
            assert page.nonces and set(page.nonces) <= set(nonces)
            assert not seen & set(nonces)
            seen.update(nonces)


async def test_hsts_only_when_the_request_came_over_https(client, blog):
    secure = await client.get("blog", "/", headers={"X-Forwarded-Proto": "https"})
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in (await client.get("blog", "/")).headers
    login = await client.get("blog", "/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in login.headers
