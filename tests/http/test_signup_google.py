"""Starting a blog with Google on the platform, over HTTP against the local stand-in
for Google (tests/google_standin.py): sign up, create a site, land in its admin,
publish, read it, sign out."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest
from tornado.escape import xhtml_escape
from tornado.httpclient import AsyncHTTPClient

from cms.app import make_app
from cms.handlers.auth import GOOGLE_NOT_MEMBER, GOOGLE_UNVERIFIED
from cms.handlers.platform import CLOSED_GOOGLE, INVITE_ONLY_GOOGLE
from cms.store import Users
from cms.store.signup import SignupCodes
from tests.admin_session import form
from tests.conftest import TEST_PASSWORD
from tests.google_standin import CLIENT_ID, CLIENT_SECRET, GoogleStandIn
from tests.platform_session import Platform, follow_to_site


@pytest.fixture
async def google():
    standin = GoogleStandIn()
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
async def app(settings, db, google):
    settings.google_client_id = CLIENT_ID
    settings.google_client_secret = CLIENT_SECRET
    app = make_app(settings, db, google_oauth_urls=google.urls)
    app.page_cache.render_budget = 30.0  # as tests/conftest.py's app: a loaded machine renders slowly
    yield app
    app.changes.stop()


async def through_google(platform: Platform, google: GoogleStandIn, next: str = "/new", **extra: str):
    """The browser's trip: our /auth/google -> Google -> back to our callback."""
    start = await platform.get("/auth/google?" + urlencode({"next": next, **extra}))
    assert start.code == 302 and start.headers["Location"].startswith(google.urls["authorize"] + "?")
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A" in start.headers["Location"]
    at_google = await AsyncHTTPClient().fetch(start.headers["Location"], follow_redirects=False, raise_error=False)
    back = urlsplit(at_google.headers["Location"])
    return await platform.get(back.path + "?" + back.query)


async def test_a_newcomer_starts_a_blog_with_google_publishes_and_signs_out(client, db, google):
    google.sign_in_as("grace@example.com", sub="google-grace", name="Grace Hopper")
    platform = Platform(client)
    landing = await platform.get("/")
    assert b'href="/signup"' in landing.body
    signup = await platform.get("/signup")
    assert b'href="/auth/google?next=%2Fnew"' in signup.body
    back = await through_google(platform, google)
    assert back.code == 303 and back.headers["Location"] == "/new"
    user = await Users(db).by_email("grace@example.com")
    assert user["name"] == "Grace Hopper" and user["google_sub"] == "google-grace"

    made = await platform.post("/new", {"name": "compilers", "title": "On Compilers", "theme": "journal"})
    site, landed = await follow_to_site(client, made, platform=platform)
    assert landed.headers["Location"] == "/admin/"
    assert b"Grace Hopper" in (await site.get("/admin/")).body
    saved = await site.post("/admin/posts/new", form(title="The first bug", markdown="It was a moth.",
                                                     state="published"))
    assert saved.code == 303, saved.body[:300]
    reader = await client.get("compilers", "/posts/the-first-bug")
    assert reader.code == 200 and b"It was a moth." in reader.body

    assert (await platform.post("/signout")).code == 303
    assert (await site.get("/admin/")).code == 302  # the site's session ended with the platform's
    # Signing in again with Google finds the same account and its site.
    again = Platform(client)
    assert (await through_google(again, google, next="/sites")).headers["Location"] == "/sites"
    assert b"On Compilers" in (await again.get("/sites")).body
    assert await db.users.count_documents({}) == 1


async def test_an_existing_account_signs_in_with_google_by_its_verified_address(client, db, world, google):
    person = await world.users.create("ada@example.com", TEST_PASSWORD, name="Ada")
    google.sign_in_as("ada@example.com", sub="google-ada")
    platform = Platform(client)
    assert (await through_google(platform, google, next="/sites")).code == 303
    assert (await Users(db).by_id(person["_id"]))["google_sub"] == "google-ada"
    assert await db.users.count_documents({}) == 1


async def test_google_refusals_are_clear_and_sign_nobody_in(client, db, world, settings, google):
    await world.users.create("taken@example.com", TEST_PASSWORD)
    await Users(db).link_google((await Users(db).by_email("taken@example.com"))["_id"], "google-first")
    cases = [
        ("new@example.com", "google-new", False, GOOGLE_UNVERIFIED),
        ("taken@example.com", "google-second", True, GOOGLE_NOT_MEMBER),  # the address is tied to another
    ]
    for email, sub, verified, message in cases:
        google.sign_in_as(email, sub=sub, verified=verified)
        platform = Platform(client)
        refused = await through_google(platform, google)
        assert refused.code == 401 and xhtml_escape(message).encode() in refused.body
        assert (await platform.get("/sites")).code == 302
    settings.signup = "closed"
    google.sign_in_as("late@example.com", sub="google-late")
    platform = Platform(client)
    refused = await through_google(platform, google)
    assert refused.code == 401 and xhtml_escape(CLOSED_GOOGLE).encode() in refused.body
    assert await db.users.count_documents({}) == 1


async def test_an_unconfirmed_sign_up_is_never_joined_to_google_its_password_is_dropped(client, db, google):
    """The takeover of issue 10 on the platform: someone signs up with another person's
    address and never confirms; the address's owner arrives with Google."""
    squatter = Platform(client)
    await squatter.get("/signup")
    made = await squatter.post("/signup", {"email": "owner@example.com", "password": "the squatter's pass"})
    assert made.code == 200
    google.sign_in_as("owner@example.com", sub="google-owner")
    owner = Platform(client)
    back = await through_google(owner, google, next="/sites")
    assert back.code == 303 and back.headers["Location"] == "/sites?notice=password-removed"
    assert b"it is removed" in (await owner.get(back.headers["Location"])).body
    user = await Users(db).by_email("owner@example.com")
    assert user["google_sub"] == "google-owner" and not user.get("password_hash")
    refused = await squatter.sign_in("owner@example.com", "the squatter's pass")
    assert refused.code == 401 and (await squatter.get("/sites")).code == 302


async def test_invite_only_google_makes_an_account_only_with_a_code(client, db, settings, google):
    settings.signup = "invite"
    code = await SignupCodes(db).create()
    google.sign_in_as("stranger@example.com", sub="google-stranger", name="Stranger")
    signup = await Platform(client).get("/signup")
    assert b'action="/auth/google"' in signup.body and b'name="invite"' in signup.body
    stranger = await through_google(Platform(client), google)
    assert stranger.code == 401 and xhtml_escape(INVITE_ONLY_GOOGLE).encode() in stranger.body
    wrong = await through_google(Platform(client), google, invite="not-a-code")
    assert wrong.code == 401 and await db.users.count_documents({}) == 0
    invited = Platform(client)
    back = await through_google(invited, google, invite=code)
    assert back.code == 303 and back.headers["Location"] == "/new"
    assert await db.users.count_documents({}) == 1 and await SignupCodes(db).is_open(code)
    assert ('value="%s"' % code).encode() in (await invited.get("/new")).body  # no need to type it twice
