"""A large import as readers and the site see it: posts written in batches come out as one
at a time would, readers are told once, pages are fresh at the end, re-runs add nothing."""

from __future__ import annotations

import datetime as dt
import json

from cms.importers import jobs
from cms.store.posts import Posts
from tests.cli.test_import import minimal_wxr


async def owned(world, name: str = "lake"):
    store = await world.site(name)
    owner = await world.member(store, "owner", email="owner@%s.example" % name)
    return store, owner


def many(count: int, start: int = 1) -> list[tuple[int, str, str]]:
    return [(n, "Post number %d" % n, "<h2>Part %d</h2><p>Some <strong>words</strong> of post %d.</p>" % (n, n))
            for n in range(start, start + count)]


async def run(world, store, owner, tmp_path, items, name: str = "export.xml"):
    path = tmp_path / name
    path.write_bytes(minimal_wxr(*items))
    report = await jobs.run(world.db, store.site, "wordpress", str(path), owner["_id"])
    assert report.counts["failed"] == 0, report.text()
    return report


async def test_open_reader_pages_hear_of_an_import_once_not_per_post(world, client, tmp_path):
    store, owner = await owned(world)
    await world.post(store, owner, "Before")
    answer = json.loads((await client.get("lake", "/live.json?channel=posts&since=0")).body)
    seq = answer["seq"]
    await run(world, store, owner, tmp_path, many(45))
    answer = json.loads((await client.get("lake", "/live.json?channel=posts&since=%d" % seq)).body)
    assert len(answer["events"]) == 1, answer["events"]
    event = answer["events"][0]
    assert event["kind"] == "published" and event["count"] == 45
    assert event["url"] == "/posts/p45"  # the newest imported post: the list shows it first


async def test_an_import_of_drafts_or_a_second_run_tells_readers_nothing(world, client, db, tmp_path):
    store, owner = await owned(world)
    await run(world, store, owner, tmp_path, many(3))
    before = await db.events.count_documents({"site_id": store.site_id})
    await run(world, store, owner, tmp_path, many(3))
    assert await db.events.count_documents({"site_id": store.site_id}) == before


async def test_readers_see_the_imported_posts_once_the_import_is_done(world, client, tmp_path):
    store, owner = await owned(world)
    await world.post(store, owner, "Written here first")
    home = await client.get("lake", "/")
    assert b"Written here first" in home.body and b"Post number" not in home.body  # kept by the page cache
    await run(world, store, owner, tmp_path, many(30))
    home = await client.get("lake", "/")
    assert b"Written here first" in home.body and home.body.count(b">Post number ") == 9  # 10 a page
    assert (await client.get("lake", "/posts/p7")).code == 200
    assert (await client.get("lake", "/?page=3")).code == 200


async def test_batched_posts_are_what_one_save_at_a_time_makes(world, db, tmp_path):
    """The import writes many posts at once; each must be what the editor's save makes of its text."""
    store, owner = await owned(world)
    await run(world, store, owner, tmp_path, many(25))
    imported = await db.posts.find_one({"site_id": store.site_id, "slug": "p17"})
    other, _ = await owned(world, "other")
    made = await Posts(db, other.site_id).create(
        title=imported["title"], markdown=imported["markdown"], author_id=owner["_id"], slug="p17",
        published_at=imported["published_at"])
    for field in ("html", "excerpt", "toc", "words", "reading_minutes", "tags", "tag_slugs", "status",
                  "version", "type", "media_ids", "featured_image"):
        assert imported[field] == made[field], field
    revisions = [r async for r in db.revisions.find({"site_id": store.site_id, "post_id": imported["_id"]})]
    assert [(r["version"], r["markdown"], r["save_id"]) for r in revisions] == [
        (1, imported["markdown"], imported["save_id"])]
    assert await db.posts.count_documents({"site_id": store.site_id}) == 25
    assert await db.revisions.count_documents({"site_id": store.site_id}) == 25


async def test_slugs_taken_here_or_twice_in_one_batch_get_the_next_free_one(world, db, tmp_path):
    store, owner = await owned(world)
    await world.post(store, owner, "Mine", slug="p2")
    items = many(4) + [(9, "Twin", "<p>Same slug as p3.</p>")]
    path = tmp_path / "export.xml"
    path.write_bytes(minimal_wxr(*items).replace(b"<wp:post_name><![CDATA[p9]]>", b"<wp:post_name><![CDATA[p3]]>"))
    report = await jobs.run(world.db, store.site, "wordpress", str(path), owner["_id"])
    assert report.counts["imported"] == 5 and report.counts["failed"] == 0, report.text()
    slugs = sorted([p["slug"] async for p in db.posts.find({"site_id": store.site_id})])
    assert slugs == ["p1", "p2", "p2-2", "p3", "p3-2", "p4"]
    assert "the slug 'p2' is taken here: now 'p2-2'" in report.text()
    twin = await db.posts.find_one({"site_id": store.site_id, "title": "Twin"})
    assert twin["slug"] == "p3-2"


async def test_imported_posts_are_not_mailed_to_subscribers_as_new(world, db, tmp_path):
    """Even a post of the last hour: it is not new to anyone, it moved (an author's save would be mailed)."""
    store, owner = await owned(world)
    await world.post(store, owner, "Written here")
    assert await db.newsletters.count_documents({"site_id": store.site_id}) == 1  # what a save owes
    recent = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    path = tmp_path / "export.xml"
    path.write_bytes(minimal_wxr(*many(3)).replace(b"2024-01-02 03:04:05", recent.strftime("%Y-%m-%d %H:%M:%S").encode()))
    report = await jobs.run(world.db, store.site, "wordpress", str(path), owner["_id"])
    assert report.counts["imported"] == 3
    assert (await db.posts.find_one({"site_id": store.site_id, "slug": "p1"}))["status"] == "published"
    assert await db.newsletters.count_documents({"site_id": store.site_id}) == 1


async def test_an_import_moves_the_sites_change_counter_per_batch_at_most_not_per_post(world, db, tmp_path):
    """Each move makes every reader page and the site's listing be read again: once per post, readers
    of a large import waited on listings out of date before they were read (issue 11)."""
    store, owner = await owned(world)
    await world.post(store, owner, "Before")
    before = (await db.changes.find_one({"site_id": store.site_id}))["n"]
    await run(world, store, owner, tmp_path, many(60))  # 3 batches
    moves = (await db.changes.find_one({"site_id": store.site_id}))["n"] - before
    assert 1 <= moves <= 3 + 2, moves  # a batch each at most, the old addresses, the end


async def test_a_text_the_renderer_refuses_fails_alone_with_its_reason_and_its_batch_is_imported(world, db, tmp_path):
    store, owner = await owned(world)
    items = many(3) + [(7, "Marked up", "<p>%s</p>" % ("<em>a</em> " * 10000))] + many(3, start=4)
    path = tmp_path / "export.xml"
    path.write_bytes(minimal_wxr(*items))
    report = await jobs.run(world.db, store.site, "wordpress", str(path), owner["_id"])
    assert (report.counts["imported"], report.counts["failed"]) == (6, 1), report.text()
    assert "post 7 'Marked up': " in report.text() and "split it into shorter paragraphs" in report.text()
    assert sorted([p["slug"] async for p in db.posts.find({"site_id": store.site_id})]) == [
        "p1", "p2", "p3", "p4", "p5", "p6"]
    assert await db.revisions.count_documents({"site_id": store.site_id}) == 6  # none for the refused one
