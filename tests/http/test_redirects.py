"""Old addresses answer 301 instead of 404: renamed slugs (posts, pages), renamed and
merged tags, and the site's redirects table (cms/store/redirects.py)."""

from __future__ import annotations

from tests.admin_session import signed_in


async def rename(store, post, slug, editor):
    return await store.posts.update(post["_id"], post["version"], title=post["title"], markdown=post["markdown"],
                                    slug=slug, tags=post["tags"], status=post["status"], editor_id=editor["_id"])


async def test_a_renamed_post_slug_answers_301_to_the_new_address(world, client):
    store = await world.site("blog")
    author = await world.member(store, "editor")
    post = await world.post(store, author, "Hello", slug="hello")
    assert (await client.get("blog", "/posts/hello")).code == 200
    await rename(store, post, "hello-world", author)
    old = await client.get("blog", "/posts/hello?utm_source=x")
    assert old.code == 301 and old.headers["Location"] == "/posts/hello-world?utm_source=x"
    assert (await client.get("blog", "/posts/hello-world")).code == 200


async def test_a_chain_of_renames_leads_to_the_last_address_in_one_step(world, client):
    store = await world.site("blog")
    author = await world.member(store, "editor")
    post = await world.post(store, author, "A", slug="a")
    post = await rename(store, post, "b", author)
    await rename(store, post, "c", author)
    for old in ("/posts/a", "/posts/b"):
        answer = await client.get("blog", old)
        assert answer.code == 301 and answer.headers["Location"] == "/posts/c", old


async def test_a_new_post_with_an_old_slug_wins_over_the_redirect(world, client):
    store = await world.site("blog")
    author = await world.member(store, "editor")
    post = await world.post(store, author, "First", slug="first", markdown="The first post.")
    await rename(store, post, "renamed", author)
    assert (await client.get("blog", "/posts/first")).code == 301
    await world.post(store, author, "Another", slug="first", markdown="A new post on the old address.")
    answer = await client.get("blog", "/posts/first")
    assert answer.code == 200 and b"A new post on the old address." in answer.body


async def test_a_renamed_page_slug_and_a_draft_rename(world, client):
    store = await world.site("blog")
    author = await world.member(store, "editor")
    page = await world.post(store, author, "About", type="page", slug="about")
    await rename(store, page, "about-us", author)
    answer = await client.get("blog", "/about")
    assert answer.code == 301 and answer.headers["Location"] == "/about-us"
    draft = await world.post(store, author, "Draft", slug="draft-one", status="draft")
    await rename(store, draft, "draft-two", author)
    assert (await client.get("blog", "/posts/draft-one")).code == 404  # never public: nothing to keep
    assert await store.redirects.count() == 1


async def test_renamed_and_merged_tags_redirect_to_the_new_tag(world, client):
    store = await world.site("blog")
    editor = await world.member(store, "editor")
    await world.post(store, editor, "One", tags=["Editor"])
    await world.post(store, editor, "Two", tags=["Writing"])
    session = await signed_in(client, "blog", editor)
    assert (await session.post("/admin/tags", {"action": "rename", "tag": "editor", "name": "Editing"})).code == 303
    answer = await client.get("blog", "/tags/editor?page=2")  # the query goes along
    assert answer.code == 301 and answer.headers["Location"] == "/tags/editing?page=2"
    merged = await session.post("/admin/tags", {"action": "merge", "tag": ["editing", "writing"], "name": "Craft"})
    assert merged.code == 303
    for old in ("/tags/editor", "/tags/editing", "/tags/writing"):
        answer = await client.get("blog", old)
        assert answer.code == 301 and answer.headers["Location"] == "/tags/craft", old
    assert (await client.get("blog", "/tags/craft")).code == 200
    assert (await session.post("/admin/tags", {"action": "delete", "tag": "craft"})).code == 303
    assert (await client.get("blog", "/tags/craft")).code == 404  # deleted, not moved


async def test_imported_permalinks_redirect_and_only_on_their_site(world, client):
    one = await world.site("one")
    await world.site("two")
    author = await world.member(one, "owner")
    await world.post(one, author, "Hello", slug="hello")
    await one.redirects.add_many([{"from": "/2019/05/hello/", "to": "/posts/hello"},
                                  ("/feed/old", "https://elsewhere.example.org/", 302)], source="import")
    answer = await client.get("one", "/2019/05/hello/")
    assert answer.code == 301 and answer.headers["Location"] == "/posts/hello"
    answer = await client.get("one", "/feed/old")
    assert answer.code == 302 and answer.headers["Location"] == "https://elsewhere.example.org/"
    assert (await client.get("two", "/2019/05/hello/")).code == 404
    head = await client.get("one", "/2019/05/hello", method="HEAD")
    assert head.code == 301
    assert (await client.get("one", "/2019/05/other")).code == 404


async def test_an_old_tag_typed_in_another_case_still_redirects(world, client):
    store = await world.site("blog")
    editor = await world.member(store, "editor")
    await world.post(store, editor, "One", tags=["Editor"])
    await store.posts.retag(["editor"], "Editing")
    answer = await client.get("blog", "/tags/Editor")
    assert answer.code == 301 and answer.headers["Location"] == "/tags/editing"
