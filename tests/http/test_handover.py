"""One sign-in across sites: the platform hands its session to a site's host with a
one-time token (cms/handlers/handover.py), and signing out on the platform ends
what it handed over."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from tornado.escape import xhtml_escape

from cms.handlers.handover import HANDOVER_EXPIRED, HANDOVER_OTHER_BROWSER, HANDOVER_SIGNED_OUT, HANDOVER_UNKNOWN
from cms.store.changes import PLATFORM
from cms.store.handovers import Handovers
from tests.admin_session import Session, signed_in
from tests.http.test_open_redirect import BYPASSES
from tests.platform_session import Platform, follow_to_site, platform_path, site_of


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

    site, landed = await follow_to_site(client, await open_admin(platform, "beta"), platform=platform)
    assert landed.code == 303 and landed.headers["Location"] == "/admin/"
    dashboard = await site.get("/admin/")
    assert dashboard.code == 200 and b"Ada Owner" in dashboard.body and b"editor" in dashboard.body
    # Only that site: the session is good on beta alone.
    assert (await Session(client, "alpha").get("/admin/", headers={"Cookie": "cms_session=" + site.cookies["cms_session"]})).code == 302


async def handed_link(client, platform: Platform, name: str, **form: str) -> tuple[Session, str]:
    """The browser's site jar (holding its nonce) and the ``/admin/handover?token=...`` link
    that a person's own "Open admin" ends on, not yet followed (what an attacker would copy
    out of their own browser instead)."""
    answer = await open_admin(platform, name, **form)
    _, path = site_of(answer.headers["Location"], client.port)
    site = Session(client, name)
    started = await site.get(path)  # the site starts the flow in the person's own browser
    assert started.code == 302 and "cms_handover" in site.cookies
    asked = await platform.get(platform_path(started.headers["Location"]))
    _, path = site_of(asked.headers["Location"], client.port)
    assert path.startswith("/admin/handover?"), path
    return site, path


async def token_link(client, platform: Platform, name: str) -> str:
    return (await handed_link(client, platform, name))[1]


async def test_a_token_for_your_own_site_does_not_sign_a_victim_into_it(client, world, two_sites):
    """Login fixation: the attacker, owner of alpha, makes a handover link for alpha and
    sends it to a victim; opened in the victim's browser it must sign nobody in there
    (else the victim writes into the attacker's site as the attacker)."""
    alpha, _, attacker = two_sites
    link = await token_link(client, await signed_in_on_platform(client, attacker), "alpha")
    victim = Session(client, "alpha")
    refused = await victim.get(link)
    assert refused.code == 400 and said(refused, HANDOVER_OTHER_BROWSER)
    assert "cms_session" not in victim.cookies
    assert (await victim.get("/admin/")).code == 302
    # Nor when the victim's browser has a flow of its own under way on that site.
    victim_person = await world.member(alpha, "editor", name="Vic Tim")
    mine = await signed_in_on_platform(client, victim_person)
    started = await victim.get("/admin/handover/start?next=/admin/")
    assert started.code == 302 and "cms_session" not in victim.cookies
    link = await token_link(client, await signed_in_on_platform(client, attacker), "alpha")
    refused = await victim.get(link)
    assert refused.code == 400 and said(refused, HANDOVER_OTHER_BROWSER) and "cms_session" not in victim.cookies
    assert mine.cookies  # (the victim's own platform sign-in is untouched)


async def test_your_sites_needs_a_platform_sign_in(client, two_sites):
    visitor = Platform(client)
    answer = await visitor.get("/sites")
    assert answer.code == 302 and answer.headers["Location"] == "/signin?next=%2Fsites"
    assert (await visitor.post("/sites/alpha/open")).code == 403


async def test_a_token_works_once(client, two_sites):
    platform = await signed_in_on_platform(client, two_sites[2])
    first, link = await handed_link(client, platform, "alpha")
    landed = await first.get(link)
    assert landed.code == 303 and (await first.get("/admin/")).code == 200
    assert "cms_handover" not in first.cookies  # the nonce is spent with it
    # The same link again (from the history, a proxy's log, another browser): refused, nobody signed in.
    again = Session(client, "alpha")
    nonce = next(header for header in first.set_cookie_headers if header.startswith("cms_handover=\""))
    again.cookies["cms_handover"] = nonce.split(";")[0].split("=", 1)[1]  # even with a copy of the nonce
    refused = await again.get(link)
    assert refused.code == 400 and said(refused, HANDOVER_UNKNOWN)
    assert "cms_session" not in again.cookies
    assert (await again.get("/admin/")).code == 302


async def test_a_token_made_for_another_site_is_refused_there_and_stays_good_for_its_own(client, two_sites):
    platform = await signed_in_on_platform(client, two_sites[2])
    on_alpha, path = await handed_link(client, platform, "alpha")
    # The person is a member of beta too: still, a token for alpha signs nobody in on beta.
    on_beta, _ = await handed_link(client, platform, "beta")  # (a nonce of beta's own in this browser)
    refused = await on_beta.get(path)
    assert refused.code == 400 and said(refused, HANDOVER_UNKNOWN)
    assert (await on_beta.get("/admin/")).code == 302
    assert (await on_alpha.get(path)).code == 303 and (await on_alpha.get("/admin/")).code == 200


async def test_an_expired_token_is_refused(client, db, two_sites):
    alpha, _, person = two_sites
    await signed_in_on_platform(client, person)
    platform_session = await db.sessions.find_one({"site_id": PLATFORM, "user_id": person["_id"]})
    site = Session(client, "alpha")
    state = parse_qs(urlsplit((await site.get("/admin/handover/start")).headers["Location"]).query)["state"][0]
    token = await Handovers(db, alpha.site_id).issue(person["_id"], platform_session["_id"], state,
                                                     lifetime=dt.timedelta(seconds=-1))
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
    site, link = await handed_link(client, platform, "alpha")
    token = parse_qs(urlsplit(link).query)["token"][0]
    stored = await db.handovers.find_one({})
    assert token not in repr(stored) and stored["site_id"] == two_sites[0].site_id
    state = [header for header in site.set_cookie_headers if header.startswith("cms_handover=")]
    assert state and stored["state_hash"] != state[0]  # the nonce is kept as a hash too


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
    on_alpha, _ = await follow_to_site(client, await open_admin(platform, "alpha"), platform=platform)
    on_beta, _ = await follow_to_site(client, await open_admin(platform, "beta"), platform=platform)
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
    site, link = await handed_link(client, platform, "alpha")
    await platform.post("/signout")
    refused = await site.get(link)
    assert refused.code == 400 and said(refused, HANDOVER_SIGNED_OUT)
    assert (await site.get("/admin/")).code == 302


async def test_next_never_leaves_the_site(client, two_sites):
    platform = await signed_in_on_platform(client, two_sites[2])
    handed = await open_admin(platform, "alpha", next="/admin/posts")
    site, landed = await follow_to_site(client, handed, platform=platform)
    assert landed.headers["Location"] == "/admin/posts"
    for bad in BYPASSES[:8]:
        handed = await open_admin(platform, "alpha", next=bad)
        assert parse_qs(urlsplit(handed.headers["Location"]).query)["next"] == ["/admin/"], bad
    # A next put into the site's start, or its token link, by hand is checked there too.
    started = await site.get("/admin/handover/start?" + urlencode({"next": BYPASSES[0]}))
    assert parse_qs(urlsplit(started.headers["Location"]).query)["next"] == ["/admin/"]
    site, link = await handed_link(client, platform, "alpha")
    token = parse_qs(urlsplit(link).query)["token"][0]
    landed = await site.get("/admin/handover?" + urlencode({"token": token, "next": BYPASSES[0]}))
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
    site, _ = await follow_to_site(client, await open_admin(platform, "alpha"), platform=platform)
    assert (await site.get("/admin/")).code == 200
    await db.sessions.delete_one({"site_id": PLATFORM, "user_id": two_sites[2]["_id"]})
    assert await db.sessions.count_documents({"parent": {"$exists": True}}) == 1  # still stored...
    assert (await site.get("/admin/")).code == 302  # ...but good for nothing


async def test_sign_in_with_your_platform_account_from_the_sites_sign_in_page(client, two_sites):
    platform = await signed_in_on_platform(client, two_sites[2])
    site = Session(client, "alpha")
    page = await site.get("/login?next=/admin/posts")
    assert page.code == 200 and b'href="/admin/handover/start?next=%2Fadmin%2Fposts"' in page.body
    started = await site.get("/admin/handover/start?next=%2Fadmin%2Fposts")
    assert started.code == 302 and started.headers["Location"].startswith("http://localhost:%d/handover?" % client.port)
    issued = await platform.get(platform_path(started.headers["Location"]))
    _, link = site_of(issued.headers["Location"], client.port)
    landed = await site.get(link)
    assert landed.code == 303 and landed.headers["Location"] == "/admin/posts"
    assert b"Ada Owner" in (await site.get("/admin/")).body


async def test_the_platform_asks_for_its_sign_in_first_then_hands_over(client, two_sites):
    site = Session(client, "alpha")
    started = await site.get("/admin/handover/start")
    visitor = Platform(client)
    asked = await visitor.get(platform_path(started.headers["Location"]))
    assert asked.code == 302 and asked.headers["Location"].startswith("/signin?next=%2Fhandover%3F")
    signed = await visitor.sign_in(two_sites[2]["email"])
    assert signed.code == 303  # (the sign-in form carries next; the browser then comes back to /handover)
    issued = await visitor.get(platform_path(started.headers["Location"]))
    _, link = site_of(issued.headers["Location"], client.port)
    assert (await site.get(link)).code == 303 and (await site.get("/admin/")).code == 200


@pytest.mark.parametrize("query", ["", "?site=alpha", "?site=alpha&state=short", "?site=alpha&state=" + "x" * 500,
                                   "?site=alpha&state=%C3%A9t%C3%A9%C3%A9t%C3%A9%C3%A9t%C3%A9%C3%A9t%C3%A9"])
async def test_the_platform_refuses_a_handover_no_site_started(client, db, two_sites, query):
    platform = await signed_in_on_platform(client, two_sites[2])
    refused = await platform.get("/handover" + query)
    assert refused.code == 400 and b"not started by a site" in refused.body
    assert await db.handovers.count_documents({}) == 0


async def test_the_platform_hands_over_to_your_own_sites_only(client, world, db, two_sites):
    outsider = await world.member(await world.site("other"), "owner")
    platform = await signed_in_on_platform(client, outsider)
    for name in ("alpha", "nosuchsite", ""):
        assert (await platform.get("/handover?site=%s&state=%s" % (name, "n" * 32))).code == 404
    assert await db.handovers.count_documents({}) == 0
