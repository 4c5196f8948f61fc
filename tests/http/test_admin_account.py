"""``/admin/account``: a member changes their own name, username, bio and password.

The account is platform-wide, so a change shows on every site the person
belongs to; bad input changes nothing; a password change ends every other
session of the person while the one that made it stays signed in.
"""

from __future__ import annotations

from tornado.web import create_signed_value

from cms import sessions
from tests.admin_session import Session, signed_in
from tests.conftest import TEST_PASSWORD

NEW_PASSWORD = "a long and fresh passphrase"


def profile(**fields) -> dict:
    return {"action": "profile", **fields}


def password(current: str, new: str, confirm: str | None = None) -> dict:
    return {"action": "password", "current_password": current, "new_password": new,
            "confirm_password": new if confirm is None else confirm}


async def test_the_account_page_is_for_every_member_and_says_it_is_platform_wide(world, client):
    alpha = await world.site("alpha", title="Alpha Blog")
    me = await world.member(alpha, "contributor", name="Cora Contributor")
    other = await world.member(alpha, "owner", name="Olga Owner")
    session = await signed_in(client, "alpha", me)
    dashboard = await session.get("/admin/")
    assert b'href="/admin/account"' in dashboard.body  # the sidebar's "whoami" block links it
    page = await session.get("/admin/account")
    assert page.code == 200
    text = page.body.decode()
    assert "every site you belong to" in text
    assert 'action="/admin/sessions"' in text and "Sign out everywhere" in text
    assert me["email"] in text and 'value="Cora Contributor"' in text
    assert other["email"] not in text and "Olga Owner" not in text  # nobody else's data
    assert 'name="current_password"' in text


async def test_name_username_and_bio_change_on_every_site_of_the_person(world, client):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    me = await world.member(alpha, "author", name="Ada", username="ada")
    await beta.members.add(me["_id"], "author")
    await world.post(alpha, me, "On alpha")
    await world.post(beta, me, "On beta")
    session = await signed_in(client, "alpha", me)
    response = await session.post("/admin/account", profile(
        name="  Ada   Lovelace ", username="Countess-Ada", bio="Writes about engines."))
    assert response.code == 303 and response.headers["Location"] == "/admin/account?done=profile"
    page = await session.get("/admin/account?done=profile")
    assert b"Your account is saved." in page.body and b'value="countess-ada"' in page.body
    for site in ("alpha", "beta"):
        author_page = await client.get(site, "/authors/countess-ada")
        assert author_page.code == 200
        assert b"Ada Lovelace" in author_page.body and b"Writes about engines." in author_page.body
        assert (await client.get(site, "/authors/ada")).code == 404
    assert b"Ada Lovelace" in (await session.get("/admin/")).body


async def test_bad_profile_input_gets_a_clear_message_and_changes_nothing(world, client, db):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    me = await world.member(alpha, "editor", name="Eve", username="eve")
    await world.member(beta, "owner", username="taken-elsewhere")  # usernames are unique platform-wide
    session = await signed_in(client, "alpha", me)
    before = await db.users.find_one({"_id": me["_id"]})
    cases = [
        (profile(name="Eve", username="taken-elsewhere", bio=""), b"is taken"),
        (profile(name="Eve", username="Not Valid!", bio=""), b"Invalid username"),
        (profile(name="Eve", username="-eve", bio=""), b"Invalid username"),
        (profile(name="   ", username="eve", bio=""), b"Your name is required"),
        (profile(name="Eve", username="eve", bio="x" * 501), b"The bio is too long"),
        ({"action": "profile"}, b"Your name is required"),
    ]
    for fields, message in cases:
        response = await session.post("/admin/account", fields)
        assert response.code == 400, fields
        assert message in response.body, (fields, response.body[-2000:])
        assert b'role="alert"' in response.body
        assert await db.users.find_one({"_id": me["_id"]}) == before
    unknown = await session.post("/admin/account", {"action": "delete-me"})
    assert unknown.code == 400
    assert await db.users.find_one({"_id": me["_id"]}) == before


async def test_keeping_your_own_username_is_not_a_clash(world, client, db):
    alpha = await world.site("alpha")
    me = await world.member(alpha, "author", name="Ann", username="ann")
    session = await signed_in(client, "alpha", me)
    response = await session.post("/admin/account", profile(name="Ann B.", username="ann", bio="Hi."))
    assert response.code == 303
    saved = await db.users.find_one({"_id": me["_id"]})
    assert (saved["name"], saved["username"], saved["bio"]) == ("Ann B.", "ann", "Hi.")
    assert saved["session_version"] == me["session_version"]  # a profile change signs no one out


async def test_a_password_change_keeps_this_session_and_ends_every_other(world, client, db):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    me = await world.member(alpha, "contributor")
    await beta.members.add(me["_id"], "author")
    laptop = await signed_in(client, "alpha", me)
    phone = await signed_in(client, "alpha", me)
    elsewhere = await signed_in(client, "beta", me)
    old_cookie = laptop.cookies["cms_session"]
    response = await laptop.post("/admin/account", password(TEST_PASSWORD, NEW_PASSWORD))
    assert response.code == 303 and response.headers["Location"] == "/admin/account?done=password"
    assert laptop.cookies["cms_session"] != old_cookie  # a fresh session
    page = await laptop.get("/admin/account?done=password")
    assert page.code == 200 and b"Every other session of yours has ended" in page.body
    assert (await phone.get("/admin/")).code == 302  # signed out
    assert (await elsewhere.get("/admin/")).code == 302  # on the other site too
    stale = Session(client, "alpha")
    stale.cookies = {**laptop.cookies, "cms_session": old_cookie}
    assert (await stale.get("/admin/")).code == 302
    assert (await Session(client, "alpha").login(me["email"], TEST_PASSWORD)).code == 401
    assert (await Session(client, "beta").login(me["email"], NEW_PASSWORD)).code == 303
    stored = await db.users.find_one({"_id": me["_id"]})
    assert NEW_PASSWORD not in repr(stored) and stored["password_hash"].startswith("$2")


async def test_bad_password_changes_get_a_message_and_change_nothing(world, client, db):
    alpha = await world.site("alpha")
    me = await world.member(alpha, "author")
    session = await signed_in(client, "alpha", me)
    other = await signed_in(client, "alpha", me)
    before = await db.users.find_one({"_id": me["_id"]})
    cases = [
        (password("not my password", NEW_PASSWORD), b"The current password is not right"),
        (password("", NEW_PASSWORD), b"The current password is not right"),
        (password(TEST_PASSWORD, NEW_PASSWORD, "something else entirely"), b"confirmation differ"),
        (password(TEST_PASSWORD, "short"), b"too weak"),
        (password(TEST_PASSWORD, "password123"), b"too weak"),
        (password(TEST_PASSWORD, "aaaaaaaaaaaa"), b"too weak"),
    ]
    for fields, message in cases:
        response = await session.post("/admin/account", fields)
        assert response.code == 400, fields
        assert message in response.body, fields
        assert await db.users.find_one({"_id": me["_id"]}) == before
    assert (await other.get("/admin/")).code == 200 and (await session.get("/admin/")).code == 200
    assert (await Session(client, "alpha").login(me["email"], TEST_PASSWORD)).code == 303


async def test_an_account_without_a_password_sets_one_without_a_current_one(app, world, client):
    alpha = await world.site("alpha")
    google_only = await world.users.create_external("gina@example.com", "Gina", "google-sub-1")
    await alpha.members.add(google_only["_id"], "author")
    session = Session(client, "alpha")
    await session.get("/login")
    # The session a Google sign-in starts (tests/http/test_google_auth.py goes through the real flow).
    token, _ = await alpha.sessions.start(google_only, "Chrome on Linux")
    session.cookies[sessions.COOKIE] = create_signed_value(
        app.settings["cookie_secret"], sessions.COOKIE, token, key_version=app.settings["key_version"]).decode()
    page = await session.get("/admin/account")
    assert page.code == 200 and b"has no password yet" in page.body and b'name="current_password"' not in page.body
    response = await session.post("/admin/account", password("", NEW_PASSWORD))
    assert response.code == 303
    assert (await session.get("/admin/")).code == 200
    assert (await Session(client, "alpha").login("gina@example.com", NEW_PASSWORD)).code == 303


async def test_two_people_taking_one_username_at_once_one_gets_it_the_other_hears_it_is_taken(world):
    import asyncio

    from cms.store import Duplicate

    store = await world.site("alpha")
    for round in range(5):
        people = [await world.member(store) for _ in range(2)]
        wanted = "wanted%d" % round
        results = await asyncio.gather(*[
            world.users.update_profile(person["_id"], name=person["name"], username=wanted, bio="")
            for person in people
        ], return_exceptions=True)
        refused = [r for r in results if isinstance(r, Exception)]
        assert len(refused) == 1 and isinstance(refused[0], Duplicate), refused  # not "no such account"
        assert "is taken" in str(refused[0])
        assert [(await world.users.by_id(p["_id"]))["username"] for p in people].count(wanted) == 1
