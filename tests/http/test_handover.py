"""One sign-in across sites: the platform hands its session to a site's host with a
one-time token (cms/handlers/handover.py), and signing out on the platform ends
what it handed over."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from tornado.escape import xhtml_escape

from cms.handlers.handover import HANDOVER_EXPIRED, HANDOVER_SIGNED_OUT, HANDOVER_UNKNOWN
from cms.store.changes import PLATFORM
from cms.store.handovers import Handovers
from tests.admin_session import Session, signed_in
from tests.http.test_open_redirect import BYPASSES
from tests.platform_session import Platform, follow_to_site, site_of


def said(response, message: str) -> bool:
    return xhtml_escape(message).encode() in response.body


async def signed_in_on_platform(client, user: dict) -> Platform:
    platform = Platform(client)
    answer = await platform.sign_in(user["email"])
    assert answer.code == 303 and answer.headers["Location"] == "/sites", answer.body[:300]
    return platform


async def open_admin(platform: Platform, name: str, **form: str):
    return await platform.post("/sites/%s/open" % name, form)


@pytest.fixture
async def two_sites(world):
    alpha, beta = await world.site("alpha", title="Alpha Notes"), await world.site("beta", title="Beta Log")
    person = await world.member(alpha, "owner", name="Ada Owner")
    await beta.members.add(person["_id"], "editor")
    return alpha, beta, person


async def test_your_sites_lists_every_membership_and_open_admin_signs_in_there(client, world, two_sites):
    alpha, beta, person = two_sites
    gamma = await world.site("gamma", title="Gamma Not Mine")
    await world.member(gamma, "owner")
    platform = await signed_in_on_platform(client, person)
    sites = await platform.get("/sites")
    assert sites.code == 200
    assert b"Alpha Notes" in sites.body and b"Beta Log" in sites.body and b"Gamma Not Mine" not in sites.body
    assert b'action="/sites/alpha/open"' in sites.body and b'action="/sites/beta/open"' in sites.body
    assert b"suspended" not in sites.body
    await world.sites.suspend(beta.site_id, "Spam reports", "ops@example.com")
    assert b'<span class="role">suspended</span>' in (await platform.get("/sites")).body  # still one click away

    site, landed = await follow_to_site(client, await open_admin(platform, "beta"))
    assert landed.code == 303 and landed.headers["Location"] == "/admin/"
    dashboard = await site.get("/admin/")
    assert dashboard.code == 200 and b"Ada Owner" in dashboard.body and b"editor" in dashboard.body
    # Only that site: the session is good on beta alone.
    assert (await Session(client, "alpha").get("/admin/", headers={"Cookie": "cms_session=" + site.cookies["cms_session"]})).code == 302


async def test_your_sites_needs_a_platform_sign_in(client, two_sites):
    visitor = Platform(client)
    answer = await visitor.get("/sites")
    assert answer.code == 302 and answer.headers["Location"] == "/signin?next=%2Fsites"
    assert (await visitor.post("/sites/alpha/open")).code == 403


async def test_a_token_works_once(client, two_sites):
    platform = await signed_in_on_platform(client, two_sites[2])
    handed = await open_admin(platform, "alpha")
    first, landed = await follow_to_site(client, handed)
    assert landed.code == 303 and (await first.get("/admin/")).code == 200
    # The same link again (from the history, a proxy's log, another browser): refused, nobody signed in.
    again, refused = await follow_to_site(client, handed)
    assert refused.code == 400 and said(refused, HANDOVER_UNKNOWN)
    assert "cms_session" not in again.cookies
    assert (await again.get("/admin/")).code == 302


async def test_a_token_made_for_another_site_is_refused_there_and_stays_good_for_its_own(client, two_sites):
    platform = await signed_in_on_platform(client, two_sites[2])
    handed = await open_admin(platform, "alpha")
    _, path = site_of(handed.headers["Location"], client.port)
    # The person is a member of beta too: still, a token for alpha signs nobody in on beta.
    on_beta = Session(client, "beta")
    refused = await on_beta.get(path)
    assert refused.code == 400 and said(refused, HANDOVER_UNKNOWN)
    assert (await on_beta.get("/admin/")).code == 302
    on_alpha = Session(client, "alpha")
    assert (await on_alpha.get(path)).code == 303 and (await on_alpha.get("/admin/")).code == 200


async def test_an_expired_token_is_refused(client, db, two_sites):
    alpha, _, person = two_sites
    await signed_in_on_platform(client, person)
    platform_session = await db.sessions.find_one({"site_id": PLATFORM, "user_id": person["_id"]})
    token = await Handovers(db, alpha.site_id).issue(person["_id"], platform_session["_id"],
                                                     lifetime=dt.timedelta(seconds=-1))
    site = Session(client, "alpha")
    refused = await site.get("/admin/handover?" + urlencode({"token": token}))
    assert refused.code == 410 and said(refused, HANDOVER_EXPIRED)
    assert (await site.get("/admin/")).code == 302
    # Used up all the same.
    assert await db.handovers.count_documents({}) == 0


@pytest.mark.parametrize("query", ["", "?token=", "?token=nope", "?token=" + "x" * 5000, "?token=%C3%A9t%C3%A9",
                                   "?token=a&token=b"])
async def test_odd_tokens_get_a_clear_4xx_and_sign_nobody_in(client, two_sites, query):
    site = Session(client, "alpha")
    refused = await site.get("/admin/handover" + query)
    assert 400 <= refused.code < 500 and "cms_session" not in site.cookies
    if refused.code == 400:
        assert said(refused, HANDOVER_UNKNOWN)


async def test_only_the_hash_of_a_token_is_stored(client, db, two_sites):
    platform = await signed_in_on_platform(client, two_sites[2])
    handed = await open_admin(platform, "alpha")
    token = parse_qs(urlsplit(handed.headers["Location"]).query)["token"][0]
    stored = await db.handovers.find_one({})
    assert token not in repr(stored) and stored["site_id"] == two_sites[0].site_id


async def test_a_site_you_are_not_a_member_of_is_a_404_like_a_missing_one(client, world, two_sites):
    other = await world.site("other")
    outsider = await world.member(other, "owner")
    platform = await signed_in_on_platform(client, outsider)
    for name in ("alpha", "nosuchsite"):
        assert (await open_admin(platform, name)).code == 404
    assert (await platform.post("/sites/alpha/open", {}, xsrf=False)).code == 403  # XSRF as everywhere


async def test_signing_out_on_the_platform_ends_the_sessions_it_handed_over_and_only_those(client, two_sites):
    alpha, beta, person = two_sites
    platform = await signed_in_on_platform(client, person)
    on_alpha, _ = await follow_to_site(client, await open_admin(platform, "alpha"))
    on_beta, _ = await follow_to_site(client, await open_admin(platform, "beta"))
    elsewhere = await signed_in(client, "alpha", person)  # another browser, signed in on the site itself
    for site in (on_alpha, on_beta, elsewhere):
        assert (await site.get("/admin/")).code == 200
    out = await platform.post("/signout")
    assert out.code == 303 and out.headers["Location"] == "/"
    assert (await platform.get("/sites")).code == 302
    assert (await on_alpha.get("/admin/")).code == 302
    assert (await on_beta.get("/admin/")).code == 302
    assert (await elsewhere.get("/admin/")).code == 200


async def test_a_handover_made_before_signing_out_of_the_platform_no_longer_signs_in(client, two_sites):
    platform = await signed_in_on_platform(client, two_sites[2])
    handed = await open_admin(platform, "alpha")
    await platform.post("/signout")
    site, refused = await follow_to_site(client, handed)
    assert refused.code == 400 and said(refused, HANDOVER_SIGNED_OUT)
    assert (await site.get("/admin/")).code == 302


async def test_next_never_leaves_the_site(client, two_sites):
    platform = await signed_in_on_platform(client, two_sites[2])
    handed = await open_admin(platform, "alpha", next="/admin/posts")
    site, landed = await follow_to_site(client, handed)
    assert landed.headers["Location"] == "/admin/posts"
    for bad in BYPASSES[:8]:
        handed = await open_admin(platform, "alpha", next=bad)
        assert parse_qs(urlsplit(handed.headers["Location"]).query)["next"] == ["/admin/"], bad
    # A next put into the site's link by hand is checked there too.
    handed = await open_admin(platform, "alpha")
    token = parse_qs(urlsplit(handed.headers["Location"]).query)["token"][0]
    landed = await Session(client, "alpha").get("/admin/handover?" + urlencode({"token": token, "next": BYPASSES[0]}))
    assert landed.code == 303 and landed.headers["Location"] == "/admin/"


async def test_platform_pages_let_forms_lead_to_the_sites_hosts_only(client, two_sites):
    platform = await signed_in_on_platform(client, two_sites[2])
    policy = (await platform.get("/sites")).headers["Content-Security-Policy"]
    assert "form-action 'self' *.localhost:*" in policy and "frame-ancestors 'none'" in policy
    site_policy = (await Session(client, "alpha").get("/login")).headers["Content-Security-Policy"]
    assert "form-action 'self';" in site_policy


async def test_a_handed_session_ends_whenever_its_platform_session_is_gone(client, db, two_sites):
    """However the platform session went (idle past its TTL, or a sign-out that ran
    between a handover's check and its new session), the site's session goes with it."""
    platform = await signed_in_on_platform(client, two_sites[2])
    site, _ = await follow_to_site(client, await open_admin(platform, "alpha"))
    assert (await site.get("/admin/")).code == 200
    await db.sessions.delete_one({"site_id": PLATFORM, "user_id": two_sites[2]["_id"]})
    assert await db.sessions.count_documents({"parent": {"$exists": True}}) == 1  # still stored...
    assert (await site.get("/admin/")).code == 302  # ...but good for nothing
