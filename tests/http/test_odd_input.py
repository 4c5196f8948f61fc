"""No input may cause a 500: odd paths, queries and forms get a 4xx with a message.

The known cases first (each was a 500 once); then a property-based test
throws generated values at every route's path, query and form parameters
(and at the headers and cookies the application reads), as a visitor, as the
signed-in owner with a valid XSRF token and on the platform's own host, and
fails on any 5xx. It is derandomized: CI throws the same values every run.
"""

from __future__ import annotations

import inspect
import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from tornado.routing import HostMatches

from cms.app import SLUG
from cms.handlers import auth
from cms.themes import registry
from tests.admin_session import Session, signed_in
from tests.conftest import TEST_PASSWORD

PAGED = ["/", "/tags/news", "/authors/ada", "/search?q=body"]


@pytest.fixture
async def blog(world):
    store = await world.site("blog")
    author = await world.member(store, "owner", username="ada")
    await world.post(store, author, "First", tags=["news"])
    return store


@pytest.mark.parametrize("path", ["/static/journal/style%00.css", "/static/%00", "/static/journal/%00/x.css",
                                  "/static/journal%00/style.css"])
async def test_a_nul_byte_in_a_static_path_is_a_404(blog, client, path):
    response = await client.get("blog", path)
    assert response.code == 404


@pytest.mark.parametrize("path", PAGED)
@pytest.mark.parametrize("page", ["9" * 5000, "٣", "²", "0", "-1", "1e3", "1.0"])
async def test_an_odd_page_number_is_a_404(blog, client, path, page):
    separator = "&" if "?" in path else "?"
    response = await client.get("blog", "%s%spage=%s" % (path, separator, quote(page)))
    assert response.code == 404, (path, page[:20])


async def test_a_password_longer_than_bcrypt_takes_is_refused_not_a_500(blog, client, world):
    """bcrypt reads at most 72 bytes (and refuses more): found by the generated requests below."""
    owner = await world.member(blog, "owner")
    session = Session(client, "blog")
    await session.get("/login")
    response = await session.post("/login", {"email": owner["email"], "password": "é" * 40})
    assert response.code == 401 and b"do not match" in response.body
    session = await signed_in(client, "blog", owner)
    response = await session.post("/admin/account", {"action": "password", "current_password": "x" * 100,
                                                      "new_password": "ü" * 50, "confirm_password": "ü" * 50})
    assert response.code == 400
    response = await session.post("/admin/account", {
        "action": "password", "current_password": TEST_PASSWORD,
        "new_password": "long password " * 6, "confirm_password": "long password " * 6})
    assert response.code == 400 and b"too long" in response.body
    assert (await signed_in(client, "blog", owner)).cookies  # the old password still works


# --- every route, generated input ----------------------------------------------------------

# Budget: EXAMPLES requests for the visitor and for the owner, a quarter of it on the
# platform (a few ms a request on the embedded database): about 20 s on a loaded 2-core machine.
EXAMPLES = 400
PARAMETER = re.compile(r"""\bget\w*\(\s*["']([A-Za-z_][\w.]*)["']""")
IN_ROUTE = re.compile(r"\((?!\?)((?:[^()]|\((?:[^()])*\))*)\)")
# What would end the signed-in session mid-run (each is a request of the visitors' run too).
ENDS_THE_SESSION = {(auth.LogoutHandler, "POST"), (auth.SessionsHandler, "POST")}


def parameter_names(handler: type) -> list[str]:
    """The parameters ``handler`` reads (its source and its bases' in cms, and the
    module-level helpers it calls), plus the theme settings' fields: a new
    handler's fields are covered without editing this test."""
    names = set()
    for cls in handler.__mro__:
        if cls.__module__.startswith("cms."):
            names.update(PARAMETER.findall(inspect.getsource(inspect.getmodule(cls))))
    for theme in registry().themes():
        for key, spec in theme.settings_schema.items():
            names.add("setting." + key)
            if spec["type"] == "links":
                names.update({"setting.%s.label" % key, "setting.%s.url" % key})
    return sorted(names)


def platform_rules(app) -> list:
    """The routes of the bare base domain (a host rule of the application's default router)."""
    return next(rule.target.rules for rule in app.default_router.rules if isinstance(rule.matcher, HostMatches))


def endpoints(rules) -> list[tuple[str, type, str]]:
    """(path regex, handler, method) of every route of ``rules``, each implemented method."""
    found = []
    for rule in rules:
        handler = rule.target
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            implementation = getattr(handler, method.lower(), None)
            if implementation is None or getattr(implementation, "__qualname__", "").startswith("RequestHandler."):
                continue
            found.append((rule.matcher.regex.pattern, handler, method))
    return found


text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
value = st.one_of(
    text,
    st.integers(0, 6000).map(lambda n: "7" * n),  # numbers too long for int()
    st.binary(max_size=20),  # not UTF-8 at all
    st.sampled_from(["", "0", "-1", "9" * 5000, "1e9", "²", "null", "[]", "{}", "true", "a" * 300,
                     "0" * 24, "f" * 24, "$where", "{\"$gt\": \"\"}", "//evil.example/", "/\t/evil.example",
                     "/admin/\r\nX: y", "../../etc/passwd", "javascript:alert(1)"]),
)

# Request headers the application reads itself (cookies included: a session or an
# XSRF cookie may be forged or torn), with printable values HTTP can carry.
HEADERS = ["Cookie", "Accept-Encoding", "If-None-Match", "If-Modified-Since", "Range", "Origin",
           "X-XSRFToken", "Referer", "User-Agent", "Accept-Language"]
COOKIES = ["cms_session", "_xsrf", "cms_oauth"]
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
header_value = st.one_of(
    header_text,
    st.sampled_from(["", "*", "gzip;q=x", "bytes=9999999999999-", "bytes=-0", "2|0|0|0", "2|1:0|10:0|4:x|0",
                     "W/", "," * 50, "Thu, 01 Jan 1970 00:00:00 GMT", "null"]),
)
headers_strategy = st.dictionaries(
    st.sampled_from(HEADERS), header_value, max_size=2
).flatmap(lambda headers: st.dictionaries(st.sampled_from(COOKIES), header_text, max_size=2).map(
    lambda cookies: {**headers, **({"Cookie": "; ".join("%s=%s" % c for c in cookies.items())} if cookies else {})}))


def path_strategy(pattern: str, known: dict[str, list[str]]) -> st.SearchStrategy[str]:
    """Paths the route matches: generated from its regex, or with known-good values in its groups."""
    generated = st.from_regex(pattern, fullmatch=True).map(lambda p: quote(p, safe="/"))
    path = pattern.rstrip("$")
    parts: list[st.SearchStrategy[str]] = []
    position = 0
    for found in IN_ROUTE.finditer(path):
        good = [v for v in known.get(found.group(1), []) if re.fullmatch(found.group(1), v)]
        if not good:
            return generated
        parts += [st.just(path[position:found.start()]), st.sampled_from(good)]
        position = found.end()
    parts.append(st.just(path[position:]))
    concrete = st.tuples(*parts).map(lambda bits: re.sub(r"\\(.)", r"\1", "".join(bits)).replace("/?", "/"))
    return st.one_of(concrete, generated)


def request_strategy(rules, known: dict[str, list[str]], skip: set) -> st.SearchStrategy:
    """(path, method), query fields, form fields (the fields the route's handler reads), headers."""
    routes = []
    for pattern, handler, method in endpoints(rules):
        if (handler, method) in skip:
            continue
        fields = st.dictionaries(st.sampled_from(parameter_names(handler)), value, max_size=4)
        routes.append(st.tuples(st.tuples(path_strategy(pattern, known), st.just(method)), fields, fields,
                                st.one_of(st.just({}), headers_strategy)))
    return st.one_of(routes)


def encode(fields: dict) -> str:
    return urlencode(fields)


async def throw(session: Session, request) -> None:
    """Send one generated request with the session's cookies (and any generated ones after them)."""
    (path, method), query, form, headers = request
    url = path + ("?" + encode(query) if query else "")
    headers = dict(headers)
    cookies = "; ".join("%s=%s" % item for item in session.cookies.items())
    headers["Cookie"] = "; ".join(c for c in (cookies, headers.get("Cookie", "")) if c)
    body = None
    if method != "GET":
        body = encode({**form, "_xsrf": session.xsrf})
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    response = await session.client.fetch(session.host, url, method=method, body=body, headers=headers,
                                          allow_nonstandard_methods=True)
    session._remember(response)
    assert response.code < 500, (method, url, body and body[:300], headers, response.code)


@pytest.fixture
async def scene(world, client):
    alpha = await world.site("alpha")
    await world.site("beta")
    owner = await world.member(alpha, "owner", username="ada")
    editor = await world.member(alpha, "editor", username="bob")
    post = await world.post(alpha, owner, "Guarded", tags=["news"])
    page = await world.post(alpha, owner, "About", type="page")
    draft = await world.post(alpha, editor, "Draft", status="draft")
    _token, invitation = await alpha.invitations.create("new@example.com", "author", owner["_id"])
    ids = [str(post["_id"]), str(page["_id"]), str(draft["_id"]), str(editor["_id"]), str(invitation["_id"])]
    known = {SLUG[1:-1]: ["guarded", "about", "news", "ada", "bob"], "[0-9a-f]{24}": ids, "new|[0-9a-f]{24}": ids + ["new"],
             "posts|pages": ["posts", "pages"], ".+": ["journal/style.css", "admin.css"]}
    return {"owner": owner, "known": known}


SETTINGS = dict(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
                phases=[Phase.explicit, Phase.generate, Phase.shrink])


@settings(**SETTINGS)
@given(data=st.data())
async def test_no_generated_request_is_a_5xx_for_a_visitor(app, client, scene, data):
    if "visitor" not in scene:  # once per test: hypothesis runs the examples with the same fixtures
        scene["visitor"] = Session(client, "alpha")
        await scene["visitor"].get("/login")  # an XSRF cookie, so forms reach the handlers' own checks
        scene["requests"] = request_strategy(app.wildcard_router.rules, scene["known"], set())
    await throw(scene["visitor"], data.draw(scene["requests"]))


@settings(**SETTINGS)
@given(data=st.data())
async def test_no_generated_request_is_a_5xx_for_the_owner(app, client, scene, data):
    if "owner_session" not in scene:
        scene["owner_session"] = await signed_in(client, "alpha", scene["owner"])
        scene["requests"] = request_strategy(app.wildcard_router.rules, scene["known"], ENDS_THE_SESSION)
    owner = scene["owner_session"]
    await throw(owner, data.draw(scene["requests"]))
    assert "cms_session" in owner.cookies  # still signed in: the handlers' own checks really ran


@settings(**{**SETTINGS, "max_examples": EXAMPLES // 4})  # the platform has few routes yet
@given(data=st.data())
async def test_no_generated_request_is_a_5xx_on_the_platform(app, client, scene, data):
    if "platform" not in scene:
        scene["platform"] = Session(client, "alpha")
        scene["platform"].host = "localhost"  # the bare base domain
        await scene["platform"].get("/")
        scene["platform_requests"] = request_strategy(platform_rules(app), scene["known"], set())
    await throw(scene["platform"], data.draw(scene["platform_requests"]))
