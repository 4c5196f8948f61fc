"""``python -m cms user admin EMAIL [--revoke]``: the only way to make a platform admin."""

from __future__ import annotations

from tests.cli.test_commands import cms, env  # noqa: F401  (env: the fixture)
from tests.conftest import World


async def test_user_admin_grants_and_revokes_the_console(db, env):  # noqa: F811
    world = World(db)
    person = await world.member(await world.site("garden"), "owner", email="ops@example.com")
    code, out, err = await cms(env, "user", "admin", "OPS@example.com")
    assert (code, err) == (0, "")
    assert out.startswith("ops@example.com is a platform admin: http://localhost:8888/console")
    assert (await db.users.find_one({"_id": person["_id"]})).get("platform_admin")  # (1 on nx-27017: a $set boolean)

    code, out, _ = await cms(env, "user", "admin", "ops@example.com", "--revoke")
    assert code == 0 and "no longer a platform admin" in out
    assert "platform_admin" not in await db.users.find_one({"_id": person["_id"]})


async def test_user_admin_of_an_unknown_or_malformed_address_is_one_line_and_changes_nothing(db, env):  # noqa: F811
    for address, message in (("nobody@example.com", "no account with the e-mail nobody@example.com"),
                             ("not-an-address", "invalid e-mail address")):
        code, out, err = await cms(env, "user", "admin", address)
        assert code == 1 and out == "" and message in err and err.count("\n") == 1
    assert await db.users.count_documents({"platform_admin": True}) == 0
