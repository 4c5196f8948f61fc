"""Deleting posts and pages into the Trash (issue 16 point 6): readers never see a trashed
post, it comes back with Restore, goes for good with Delete for good, Empty or the sweep
after CMS_TRASH_DAYS; its images are flagged, never deleted; another site's is a 404."""

from __future__ import annotations

import datetime as dt

from cms.store.trash import sweep
from tests.admin_session import signed_in
from tests.http.test_media import upload


async def editor_site(world, client, name: str = "blog"):
    store = await world.site(name)
    editor = await world.member(store, "editor")
    return store, editor, await signed_in(client, name, editor)


async def test_a_deleted_post_disappears_for_readers_and_comes_back_when_restored(world, client):
    store, editor, session = await editor_site(world, client)
    post = await world.post(store, editor, "Summer walk", "Walking by the sea.", tags=["walks"])
    await world.post(store, editor, "Other post", "Something else.")
    reader_paths = ["/", "/posts/summer-walk", "/tags/walks", "/feed.xml", "/rss.xml", "/feed.json", "/sitemap-posts-1.xml",
                    "/search?q=walking"]
    before = {path: (await client.get("blog", path)).body for path in reader_paths}  # kept pages, too
    assert [path for path, body in before.items() if b"summer-walk" not in body and b"Summer walk" not in body] == []

    deleted = await session.post("/admin/posts/%s/delete" % post["_id"])
    assert deleted.code == 303 and deleted.headers["Location"].startswith("/admin/trash?done=trashed")
    assert (await client.get("blog", "/posts/summer-walk")).code == 404
    assert (await client.get("blog", "/tags/walks")).code == 404
    for path in ["/", "/feed.xml", "/rss.xml", "/feed.json", "/sitemap-posts-1.xml", "/search?q=walking"]:
        body = (await client.get("blog", path)).body
        assert b"Summer walk" not in body and b"summer-walk" not in body, path
    listed = await session.get("/admin/posts")
    assert b"Summer walk" not in listed.body and b"Other post" in listed.body
    assert (await session.get("/admin/posts/%s" % post["_id"])).code == 404  # no editing in the Trash
    trash = await session.get(deleted.headers["Location"])
    assert trash.code == 200 and b"Moved to the Trash" in trash.body and b"Summer walk" in trash.body
    assert b"1 post, 0 pages" in trash.body

    restored = await session.post("/admin/trash/%s/restore" % post["_id"])
    assert restored.code == 303 and "done=restored" in restored.headers["Location"]
    notice = await session.get(restored.headers["Location"])
    assert b"Restored." in notice.body and b"slug-moved" not in notice.body
    page = await client.get("blog", "/posts/summer-walk")
    assert page.code == 200 and b"Walking by the sea." in page.body
    assert b"Summer walk" in (await client.get("blog", "/")).body


async def test_a_restored_post_whose_slug_was_taken_gets_a_free_one_and_says_so(world, client):
    store, editor, session = await editor_site(world, client)
    first = await world.post(store, editor, "Hello", "The first one.")
    await session.post("/admin/posts/%s/delete" % first["_id"])
    second = await world.post(store, editor, "Hello", "The second one.")
    assert second["slug"] == "hello"  # the trashed post's address was free
    restored = await session.post("/admin/trash/%s/restore" % first["_id"])
    notice = await session.get(restored.headers["Location"])
    assert b"slug-moved" in notice.body and b"hello-2" in notice.body
    assert b"The first one." in (await client.get("blog", "/posts/hello-2")).body
    assert b"The second one." in (await client.get("blog", "/posts/hello")).body


async def test_pages_go_to_the_trash_and_delete_for_good_takes_history_and_comments(world, client, db):
    store, editor, session = await editor_site(world, client)
    page = await world.post(store, editor, "About", "About us.", type="page")
    post = await world.post(store, editor, "Gone", "Soon gone.")
    await store.comments.add(post, "Nice.", status="approved", name="Ann", email="ann@example.com")
    assert (await session.post("/admin/pages/%s/delete" % page["_id"])).code == 303
    assert (await client.get("blog", "/about")).code == 404
    assert (await session.post("/admin/posts/%s/delete" % post["_id"])).code == 303
    assert b"1 post, 1 page" in (await session.get("/admin/trash")).body
    purged = await session.post("/admin/trash/%s/purge" % post["_id"])
    assert purged.code == 303 and purged.headers["Location"] == "/admin/trash?done=purged"
    assert await db.posts.find_one({"_id": post["_id"]}) is None
    assert await db.revisions.find_one({"post_id": post["_id"]}) is None
    assert await db.comments.find_one({"post_id": post["_id"]}) is None
    assert (await session.post("/admin/trash/%s/restore" % post["_id"])).code == 404
    emptied = await session.post("/admin/trash")
    assert emptied.headers["Location"] == "/admin/trash?done=emptied"
    assert b"The Trash is empty." in (await session.get("/admin/trash?done=emptied")).body
    assert await db.posts.find_one({"_id": page["_id"]}) is None


async def test_authors_delete_their_own_drafts_only_and_xsrf_is_required(world, client):
    store = await world.site("blog")
    editor = await world.member(store, "editor")
    author = await world.member(store, "author")
    own_draft = await world.post(store, author, "My draft", status="draft")
    own_published = await world.post(store, author, "My post")
    others = await world.post(store, editor, "Their draft", status="draft")
    session = await signed_in(client, "blog", author)
    assert (await session.post("/admin/posts/%s/delete" % own_published["_id"])).code == 403
    assert (await session.post("/admin/posts/%s/delete" % others["_id"])).code == 403
    assert (await session.post("/admin/posts/%s/delete" % own_draft["_id"], xsrf=False)).code == 403
    assert (await session.post("/admin/trash")).code == 403  # emptying is for editors
    assert await store.posts.get(own_draft["_id"]) is not None
    assert (await session.post("/admin/posts/%s/delete" % own_draft["_id"])).code == 303
    assert b"My draft" in (await session.get("/admin/trash")).body
    assert (await session.post("/admin/trash/%s/restore" % own_draft["_id"])).code == 303
    assert (await store.posts.get(own_draft["_id"]))["status"] == "draft"


async def test_another_sites_post_is_a_404_to_trash_restore_and_purge(world, client):
    other = await world.site("other")
    stranger = await world.member(other, "owner")
    theirs = await world.post(other, stranger, "Not yours")
    store, editor, session = await editor_site(world, client)
    assert (await session.post("/admin/posts/%s/delete" % theirs["_id"])).code == 404
    await other.trash.trash(theirs["_id"])
    assert (await session.post("/admin/trash/%s/restore" % theirs["_id"])).code == 404
    assert (await session.post("/admin/trash/%s/purge" % theirs["_id"])).code == 404
    await session.post("/admin/trash")  # emptying this site's Trash leaves the other's
    assert b"Not yours" not in (await session.get("/admin/trash")).body
    assert await other.trash.get(theirs["_id"]) is not None
    for bad in ["/admin/posts/zzz/delete", "/admin/trash/zzz/restore", "/admin/trash/%s/burn" % theirs["_id"]]:
        assert (await session.post(bad)).code == 404


async def test_the_sweep_deletes_only_what_was_trashed_longer_ago_than_the_keeping_time(world, db):
    store = await world.site("blog")
    editor = await world.member(store, "editor")
    old = await world.post(store, editor, "Old")
    recent = await world.post(store, editor, "Recent")
    await store.trash.trash(old["_id"])
    await store.trash.trash(recent["_id"])
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30, minutes=1)
    assert await sweep(db, days=30, now=later - dt.timedelta(days=1)) == 0
    assert await sweep(db, days=30, now=later) == 2
    assert await store.trash.list() == []


async def test_media_used_only_by_trashed_posts_is_flagged_not_deleted(world, client):
    from tests import images

    store, editor, session = await editor_site(world, client)
    answer = await upload(session, [("beach.png", images.png_transparent(80, 60), "image/png")])
    assert answer.code in (200, 201), answer.body
    item = (await store.media.list()).items[0]
    url = item["files"][0]["url"]
    post = await world.post(store, editor, "Beach", "![Beach](%s)" % url)
    assert b"only-trash" not in (await session.get("/admin/media/%s" % item["_id"])).body
    assert b"only-trash" not in (await session.get("/admin/media")).body
    await session.post("/admin/posts/%s/delete" % post["_id"])
    flagged = await session.get("/admin/media/%s" % item["_id"])
    assert flagged.code == 200 and b"Used only by posts in the Trash" in flagged.body
    assert b"used only by posts in the Trash" in (await session.get("/admin/media")).body
    assert await store.media.get(item["_id"]) is not None
    await world.post(store, editor, "Beach again", "![Beach](%s)" % url)  # shown again: no flag
    assert b"only-trash" not in (await session.get("/admin/media/%s" % item["_id"])).body
    await store.trash.empty()
    assert await store.media.get(item["_id"]) is not None


async def test_the_background_sweep_uses_cms_trash_days_once_an_hour_across_processes(world, app, db):
    from cms.trashsweep import TrashSweep

    store = await world.site("blog")
    editor = await world.member(store, "editor")

    async def trashed_long_ago(title: str, days: int) -> dict:
        post = await store.trash.trash((await world.post(store, editor, title))["_id"])
        # A whole replace: nx-27017 would store a $set datetime as a string.
        await db.posts.replace_one({"_id": post["_id"]}, {**post, "trashed_at": post["trashed_at"] - dt.timedelta(days=days)})
        return post

    first = await trashed_long_ago("First", 31)
    recent = await trashed_long_ago("Recent", 29)
    assert await app.trash_sweep.run() == 1  # CMS_TRASH_DAYS (30): the 31-day-old one only
    assert await db.posts.find_one({"_id": first["_id"]}) is None
    assert await store.trash.get(recent["_id"]) is not None
    await trashed_long_ago("Second", 40)
    other_process = TrashSweep(app)  # the same database, another process's sweeper
    assert await other_process.run() == 0 and len(await store.trash.list()) == 2  # not its turn this hour
    await db.jobs.replace_one({"_id": "trash-sweep"}, {"_id": "trash-sweep",
                                                        "next": dt.datetime.now(dt.timezone.utc)})  # an hour on
    assert await other_process.run() == 1


async def test_a_site_with_posts_in_the_trash_exports_and_imports_without_them(world, db, tmp_path):
    from cms.export import export_site
    from cms.export.restore_site import restore_archive
    from tests.conftest import TEST_PASSWORD
    from tests.export_site import new_site

    store = await world.site("blog")
    owner = await world.member(store, "owner", email="owner-blog@example.com")
    kept = await world.post(store, owner, "Kept")
    gone = await world.post(store, owner, "Gone")
    await store.comments.add(gone, "A comment.", status="approved", name="Ann", email="ann@example.com")
    await store.trash.trash(gone["_id"])
    path = tmp_path / "blog.zip"
    counts = await export_site(store, path)
    assert counts["posts"] == 1
    copy = await new_site(db, "copy", "owner-blog@example.com", TEST_PASSWORD)
    report = await restore_archive(db, copy.site, path)
    assert report.posts == 1
    assert [p["title"] async for p in db.posts.find({"site_id": copy.site_id})] == [kept["title"]]
