"""Signing in with Google, end to end against the local stand-in for Google's endpoints.

The application runs with a client id and secret, and its `google_oauth_urls`
point at `tests.google_standin`, a real HTTP server on loopback; each test
follows the redirects a browser would.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from tornado.escape import xhtml_escape
from tornado.httpclient import AsyncHTTPClient

from cms.app import make_app
from cms.handlers.auth import GOOGLE_NOT_MEMBER, GOOGLE_STALE, GOOGLE_UNVERIFIED
from cms.store import Users
from tests.admin_session import Session
from tests.google_standin import CLIENT_ID, CLIENT_SECRET, GoogleStandIn
from tests.http.test_open_redirect import BYPASSES


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
    return make_app(settings, db, google_oauth_urls=google.urls)


async def callback_from_google(session: Session, google: GoogleStandIn, next: str = "/admin/"):
    """Our /auth/google -> Google: the callback URL Google sends the browser back to."""
    start = await session.get("/auth/google?" + urlencode({"next": next}))
    assert start.code == 302, start.body
    to_google = start.headers["Location"]
    assert to_google.startswith(google.urls["authorize"] + "?")
    at_google = await AsyncHTTPClient().fetch(to_google, follow_redirects=False, raise_error=False)
    assert at_google.code == 302
    return urlsplit(at_google.headers["Location"])


async def google_round_trip(session: Session, google: GoogleStandIn, next: str = "/admin/"):
    """What a browser does: our /auth/google -> Google -> back to our callback."""
    back = await callback_from_google(session, google, next)
    return await session.get(back.path + "?" + back.query)


async def test_the_sign_in_button_leads_to_google_with_state_and_this_hosts_redirect_uri(client, world, google):
    for name in ("alpha", "beta"):
        await world.site(name)
        session = Session(client, name)
        page = await session.get("/login")
        assert b'href="/auth/google?next=' in page.body and b"Sign in with Google" in page.body
        start = await session.get("/auth/google")
        query = parse_qs(urlsplit(start.headers["Location"]).query)
        assert query["redirect_uri"] == ["http://%s.localhost:%d/auth/google" % (name, client.port)]
        assert query["client_id"] == [CLIENT_ID] and len(query["state"][0]) >= 20
        assert "email" in query["scope"][0]


async def test_a_member_signs_in_with_google_and_the_subject_is_kept(client, world, db, google):
    alpha = await world.site("alpha", title="Alpha Blog")
    member = await world.member(alpha, "editor", email="ed@example.com", name="Ed Itor")
    google.sign_in_as("ed@example.com", sub="google-sub-1")
    session = Session(client, "alpha")
    done = await google_round_trip(session, google, next="/admin/posts")
    assert done.code == 303 and done.headers["Location"] == "/admin/posts"
    dashboard = await session.get("/admin/")
    assert dashboard.code == 200 and b"Ed Itor" in dashboard.body
    assert (await Users(db).by_id(member["_id"]))["google_sub"] == "google-sub-1"
    assert await db.sessions.count_documents({"user_id": member["_id"], "site_id": alpha.site_id}) == 1

    # Later the Google account's address changes: the subject still finds the person.
    google.sign_in_as("ed.new@example.org", sub="google-sub-1")
    again = Session(client, "alpha")
    assert (await google_round_trip(again, google)).code == 303
    assert (await again.get("/admin/")).code == 200


async def test_a_google_account_that_is_not_a_member_here_is_refused_without_saying_more(client, world, google):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    await world.member(alpha, "owner")
    await world.member(beta, "owner", email="elsewhere@example.com")
    for email, sub in (("elsewhere@example.com", "sub-beta"), ("nobody@example.com", "sub-none")):
        google.sign_in_as(email, sub=sub)
        session = Session(client, "alpha")
        refused = await google_round_trip(session, google)
        assert refused.code == 401
        assert xhtml_escape(GOOGLE_NOT_MEMBER).encode() in refused.body
        assert b"beta" not in refused.body
        assert (await session.get("/admin/")).code == 302  # not signed in


async def test_an_unverified_google_email_does_not_sign_in(client, world, google):
    alpha = await world.site("alpha")
    await world.member(alpha, "owner", email="owner@example.com")
    google.sign_in_as("owner@example.com", sub="sub-x", verified=False)
    session = Session(client, "alpha")
    refused = await google_round_trip(session, google)
    assert refused.code == 401 and xhtml_escape(GOOGLE_UNVERIFIED).encode() in refused.body
    assert (await session.get("/admin/")).code == 302


async def test_the_state_must_come_back_to_the_browser_that_started(client, world, google):
    alpha = await world.site("alpha")
    await world.member(alpha, "owner", email="owner@example.com")
    google.sign_in_as("owner@example.com", sub="sub-o")
    attacker = Session(client, "alpha")
    callback = await callback_from_google(attacker, google)
    # A victim's browser is made to open the attacker's callback: no state cookie there.
    victim = Session(client, "alpha")
    refused = await victim.get(callback.path + "?" + callback.query)
    assert refused.code == 400 and xhtml_escape(GOOGLE_STALE).encode() in refused.body
    assert (await victim.get("/admin/")).code == 302
    # And a forged state is refused even with the cookie.
    query = parse_qs(callback.query)
    forged = await attacker.get("/auth/google?" + urlencode({"code": query["code"][0], "state": "forged"}))
    assert forged.code == 400


async def test_an_open_invitation_lets_a_new_google_account_join(client, world, db, google):
    alpha = await world.site("alpha")
    owner = await world.member(alpha, "owner")
    await alpha.invitations.create("new.person@example.com", "author", owner["_id"])
    google.sign_in_as("new.person@example.com", sub="sub-new", name="New Person")
    session = Session(client, "alpha")
    assert (await google_round_trip(session, google)).code == 303
    page = await session.get("/admin/")
    assert page.code == 200 and b"New Person" in page.body
    user = await Users(db).by_email("new.person@example.com")
    assert user["google_sub"] == "sub-new" and await alpha.members.role_of(user["_id"]) == "author"
    assert await alpha.invitations.pending() == []  # used up


async def test_a_code_works_once(client, world, google):
    alpha = await world.site("alpha")
    await world.member(alpha, "owner", email="owner@example.com")
    google.sign_in_as("owner@example.com", sub="sub-o")
    session = Session(client, "alpha")
    callback = await callback_from_google(session, google)
    cookies = dict(session.cookies)
    assert (await session.get(callback.path + "?" + callback.query)).code == 303
    replay = Session(client, "alpha")
    replay.cookies = cookies  # even with the state cookie, Google refuses the used code
    assert (await replay.get(callback.path + "?" + callback.query)).code == 502


async def test_google_sign_in_never_redirects_off_the_site(client, world, google):
    alpha = await world.site("alpha")
    await world.member(alpha, "owner", email="owner@example.com")
    google.sign_in_as("owner@example.com", sub="sub-o")
    for target in BYPASSES:
        done = await google_round_trip(Session(client, "alpha"), google, next=target)
        assert done.code == 303 and done.headers["Location"] == "/admin/", target
