"""The redirects table (cms/store/redirects.py): normalised old paths, validation,
idempotent imports, chains, loops and tenant isolation."""

import pytest

from cms.store import Duplicate, Invalid


async def test_added_redirect_resolves_under_any_spelling_of_the_old_path(world):
    store = await world.site("blog")
    await store.redirects.add("/2019/05/hello-world/", "/posts/hello-world")
    for asked in ("/2019/05/hello-world", "/2019/05/hello-world/", "/2019//05/hello-world", "/2019/05/hello%2Dworld"):
        found = await store.redirects.resolve(asked)
        assert found is not None and (found.to, found.code) == ("/posts/hello-world", 301), asked
    assert await store.redirects.resolve("/2019/05/other") is None


async def test_a_full_url_as_old_address_keeps_only_its_path(world):
    store = await world.site("blog")
    await store.redirects.add("https://old.example.org/about-us/", "/about", code=302)
    found = await store.redirects.resolve("/about-us")
    assert (found.to, found.code) == ("/about", 302)


@pytest.mark.parametrize("from_path, to", [
    ("/admin/posts", "/x"), ("/admin", "/x"), ("/healthz", "/x"), ("/login", "/x"), ("/feed.xml", "/x"),
    ("/sitemap-posts-1.xml", "/x"), ("/media/abc.png", "/x"), ("/", "/x"), ("", "/x"), ("relative", "/x"),
    ("javascript:alert(1)", "/x"), ("/old\x00", "/x"),
    ("/old", ""), ("/old", "javascript:alert(1)"), ("/old", "//evil.example/"), ("/old", "relative"),
    ("/old", "/old/"), ("/old", "ftp://example.org/"), ("/old", "/ne\nw"), ("/old", "/ne w"),
])
async def test_bad_redirects_are_refused_and_nothing_is_stored(world, from_path, to):
    store = await world.site("blog")
    with pytest.raises(Invalid):
        await store.redirects.add(from_path, to)
    assert await store.redirects.count() == 0


async def test_bad_code_is_refused(world):
    store = await world.site("blog")
    for code in (200, 307, "301", True):
        with pytest.raises(Invalid):
            await store.redirects.add("/old", "/new", code=code)
    assert await store.redirects.count() == 0


async def test_one_old_address_has_one_redirect(world):
    store = await world.site("blog")
    await store.redirects.add("/old", "/new")
    with pytest.raises(Duplicate):
        await store.redirects.add("/old/", "/other")
    assert (await store.redirects.resolve("/old")).to == "/new"


async def test_loops_are_refused(world):
    store = await world.site("blog")
    await store.redirects.add("/a", "/b")
    await store.redirects.add("/b", "/c")
    with pytest.raises(Invalid, match="loop"):
        await store.redirects.add("/c", "/a")
    with pytest.raises(Invalid, match="loop"):
        await store.redirects.add_many([("/x", "/y"), ("/y", "/x")])
    assert await store.redirects.count() == 2


async def test_a_chain_leads_to_its_end_at_once(world):
    store = await world.site("blog")
    await store.redirects.add("/a", "/b", code=301)
    await store.redirects.add("/b", "/c", code=302)
    await store.redirects.add("/c", "https://elsewhere.example.org/page")
    found = await store.redirects.resolve("/a")
    assert (found.to, found.code) == ("https://elsewhere.example.org/page", 301)


async def test_add_many_is_idempotent_and_keeps_what_the_admin_wrote(world):
    store = await world.site("blog")
    await store.redirects.add("/manual", "/posts/by-hand", source="manual")
    entries = [{"from": "/2019/05/one/", "to": "/posts/one"}, ("/2019/05/two", "/posts/two", 302),
               {"from": "/manual", "to": "/posts/imported"}]
    assert await store.redirects.add_many(entries, source="import") == 3 - 1
    assert await store.redirects.add_many(entries, source="import") == 0
    assert await store.redirects.count() == 3
    assert (await store.redirects.resolve("/manual")).to == "/posts/by-hand"
    assert (await store.redirects.resolve("/2019/05/two")).code == 302
    # The same import with a corrected target updates its own entry.
    assert await store.redirects.add_many([("/2019/05/one", "/posts/one-fixed")], source="import") == 1
    assert (await store.redirects.resolve("/2019/05/one")).to == "/posts/one-fixed"


async def test_add_many_with_one_bad_entry_writes_nothing(world):
    store = await world.site("blog")
    with pytest.raises(Invalid, match="admin"):
        await store.redirects.add_many([("/fine", "/posts/fine"), ("/admin/x", "/posts/x")])
    with pytest.raises(Invalid):
        await store.redirects.add_many([("/fine", "/posts/fine"), "not an entry"])
    assert await store.redirects.count() == 0


async def test_add_many_writes_large_imports(world):
    store = await world.site("blog")
    entries = [("/archives/%d" % n, "/posts/post-%d" % n) for n in range(1200)]
    assert await store.redirects.add_many(entries) == 1200
    assert (await store.redirects.resolve("/archives/1199")).to == "/posts/post-1199"


async def test_moved_flattens_chains_and_renaming_back_makes_no_loop(world):
    store = await world.site("blog")
    await store.redirects.moved("/posts/a", "/posts/b")
    await store.redirects.moved("/posts/b", "/posts/c")
    assert (await store.redirects.resolve("/posts/a")).to == "/posts/c"
    assert (await store.redirects.resolve("/posts/b")).to == "/posts/c"
    await store.redirects.moved("/posts/c", "/posts/a")  # back to the first slug
    assert await store.redirects.resolve("/posts/a") is None  # live again
    assert (await store.redirects.resolve("/posts/c")).to == "/posts/a"
    assert (await store.redirects.resolve("/posts/b")).to == "/posts/a"


async def test_another_sites_redirects_are_invisible(world):
    one, two = await world.site("one"), await world.site("two")
    added = await one.redirects.add("/old", "/new")
    assert await two.redirects.resolve("/old") is None
    assert await two.redirects.all() == []
    assert await two.redirects.delete(added["_id"]) is False
    await two.redirects.add("/old", "/elsewhere")  # the same old path on another site is its own
    assert (await one.redirects.resolve("/old")).to == "/new"
    assert await one.redirects.delete(added["_id"]) is True
    assert await one.redirects.resolve("/old") is None


async def test_kept_lookups_follow_the_change_counter(world):
    store = await world.site("blog")
    assert await store.redirects.resolve("/old", counter=1) is None
    await store.redirects.add("/old", "/new")
    assert await store.redirects.resolve("/old", counter=1) is None  # same counter: the kept answer
    assert (await store.redirects.resolve("/old", counter=2)).to == "/new"
