"""Starting a blog on the platform: a site of one's own (name, title, theme), the
name checked as you type, CMS_SIGNUP and the per-account limit, and the new
site's first steps."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from tornado.escape import xhtml_escape

from cms.handlers.signup import AT_LIMIT, BAD_CODE, CLOSED, NEED_CODE
from cms.store import Sites, SiteStore
from cms.store.signup import SignupCodes
from tests.admin_session import form
from tests.conftest import TEST_PASSWORD
from tests.platform_session import Platform, follow_to_site


def said(response, message: str) -> bool:
    return xhtml_escape(message).encode() in response.body


@pytest.fixture
async def person(world):
    return await world.users.create("newcomer@example.com", TEST_PASSWORD, name="New Comer")


async def on_platform(client, user: dict) -> Platform:
    platform = Platform(client)
    assert (await platform.sign_in(user["email"])).code == 303
    return platform


async def snapshot(db) -> dict:
    state = {}
    for name in ("sites", "memberships", "posts", "signup_codes"):
        state[name] = sorted([repr(sorted(doc.items())) async for doc in db[name].find({})])
    return state


async def test_a_new_site_lands_its_owner_in_the_admin_with_first_steps(client, db, person):
    platform = await on_platform(client, person)
    page = await platform.get("/new")
    assert page.code == 200 and b'name="name"' in page.body and b"Magazine" in page.body
    made = await platform.post("/new", {"name": "my-notes", "title": "My Notes", "theme": "magazine"})
    site, landed = await follow_to_site(client, made, platform=platform)
    assert site.host == "my-notes.localhost" and landed.headers["Location"] == "/admin/"
    dashboard = await site.get("/admin/")
    assert dashboard.code == 200 and b"My Notes" in dashboard.body and b"owner" in dashboard.body
    assert b'id="first-steps"' in dashboard.body
    for step in (b"Write a first post", b"Pick a theme", b"Fill in the About page"):
        assert step in dashboard.body
    assert dashboard.body.count(b'class="todo"') == 3
    stored = await Sites(db).by_name("my-notes")
    assert stored["title"] == "My Notes" and stored["theme"] == "magazine"
    # The reader side is there, in the theme chosen, and the About page waits as a draft.
    home = await client.get("my-notes", "/")
    assert home.code == 200 and b"My Notes" in home.body
    assert (await client.get("my-notes", "/about")).code == 404
    # "Your sites" lists it.
    assert b"My Notes" in (await platform.get("/sites")).body

    # Each step is ticked once done: a published post, a theme saved, the About page published.
    saved = await site.post("/admin/posts/new", form(title="Hello readers", markdown="First words.", state="published"))
    assert saved.code == 303, saved.body[:300]
    assert (await site.get("/admin/")).body.count(b'class="done"') == 1
    assert (await site.post("/admin/theme", {"action": "switch", "theme": "journal"})).code == 303
    about = (await db.posts.find_one({"site_id": stored["_id"], "slug": "about"}))
    assert b"/admin/pages/%s" % about["_id"].encode() in (await site.get("/admin/")).body
    published = await site.post("/admin/pages/%s" % about["_id"], form(
        title="About", slug="about", markdown="I write about tea.", state="published", version=str(about["version"])))
    assert published.code == 303, published.body[:300]
    assert b'id="first-steps"' not in (await site.get("/admin/")).body  # all done: the list goes


async def test_the_site_is_created_by_its_owner_only_and_other_sites_stay_out_of_reach(client, world, person):
    other = await world.site("other", title="Someone Else's")
    await world.member(other, "owner")
    platform = await on_platform(client, person)
    site, _ = await follow_to_site(client, await platform.post("/new", {"name": "mine", "title": "Mine"}), platform=platform)
    assert (await site.get("/admin/")).code == 200
    # The session of the new site is no key to another one.
    other_host = await client.get("other", "/admin/", headers={"Cookie": "cms_session=" + site.cookies["cms_session"]})
    assert other_host.code == 302
    assert (await platform.post("/sites/other/open")).code == 404


@pytest.mark.parametrize("name, status, words", [
    ("www", 400, b"reserved"), ("admin", 400, b"reserved"), ("console", 400, b"reserved"),
    ("signup", 400, b"reserved"), ("sites", 400, b"reserved"), ("ab", 400, b"3 to 40"),
    ("My Blog", 400, b"3 to 40"), ("-dash", 400, b"3 to 40"), ("xn--p1ai", 400, b"3 to 40"),
    ("a" * 41, 400, b"3 to 40"), ("caf\u00e9", 400, b"3 to 40"), ("", 400, b"3 to 40"), ("taken", 409, b"taken"),
])
async def test_bad_names_get_a_clear_message_and_change_nothing(client, db, world, person, name, status, words):
    await world.site("taken")
    platform = await on_platform(client, person)
    before = await snapshot(db)
    refused = await platform.post("/new", {"name": name, "title": "T", "theme": "journal"})
    assert refused.code == status and words in refused.body, refused.body[:500]
    assert b'role="alert"' in refused.body
    assert await snapshot(db) == before


@pytest.mark.parametrize("fields, words", [
    ({"theme": "nosuch"}, b"unknown theme"), ({"title": "x" * 150}, b"too long"),
])
async def test_bad_titles_and_themes_get_a_clear_message_and_change_nothing(client, db, person, fields, words):
    platform = await on_platform(client, person)
    before = await snapshot(db)
    refused = await platform.post("/new", {"name": "fine-name", "title": "T", "theme": "journal", **fields})
    assert refused.code == 400 and words in refused.body.lower(), refused.body[:500]
    assert await snapshot(db) == before


async def test_starting_a_site_needs_a_platform_sign_in(client, db):
    visitor = Platform(client)
    assert (await visitor.get("/new")).code == 302
    assert (await visitor.post("/new", {"name": "sneaky"})).code == 403
    assert await db.sites.count_documents({}) == 0


async def test_the_name_is_checked_as_you_type(client, world):
    await world.site("taken")
    visitor = Platform(client)

    async def check(name: str) -> dict:
        answer = await visitor.get("/new/name?" + urlencode({"name": name}))
        assert answer.code == 200 and answer.headers["Content-Type"].startswith("application/json")
        return json.loads(answer.body)

    assert (await check("free-name")) == {"name": "free-name", "available": True, "message": "free-name.localhost is free."}
    assert (await check("Taken"))["available"] is False and "taken" in (await check("taken"))["message"]
    assert (await check("www"))["message"] == "The name www is reserved for the platform."
    assert "3 to 40" in (await check("a b"))["message"]
    assert (await visitor.get("/new/name")).code == 200  # no name: not available, said so


async def test_name_checks_are_throttled_per_address(client):
    visitor = Platform(client)
    codes = [(await visitor.get("/new/name?name=abc%d" % n)).code for n in range(30)]
    assert codes[:20] == [200] * 20 and 429 in codes[20:]
    refused = await visitor.get("/new/name?name=abc")
    assert refused.code == 429 and json.loads(refused.body)["available"] is False


async def test_closed_sign_up_lets_nobody_start_a_site(client, db, settings, person):
    settings.signup = "closed"
    platform = await on_platform(client, person)
    landing = await platform.get("/")
    assert b'href="/signup"' not in landing.body
    page = await platform.get("/new")
    assert page.code == 403 and said(page, CLOSED) and b'action="/new"' not in page.body
    refused = await platform.post("/new", {"name": "closed-site"})
    assert refused.code == 403 and said(refused, CLOSED)
    assert await db.sites.count_documents({}) == 0


async def test_invite_only_sign_up_takes_one_code_per_site(client, db, settings, world, person):
    settings.signup = "invite"
    code = await SignupCodes(db).create(note="for a friend")
    assert code not in repr(await db.signup_codes.find_one({}))  # kept hashed
    platform = await on_platform(client, person)
    assert b'name="code"' in (await platform.get("/new")).body
    without = await platform.post("/new", {"name": "invited", "code": ""})
    assert without.code == 403 and said(without, NEED_CODE)
    wrong = await platform.post("/new", {"name": "invited", "code": "not-a-code"})
    assert wrong.code == 403 and said(wrong, BAD_CODE)
    # A name refused does not use the code up.
    assert (await platform.post("/new", {"name": "www", "code": code})).code == 400
    made = await platform.post("/new", {"name": "invited", "code": code})
    assert made.code == 303, made.body[:300]
    second = await world.users.create("second@example.com", TEST_PASSWORD)
    other = await on_platform(client, second)
    reused = await other.post("/new", {"name": "invited-too", "code": code})
    assert reused.code == 403 and said(reused, BAD_CODE)
    assert [s["name"] async for s in db.sites.find({})] == ["invited"]


async def test_an_account_owns_at_most_the_limit_of_sites(client, db, settings, person):
    settings.sites_per_account = 2
    platform = await on_platform(client, person)
    for name in ("first-one", "second-one"):
        assert (await platform.post("/new", {"name": name})).code == 303
    sites = await platform.get("/sites")
    assert b'id="new-site"' not in sites.body
    refused = await platform.post("/new", {"name": "third-one"})
    assert refused.code == 403 and said(refused, AT_LIMIT % 2)
    assert await db.sites.count_documents({}) == 2
    # Sites where the person is only a member do not count.
    store = SiteStore(db, await Sites(db).create("shared"))
    await store.members.add(person["_id"], "editor")
    assert (await platform.post("/new", {"name": "third-one"})).code == 403


async def test_sites_started_at_once_never_pass_the_limit(client, db, settings, person):
    import asyncio

    settings.sites_per_account = 1
    platform = await on_platform(client, person)
    answers = await asyncio.gather(*(platform.post("/new", {"name": "race-%d" % n}) for n in range(3)))
    codes = sorted(answer.code for answer in answers)
    # One is made; the others are told the limit, or (caught mid-way) to try again in a moment.
    assert codes[0] == 303 and all(code in (403, 409) for code in codes[1:]), codes
    assert await db.sites.count_documents({}) == 1
    assert await db.site_starts.count_documents({}) == 0  # no lock left behind
    assert await db.memberships.count_documents({}) == 1 and await db.posts.count_documents({}) == 1


async def test_a_site_start_in_flight_holds_the_next_one_and_a_dead_ones_lock_is_taken_over(client, db, person):
    import datetime as dt

    platform = await on_platform(client, person)
    now = dt.datetime.now(dt.timezone.utc)
    await db.site_starts.insert_one({"_id": "start:%s" % person["_id"], "at": now})
    busy = await platform.post("/new", {"name": "held-up"})
    assert busy.code == 409 and b"being created just now" in busy.body
    assert await db.sites.count_documents({}) == 0
    # A lock two minutes old was left by a process that died mid-way.
    await db.site_starts.replace_one({"_id": "start:%s" % person["_id"]},
                                     {"at": now - dt.timedelta(minutes=2)})
    assert (await platform.post("/new", {"name": "held-up"})).code == 303
    assert await db.site_starts.count_documents({}) == 0
