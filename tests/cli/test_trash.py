"""``python -m cms post delete|restore|purge --site NAME SLUG`` and ``post trash --site NAME``
(issue 16 point 6) against a real database: bad input is one line on stderr, a non-zero
exit, and nothing changed."""

from __future__ import annotations

from tests.cli.test_commands import cms, env  # noqa: F401  (env is a fixture)


async def garden(env) -> None:  # noqa: F811
    await cms(env, "site", "create", "garden")
    await cms(env, "user", "create", "ann@example.com", "--site", "garden", "--role", "owner")
    await cms(env, "post", "create", "--site", "garden", "--title", "Spring", stdin="Seeds.")
    await cms(env, "post", "create", "--site", "garden", "--title", "About", "--page", stdin="Us.")


async def test_delete_list_restore_and_purge_from_the_command_line(db, env):  # noqa: F811
    await garden(env)
    code, out, err = await cms(env, "post", "delete", "--site", "garden", "spring")
    assert code == 0 and "moved post spring to the Trash (kept 30 days)" in out, err
    assert (await db.posts.find_one({"title": "Spring"}))["status"] == "trashed"
    code, out, _ = await cms(env, "post", "delete", "--site", "garden", "--page", "about")
    assert code == 0
    code, out, _ = await cms(env, "post", "trash", "--site", "garden")
    assert code == 0 and " post  spring  Spring" in out and " page  about  About" in out
    assert "1 posts, 1 pages in the Trash" in out
    await cms(env, "post", "create", "--site", "garden", "--title", "Spring", stdin="Another.")
    code, out, _ = await cms(env, "post", "restore", "--site", "garden", "spring")
    assert code == 0 and "was taken" in out and "restored published post http://garden.localhost:8888/posts/spring-2" in out
    code, out, _ = await cms(env, "post", "purge", "--site", "garden", "--page", "about")
    assert code == 0 and "deleted page about for good" in out
    assert await db.posts.find_one({"title": "About"}) is None
    assert await db.posts.count_documents({"status": "trashed"}) == 0


async def test_bad_trash_commands_say_why_and_change_nothing(db, env):  # noqa: F811
    await garden(env)
    await cms(env, "site", "create", "kitchen")
    for args, message in [
        (["delete", "--site", "nosite", "spring"], "no site named"),
        (["delete", "--site", "garden", "nope"], "no post 'nope' on garden"),
        (["delete", "--site", "kitchen", "spring"], "no post 'spring' on kitchen"),  # another site's
        (["delete", "--site", "garden", "about"], "no post 'about'"),  # a page without --page
        (["restore", "--site", "garden", "spring"], "no post 'spring' in the Trash of garden"),
        (["purge", "--site", "garden", "spring"], "no post 'spring' in the Trash of garden"),
    ]:
        before = [p async for p in db.posts.find({}, {"_id": 1, "status": 1, "version": 1})]
        code, out, err = await cms(env, "post", *args)
        lines = err.strip().splitlines()
        assert code != 0 and len(lines) == 1 and message in lines[0], (args, err)
        assert [p async for p in db.posts.find({}, {"_id": 1, "status": 1, "version": 1})] == before
