"""Where the embedded server (nx-27017 0.8) differs from MongoDB, pinned down.

The application codes to MongoDB's documented behaviour and works around each
gap in one place. If one of these tests starts failing after an upgrade of
nx-27017, the gap has closed and the workaround it names can go.
"""

import pytest
from bson import ObjectId


async def test_equality_on_an_objectid_outside_id_finds_nothing(db):
    """MongoDB matches it; nx-27017 does not. Workaround: string ids (cms/store/ids.py)."""
    ref = ObjectId()
    await db.scratch.insert_one({"ref": ref})
    assert await db.scratch.count_documents({"ref": ref}) == 0  # MongoDB: 1
    assert [d async for d in db.scratch.find({"ref": ref})] == []  # MongoDB: 1 document
    await db.scratch.insert_one({"ref": str(ref)})
    assert len([d async for d in db.scratch.find({"ref": str(ref)})]) == 1


async def test_array_element_equality_on_an_indexed_field_finds_nothing(db):
    """MongoDB matches an element of an indexed array; nx-27017's find does not.

    Workaround: ``$in`` in `Sites.by_domain` (the one array lookup by index).
    """
    await db.scratch.create_index("domains")
    await db.scratch.insert_one({"domains": ["a.example.com", "b.example.com"]})
    assert [d async for d in db.scratch.find({"domains": "b.example.com"})] == []  # MongoDB: 1 document
    assert len([d async for d in db.scratch.find({"domains": {"$in": ["b.example.com"]}})]) == 1


async def test_projecting_the_text_score_drops_the_other_fields(db):
    """MongoDB returns the whole document plus ``score``; nx-27017 returns only
    ``_id`` and ``score``. Workaround: `Posts.search` ranks the ``$text``
    candidates in the application instead of projecting the score.
    """
    await db.scratch.create_index([("title", "text")])
    await db.scratch.insert_many([{"title": "hello world"}, {"title": "hello hello hello"}])
    found = [d async for d in db.scratch.find({"$text": {"$search": "hello"}})]
    assert len(found) == 2
    scored = [d async for d in db.scratch.find({"$text": {"$search": "hello"}}, {"score": {"$meta": "textScore"}})]
    assert all(set(d) == {"_id", "score"} for d in scored)  # MongoDB: title too


async def test_repeating_a_text_index_on_a_filled_collection_fails(db):
    """MongoDB treats a repeated ``create_index`` as a no-op; nx-27017 fails
    for a text index once there are documents. Workaround: `ensure_indexes`
    skips the indexes that exist (and is then safe to run at every start).
    """
    import pymongo

    from cms.db import ensure_indexes

    await db.scratch.create_index([("title", "text")], name="t")
    await db.scratch.insert_one({"title": "x"})
    with pytest.raises(pymongo.errors.OperationFailure):
        await db.scratch.create_index([("title", "text")], name="t")
    await db.posts.insert_one({"site_id": "s", "type": "post", "slug": "x", "title": "t", "markdown": "m"})
    await ensure_indexes(db)  # the fixture ran it once already; again is fine
    assert (await db.posts.find_one({"$text": {"$search": "t"}}))["slug"] == "x"


# --- GridFS (media) ---------------------------------------------------------------


async def test_gridfs_buckets_store_and_filter_but_cannot_count_update_or_hold_datetimes(db):
    """A named bucket ("media") works in nx-27017 0.8 (as "media_files"/"media_chunks"
    tables), and ``find`` filters on ``metadata.site_id`` (equality, ``$in``, with
    ``_id``) behave as in MongoDB. But on the bucket's collections
    ``count_documents``/``aggregate`` fail, ``update_one`` changes nothing,
    ``uploadDate`` comes back as a string, and a datetime in ``metadata`` is refused. MongoDB does all of it.
    Workaround, in cms/store/media.py: what the library lists, searches and
    edits lives in the plain ``media_items`` collection; GridFS holds bytes and
    string metadata only; `count_files` counts by iterating ``find``.
    """
    import datetime as dt

    import pymongo
    from motor.motor_asyncio import AsyncIOMotorGridFSBucket

    bucket = AsyncIOMotorGridFSBucket(db, bucket_name="media")
    await bucket.upload_from_stream_with_id("s1/a.jpg", "a.jpg", b"x" * 1000, metadata={"site_id": "s1"})
    await bucket.upload_from_stream_with_id("s2/b.jpg", "b.jpg", b"y" * 10, metadata={"site_id": "s2"})
    files = db["media.files"]
    assert [d["_id"] async for d in files.find({"metadata.site_id": "s1"})] == ["s1/a.jpg"]
    assert [d["_id"] async for d in files.find({"metadata.site_id": {"$in": ["s2"]}})] == ["s2/b.jpg"]
    assert [d async for d in files.find({"_id": "s1/a.jpg", "metadata.site_id": "s2"})] == []
    stream = await bucket.open_download_stream("s1/a.jpg")
    stream.seek(990)
    assert await stream.read(100) == b"x" * 10
    with pytest.raises(pymongo.errors.OperationFailure):
        await files.count_documents({"metadata.site_id": "s1"})  # MongoDB: 1
    with pytest.raises(pymongo.errors.OperationFailure):
        await db["media.chunks"].count_documents({})  # MongoDB: 2
    result = await files.update_one({"_id": "s1/a.jpg"}, {"$set": {"metadata.alt": "x"}})
    assert result.modified_count == 0  # MongoDB: 1
    assert isinstance((await files.find_one({"_id": "s1/a.jpg"}))["uploadDate"], str)  # MongoDB: a datetime
    with pytest.raises(pymongo.errors.OperationFailure):
        await bucket.upload_from_stream("c.jpg", b"z", metadata={"at": dt.datetime.now(dt.timezone.utc)})


async def test_find_compares_datetime_ranges_to_the_whole_second(db):
    """MongoDB compares dates to the millisecond in ``find`` as in ``count``;
    nx-27017's ``find`` ignores the milliseconds (``count_documents`` does not).

    No workaround needed: a scheduled time is a whole minute (the editor's
    ``datetime-local``), so "published_at <= now" flips at that very second
    on both servers; a post published "now" is in the past anyway.
    tests/http/test_scheduled.py schedules on a whole second for that reason.
    """
    import datetime as dt

    when = dt.datetime(2030, 1, 1, 0, 0, 50, 501000, tzinfo=dt.timezone.utc)
    await db.scratch.insert_one({"when": when})
    earlier_same_second = {"when": {"$lte": when.replace(microsecond=100000)}}
    assert await db.scratch.count_documents(earlier_same_second) == 0
    assert len([d async for d in db.scratch.find(earlier_same_second)]) == 1  # MongoDB: none
    assert [d async for d in db.scratch.find({"when": {"$lte": when.replace(second=49)}})] == []


async def test_a_boolean_written_by_set_comes_back_as_an_integer(db):
    """MongoDB keeps ``true``/``false`` whatever wrote them; nx-27017 keeps a boolean written
    by ``$set`` as 1 or 0 (an inserted one stays a boolean), and ``{"f": True}`` matches 1.

    Workaround: flags are read as truth values, never compared with ``is``
    (`cms.store.users.is_confirmed` for ``email_confirmed``), and a filter on a flag
    only ever looks for the value it was inserted with (`Outbox.claim_unlogged`).
    """
    await db.scratch.insert_one({"_id": "a", "on": False})
    assert (await db.scratch.find_one({"_id": "a"}))["on"] is False
    await db.scratch.update_one({"_id": "a"}, {"$set": {"on": True}})
    stored = (await db.scratch.find_one({"_id": "a"}))["on"]
    assert stored == 1 and stored is not True  # MongoDB: True
    assert await db.scratch.count_documents({"on": True}) == 1


async def test_find_one_and_replace_or_update_refused_by_a_unique_index_answers_none(db):
    """MongoDB raises DuplicateKeyError; nx-27017 answers None, as if nothing matched.

    Workaround: `cms.store.scoped.find_one_and_modify` raises DuplicateKeyError when
    a document matches yet nothing was written (every `Scoped` store uses it).
    """
    import pymongo

    from cms.store.scoped import find_one_and_modify

    await db.scratch.create_index("slug", unique=True)
    await db.scratch.insert_many([{"_id": "a", "slug": "one"}, {"_id": "b", "slug": "two"}])
    assert await db.scratch.find_one_and_replace({"_id": "b"}, {"slug": "one"}) is None  # MongoDB: raises
    assert await db.scratch.find_one_and_update({"_id": "b"}, {"$set": {"slug": "one"}}) is None  # MongoDB: raises
    for method, change in (("find_one_and_replace", {"slug": "one"}), ("find_one_and_update", {"$set": {"slug": "one"}})):
        with pytest.raises(pymongo.errors.DuplicateKeyError):
            await find_one_and_modify(db.scratch, method, {"_id": "b"}, change)
    assert await find_one_and_modify(db.scratch, "find_one_and_replace", {"_id": "c"}, {"slug": "one"}) is None
    assert (await db.scratch.find_one({"_id": "b"}))["slug"] == "two"


async def test_transactions_are_accepted_but_not_isolated(db):
    """MongoDB runs multi-document transactions on a replica set, isolated, and refuses
    them on a standalone server. nx-27017 says it is standalone (no ``setName``) yet
    accepts them, without isolation: a read outside sees a write not yet committed,
    and aborting one transaction undoes another one's committed write.
    Workaround: `cms.store.saving.supports_transactions` trusts ``hello`` (no for
    nx-27017), so a save orders its writes instead of using a transaction.
    """
    import asyncio

    from cms.store.saving import supports_transactions

    assert "setName" not in await db.command("hello")
    assert await supports_transactions(db) is False
    written, committed = asyncio.Event(), asyncio.Event()

    async def aborted(session) -> None:
        await db.scratch.insert_one({"_id": "aborted"}, session=session)
        written.set()
        await committed.wait()
        raise RuntimeError("abort")

    async def kept(session) -> None:
        await written.wait()
        await db.scratch.insert_one({"_id": "committed"}, session=session)

    async def run(callback) -> None:
        async with await db.client.start_session() as session:
            await session.with_transaction(callback)
        committed.set()

    async def outside() -> list:
        await written.wait()
        return [d["_id"] async for d in db.scratch.find({})]

    first = asyncio.ensure_future(run(aborted))
    seen = await outside()
    await run(kept)
    with pytest.raises(RuntimeError):
        await first
    assert seen == ["aborted"]  # MongoDB: [] (not committed yet)
    assert [d async for d in db.scratch.find({})] == []  # MongoDB: the committed one is kept


async def test_gridfs_chunks_are_not_seen_by_plain_queries_nor_listed_by_their_mongodb_names(db):
    """MongoDB lists ``media.files``/``media.chunks`` and ``find`` on the chunks returns
    them; nx-27017 lists ``media_files``/``media_chunks`` and ``find`` on ``media.chunks``
    returns nothing. Workaround: `cms.backup` copies media through the GridFS API, and
    skips the buckets under both names when it copies collections.
    """
    from motor.motor_asyncio import AsyncIOMotorGridFSBucket

    bucket = AsyncIOMotorGridFSBucket(db, bucket_name="media")
    await bucket.upload_from_stream_with_id("s1/a.jpg", "a.jpg", b"x" * 1000, metadata={"site_id": "s1"})
    assert [d async for d in db["media.chunks"].find({})] == []  # MongoDB: one chunk
    names = await db.list_collection_names()
    assert {"media_files", "media_chunks"} <= set(names) and "media.chunks" not in names  # MongoDB: media.chunks
    assert await (await bucket.open_download_stream("s1/a.jpg")).read() == b"x" * 1000


# --- the query planner (issue 13) ---------------------------------------------------


async def test_an_unknown_command_answers_ok(db):
    """MongoDB fails it (``CommandNotFound``, code 59); nx-27017 answers ``ok: 1``.

    Nothing in the app sends one; the failed-command metric's test
    (tests/http/test_metrics.py) fails a command with an unknown aggregation stage instead.
    """
    assert (await db.command("noSuchCommand"))["ok"] == 1  # MongoDB: OperationFailure


async def plan(db, collection: str, filter: dict) -> str:
    """The embedded server's plan for a find: SQLite's EXPLAIN QUERY PLAN, in one line."""
    answer = await db.command({"explain": {"find": collection, "filter": filter}})
    return " | ".join(step.get("detail", "") for step in answer["queryPlanner"]["winningPlan"])


async def test_the_planner_uses_a_single_field_index_but_not_a_compound_ones_prefix(db):
    """MongoDB runs ``{site_id, status}`` on the prefix of a compound index; nx-27017
    scans the collection. Workaround: single-field ``site_id`` indexes (`cms.db.INDEXES`),
    which it does use. It does not count through an index either (``count_documents``
    reads every match), so reader pages never count (cms/store/listing.py).
    """
    await db.scratch.create_index([("site_id", 1), ("status", 1), ("published_at", -1)])
    assert (await plan(db, "scratch", {"site_id": "s", "status": "published"})).startswith("SCAN scratch")
    await db.scratch.create_index("site_id")
    assert "USING INDEX idx_scratch_site_id" in await plan(db, "scratch", {"site_id": "s", "status": "published"})


async def test_every_query_of_a_reader_page_uses_an_index_and_none_counts(world, settings, tmp_path):
    """A cold render of each reader page: every find it sends runs through an index,
    so its cost depends on its own site's size, not the platform's."""
    from pymongo import monitoring

    from cms import db as database
    from cms.app import make_app
    from tests.conftest import Client

    class Finds(monitoring.CommandListener):
        def __init__(self):
            self.seen = []

        def started(self, event):
            self.seen.append((event.command_name, event.command.get(event.command_name), event.command.get("filter")))

        def succeeded(self, event):
            pass

        def failed(self, event):
            pass

    store = await world.site("blog")
    author = await world.member(store, "owner", username="writer")
    for n in range(3):
        await world.post(store, author, "Post %d" % n, tags=["Shared"])
    await world.post(store, author, "About", type="page")
    other = await world.site("other")  # its posts must not be read
    await world.post(other, await world.member(other, "owner"), "Elsewhere")
    finds = Finds()
    mongo = database.connect(settings.mongodb_uri, event_listeners=[finds])
    app = make_app(settings, mongo[settings.database_name])
    from tornado.httpclient import AsyncHTTPClient
    from tornado.httpserver import HTTPServer

    server = HTTPServer(app)
    port = database.free_port()
    server.listen(port, "127.0.0.1")
    client = Client(port, AsyncHTTPClient(force_instance=True))
    try:
        for path in ("/", "/posts/post-1", "/tags/shared", "/authors/writer", "/about", "/feed.xml", "/sitemap.xml"):
            assert (await client.get("blog", path)).code == 200, path
        commands = [c for c in finds.seen if c[0] not in ("endSessions", "hello", "isMaster", "ping")]
        assert [c for c in commands if c[0] != "find"] == []  # no count, distinct or aggregate
        for _, collection, filter in commands:
            # Not here: the change watcher's poll (the changes collection, whole) and a
            # custom domain's lookup (``$in`` on the multikey ``domains``, which this
            # server scans: one small document per site, once per host and process).
            if filter and "domains" not in filter:
                assert "USING INDEX" in await plan(mongo[settings.database_name], collection, filter), (collection, filter)
    finally:
        client.http.close()
        server.stop()
        app.changes.stop()
        mongo.close()


async def test_a_document_it_cannot_decode_comes_back_as_a_marker_not_an_error(tmp_path):
    """MongoDB fails a read of a damaged document; nx-27017 returns ``{_id,
    "__neosqlite_corrupted__": True}`` in its place. Workaround: `cms.db.read_check`
    (``/readyz``) looks for the marker.
    """
    import sqlite3

    from cms import db as database

    with database.EmbeddedServer(tmp_path / "db") as server:
        client = database.connect(server.uri)
        try:
            await client.cms.scratch.insert_one({"_id": "a", "title": "x"})
            with sqlite3.connect(tmp_path / "db" / "cms.db") as files:
                files.execute("UPDATE scratch SET data = 'not a document'")
            found = await client.cms.scratch.find_one({})  # MongoDB: an error
            assert found == {"_id": "a", database.DAMAGED: True}
        finally:
            client.close()


async def test_a_projection_of_a_dotted_field_comes_back_flat(db):
    """MongoDB nests it (``{"f": {"url": ...}}``); nx-27017 answers ``{"f.url": ...}``.

    Workaround: `cms.store.listing.nest_dotted`, where the listing reads
    ``featured_image.url`` for the sitemap.
    """
    await db.scratch.insert_one({"f": {"url": "/media/a.jpg", "alt": "A"}})
    found = await db.scratch.find_one({}, {"f.url": 1, "_id": 0})
    assert found == {"f.url": "/media/a.jpg"}  # MongoDB: {"f": {"url": "/media/a.jpg"}}


async def test_a_boolean_written_by_set_reads_back_as_one(db):
    """MongoDB keeps ``True``; nx-27017 stores a boolean written by ``$set`` as ``1``
    (one inserted with the document stays ``True``). Workaround: the account flags
    ``platform_admin`` and ``disabled`` are read as truth values (`cms.sessions`,
    `cms.handlers.console`), never compared with ``is True``."""
    await db.scratch.insert_one({"_id": "a", "inserted": True})
    await db.scratch.update_one({"_id": "a"}, {"$set": {"flag": True}})
    found = await db.scratch.find_one({"_id": "a"})
    assert found["inserted"] is True
    assert found["flag"] == 1 and found["flag"] is not True  # MongoDB: True
    assert await db.scratch.count_documents({"flag": True}) == 1  # the query still matches


async def test_group_max_of_dates_is_text_and_sum_of_a_missing_field_is_none(db):
    """In ``$group``, MongoDB's ``$max`` of datetimes is a datetime and ``$sum`` over
    documents without the field is 0; nx-27017 answers the date's extended-JSON text
    and None. Workarounds: `cms.store.console.as_datetime` and ``or 0`` in
    `Console.numbers`."""
    import datetime as dt

    from cms.store.console import as_datetime

    when = dt.datetime(2026, 11, 26, 11, 31, 56, 497000, tzinfo=dt.timezone.utc)
    await db.scratch.insert_many([{"k": 1, "at": when}, {"k": 1, "at": when - dt.timedelta(days=1)}])
    row = [r async for r in db.scratch.aggregate(
        [{"$group": {"_id": "$k", "last": {"$max": "$at"}, "total": {"$sum": "$missing"}}}])][0]
    assert isinstance(row["last"], str) and "$date" in row["last"]  # MongoDB: the datetime
    assert as_datetime(row["last"]) == when == as_datetime(when)
    assert row["total"] is None  # MongoDB: 0


async def test_add_to_set_on_a_missing_field_creates_nothing(db):
    """MongoDB creates the array; nx-27017 matches the document and leaves it as it was.

    Workaround: `cms.store.domains.SiteDomains` writes whole arrays with ``$set``,
    as a compare-and-swap on ``domains_rev``.
    """
    await db.scratch.insert_one({"_id": 1})
    result = await db.scratch.update_one({"_id": 1}, {"$addToSet": {"domains": "a.example.com"}})
    assert result.matched_count == 1 and result.modified_count == 0  # MongoDB: 1 modified
    assert await db.scratch.find_one({"_id": 1}) == {"_id": 1}  # MongoDB: domains: ["a.example.com"]


async def test_an_update_filter_with_ne_on_a_missing_dotted_field_matches_nothing(db):
    """MongoDB's update matches (a missing field is "not equal"); nx-27017's count does
    too, but its update does not. Workaround: the same compare-and-swap (cms/store/domains.py)."""
    await db.scratch.insert_one({"_id": 1})
    condition = {"_id": 1, "claims.name": {"$ne": "a.example.com"}}
    assert await db.scratch.count_documents(condition) == 1
    result = await db.scratch.update_one(condition, {"$push": {"claims": {"name": "a.example.com"}}})
    assert result.matched_count == 0  # MongoDB: 1


async def test_array_position_exists_and_not_equal_to_empty_array_do_not_filter(db):
    """MongoDB: ``{"tags.0": {"$exists": true}}`` and ``{"tags": {"$ne": []}}`` find the
    documents with a non-empty array; nx-27017 finds none with the first, every one with
    the second. Workaround: migration 5 (cms/migrations/m005_tag_slugs_in_any_script.py)
    reads every post and skips the tagless ones itself."""
    await db.scratch.insert_one({"tags": ["a"]})
    await db.scratch.insert_one({"tags": []})
    assert [d["tags"] async for d in db.scratch.find({"tags.0": {"$exists": True}})] == []  # MongoDB: [["a"]]
    assert len([d async for d in db.scratch.find({"tags": {"$ne": []}})]) == 2  # MongoDB: 1
