"""Signing in and out: cookies, wording, sessions, and one site's power only there."""

from __future__ import annotations

import re

import bcrypt

from cms.store import users as users_store
from tests.admin_session import Session, signed_in
from tests.conftest import TEST_PASSWORD

FAILED = b"That e-mail and password do not match an account of this site."


async def test_sign_in_sets_a_safe_session_cookie_and_opens_the_dashboard(world, client):
    store = await world.site("alpha", title="Alpha Blog")
    owner = await world.member(store, "owner", name="Olive Owner")
    session = Session(client, "alpha")
    page = await session.get("/login")
    assert page.code == 200 and b"Sign in to Alpha Blog" in page.body
    response = await session.login(owner["email"])
    assert response.code == 303 and response.headers["Location"] == "/admin/"
    cookie = next(h for h in session.set_cookie_headers if h.startswith("cms_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    dashboard = await session.get("/admin/")
    assert dashboard.code == 200 and b"Olive Owner" in dashboard.body and b"owner" in dashboard.body


async def test_admin_pages_send_a_visitor_to_sign_in_and_back(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    session = Session(client, "alpha")
    response = await session.get("/admin/posts?status=draft")
    assert response.code == 302
    assert response.headers["Location"] == "/login?next=%2Fadmin%2Fposts%3Fstatus%3Ddraft"
    await session.get("/login")
    response = await session.post("/login", {"email": owner["email"], "password": TEST_PASSWORD,
                                             "next": "/admin/posts?status=draft"})
    assert response.headers["Location"] == "/admin/posts?status=draft"


async def test_sign_in_never_redirects_off_the_site(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        session = Session(client, "alpha")
        await session.get("/login")
        response = await session.post("/login", {"email": owner["email"], "password": TEST_PASSWORD, "next": target})
        assert response.headers["Location"] == "/admin/"


async def test_wrong_password_unknown_user_and_other_sites_member_get_the_same_answer(world, client):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    member = await world.member(alpha, "owner")
    outsider = await world.member(beta, "owner")  # a real account, but not of alpha
    answers = []
    for email, password in ((member["email"], "wrong password!!"), ("nobody@example.com", TEST_PASSWORD),
                            (outsider["email"], TEST_PASSWORD)):
        session = Session(client, "alpha")
        response = await session.login(email, password)
        assert response.code == 401 and FAILED in response.body
        assert "cms_session" not in session.cookies
        answers.append(re.sub(rb'name="_xsrf" value="[^"]+"', b"", response.body.replace(email.encode(), b"")))
    # Apart from echoing the typed e-mail back (and each visitor's own XSRF
    # token), the three pages are identical.
    assert answers[0] == answers[1] == answers[2]


async def test_unknown_user_costs_as_much_bcrypt_work_as_a_wrong_password(world, client, monkeypatch):
    """Counted, not timed: each failed sign-in runs exactly one bcrypt check at the current cost
    (a timing test flickers on a loaded machine; the work is what makes the time)."""
    monkeypatch.setattr(users_store, "BCRYPT_COST", 10)
    store = await world.site("alpha")
    member = await world.member(store, "owner")
    checks: list[bytes] = []
    real_checkpw = bcrypt.checkpw

    def counted(password: bytes, hashed: bytes) -> bool:
        checks.append(hashed[:7])  # b"$2b$10$": the algorithm and its cost
        return real_checkpw(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counted)
    work = {}
    for email in (member["email"], "ghost@example.com"):
        session = Session(client, "alpha")
        await session.get("/login")
        checks.clear()
        response = await session.post("/login", {"email": email, "password": "not the password"})
        assert response.code == 401
        work[email] = list(checks)
    assert work[member["email"]] == work["ghost@example.com"] == [b"$2b$10$"]


async def test_logout_ends_the_session(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    session = await signed_in(client, "alpha", owner)
    confirm = await session.get("/logout")
    assert confirm.code == 200 and b"Sign out" in confirm.body
    response = await session.post("/logout")
    assert response.code == 303 and "cms_session" not in session.cookies
    assert (await session.get("/admin/")).code == 302


async def test_sign_out_everywhere_ends_every_session_of_that_person(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    laptop = await signed_in(client, "alpha", owner)
    phone = await signed_in(client, "alpha", owner)
    assert (await phone.get("/admin/")).code == 200
    assert (await laptop.post("/admin/sessions")).code == 303
    assert (await phone.get("/admin/")).code == 302  # the stolen/forgotten cookie is dead
    again = await signed_in(client, "alpha", owner)
    assert (await again.get("/admin/")).code == 200


async def test_password_change_ends_old_sessions(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    session = await signed_in(client, "alpha", owner)
    await world.users.set_password(owner["_id"], "a brand new secret phrase")
    assert (await session.get("/admin/")).code == 302


async def test_a_session_of_one_site_is_worthless_on_another(world, client):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    person = await world.member(alpha, "owner")
    await beta.members.add(person["_id"], "contributor")
    session = await signed_in(client, "alpha", person)
    on_beta = Session(client, "beta")
    on_beta.cookies = dict(session.cookies)  # the cookie replayed on another host
    response = await on_beta.get("/admin/")
    assert response.code == 302 and response.headers["Location"].startswith("/login")


async def test_a_member_removed_from_the_site_loses_the_admin(world, client, db):
    store = await world.site("alpha")
    person = await world.member(store, "editor")
    session = await signed_in(client, "alpha", person)
    await db.memberships.delete_many({"user_id": person["_id"]})
    assert (await session.get("/admin/")).code == 302
    assert (await session.post("/admin/posts/new", {"title": "x", "markdown": "y"})).code == 403
