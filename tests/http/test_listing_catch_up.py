"""A site's listing catches up on what changed, and a new process starts from a kept copy.

Reading every post of a 50,000-post site took over 10 s on the embedded server
(tests/bench/bench_sitemap.py), once per change of the site and per process.
cms/store/listing.py now reads a site whole once, then only the posts written
since, and keeps the listing in the database for the next process. What a
reader sees must be exactly what a whole read would give.
"""

from __future__ import annotations

import pytest

from cms.store import listing as listing_module
from cms.store import posts as posts_module
from cms.store.posts import Posts
from cms.store.scoped import Scoped


@pytest.fixture
def process(monkeypatch):
    """A fresh process's listings (a new `Listings`), replaced by calling it again."""
    def start() -> listing_module.Listings:
        listings = listing_module.Listings()
        monkeypatch.setattr(posts_module, "LISTINGS", listings)
        return listings
    return start


@pytest.fixture
def kept_from_one(monkeypatch):
    monkeypatch.setattr(listing_module, "KEEP_FROM", 1)


async def titles(world, store) -> list[str]:
    """What a reader page would list now (a new store per call, as per request)."""
    return [e["title"] for e in (await Posts(world.db, store.site_id).listing()).visible("post")]


async def test_an_edit_is_listed_without_reading_every_post_again(world, process):
    listings = process()
    store = await world.site("blog")
    ada = await world.member(store, "owner")
    first = await world.post(store, ada, "First")
    await world.post(store, ada, "Second")
    assert await titles(world, store) == ["Second", "First"]
    assert listings.whole_reads == 1

    await store.posts.update(first["_id"], first["version"], title="First, edited", markdown="Body text.",
                             status="published", published_at=first["published_at"])
    assert await titles(world, store) == ["Second", "First, edited"]
    assert listings.whole_reads == 1


async def test_unpublishing_trashing_and_publishing_move_posts_out_and_in(world, process):
    listings = process()
    store = await world.site("blog")
    ada = await world.member(store, "owner")
    one = await world.post(store, ada, "One")
    two = await world.post(store, ada, "Two")
    draft = await world.post(store, ada, "Draft", status="draft")
    assert await titles(world, store) == ["Two", "One"]

    await store.posts.update(one["_id"], one["version"], title="One", markdown="Body text.", status="draft")
    assert await titles(world, store) == ["Two"]
    await store.trash.trash(two["_id"])
    assert await titles(world, store) == []
    await store.posts.update(draft["_id"], draft["version"], title="Draft", markdown="Body text.",
                             status="published")
    assert await titles(world, store) == ["Draft"]
    assert listings.whole_reads == 1


async def test_a_new_process_starts_from_the_kept_listing_and_catches_up(world, process, kept_from_one):
    process()
    store = await world.site("blog")
    ada = await world.member(store, "owner")
    first = await world.post(store, ada, "First")
    await world.post(store, ada, "Second")
    assert await titles(world, store) == ["Second", "First"]  # read whole, and kept

    await store.posts.update(first["_id"], first["version"], title="First, edited", markdown="Body text.",
                             status="published", published_at=first["published_at"])
    await world.post(store, ada, "Third")
    restarted = process()
    assert await titles(world, store) == ["Third", "Second", "First, edited"]
    assert restarted.whole_reads == 0


async def test_deleted_published_posts_make_every_process_read_the_site_whole(world, process):
    listings = process()
    store = await world.site("blog")
    ada = await world.member(store, "owner")
    await world.post(store, ada, "Kept")
    await world.post(store, ada, "Deleted")
    assert await titles(world, store) == ["Deleted", "Kept"]

    # A delete leaves no stamp to catch up on (a failed archive restore deletes a site's posts so).
    await Scoped(world.db.posts, store.site_id).delete_many({"slug": "deleted"})
    assert await titles(world, store) == ["Kept"]
    assert listings.whole_reads == 2


async def test_a_kept_listing_serves_only_its_own_site(world, process, kept_from_one):
    process()
    blog, news = await world.site("blog"), await world.site("news")
    ada = await world.member(blog, "owner")
    bob = await world.member(news, "owner")
    await world.post(blog, ada, "Blog post")
    await world.post(news, bob, "News post")
    assert await titles(world, blog) == ["Blog post"]
    assert await titles(world, news) == ["News post"]

    restarted = process()
    assert await titles(world, news) == ["News post"]
    assert await titles(world, blog) == ["Blog post"]
    assert restarted.whole_reads == 0


async def test_parts_of_two_kept_listings_are_never_mixed(world, process, kept_from_one, monkeypatch):
    monkeypatch.setattr(listing_module, "PART", 1)
    process()
    store = await world.site("blog")
    ada = await world.member(store, "owner")
    await world.post(store, ada, "First")
    await world.post(store, ada, "Second")
    assert await titles(world, store) == ["Second", "First"]
    parts = Scoped(world.db.listings, store.site_id, affects_pages=False)
    assert await parts.count_documents({}) == 2
    # Another process saving at the same moment overwrote one part with its own snapshot.
    await parts.update_one({"part": 1}, {"$set": {"snapshot": "another"}})

    restarted = process()
    assert await titles(world, store) == ["Second", "First"]
    assert restarted.whole_reads == 1
