"""Password guessing is limited: per e-mail, per client address and per account, on each site."""

from __future__ import annotations

from tests.admin_session import Session, signed_in
from tests.conftest import TEST_PASSWORD

TOO_MANY = b"Too many failed attempts"


async def fail(client, site: str, email: str, times: int) -> None:
    session = Session(client, site)
    for _ in range(times):
        response = await session.login(email, "not the password")
        assert response.code == 401


async def test_ten_wrong_passwords_lock_that_email_out_for_a_while(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    other = await world.member(store, "editor")
    await fail(client, "alpha", owner["email"], 10)
    locked = await Session(client, "alpha").login(owner["email"], TEST_PASSWORD)  # even the right one
    assert locked.code == 429 and TOO_MANY in locked.body
    assert (await Session(client, "alpha").login(other["email"])).code == 303  # others are not punished
    assert (await Session(client, "alpha").login(owner["email"].upper())).code == 429  # nor is case a way round


async def test_an_unknown_email_is_locked_out_the_same_way(world, client):
    await world.site("alpha")
    await fail(client, "alpha", "nobody@example.com", 10)
    response = await Session(client, "alpha").login("nobody@example.com")
    assert response.code == 429 and TOO_MANY in response.body


async def test_the_lock_is_per_site(world, client):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    person = await world.member(alpha, "owner")
    await beta.members.add(person["_id"], "author")
    await fail(client, "alpha", person["email"], 10)
    assert (await Session(client, "alpha").login(person["email"])).code == 429
    assert (await Session(client, "beta").login(person["email"])).code == 303


async def test_a_success_forgets_the_earlier_failures(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    await fail(client, "alpha", owner["email"], 9)
    assert (await Session(client, "alpha").login(owner["email"])).code == 303
    await fail(client, "alpha", owner["email"], 9)
    assert (await Session(client, "alpha").login(owner["email"])).code == 303


async def test_one_address_trying_many_emails_is_stopped_too(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    for n in range(50):
        await fail(client, "alpha", "guess%d@example.com" % n, 1)
    response = await Session(client, "alpha").login(owner["email"])
    assert response.code == 429


async def test_guessing_the_current_password_on_the_account_page_is_limited(world, client, db):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    session = await signed_in(client, "alpha", owner)
    new = {"action": "password", "new_password": "a brand new passphrase", "confirm_password": "a brand new passphrase"}
    for _ in range(10):
        response = await session.post("/admin/account", {**new, "current_password": "a guess"})
        assert response.code == 400 and b"current password is not right" in response.body.lower()
    before = (await db.users.find_one({"_id": owner["_id"]}))["password_hash"]
    response = await session.post("/admin/account", {**new, "current_password": TEST_PASSWORD})
    assert response.code == 400 and b"too many wrong passwords" in response.body.lower()
    assert (await db.users.find_one({"_id": owner["_id"]}))["password_hash"] == before
