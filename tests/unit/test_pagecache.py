import gzip
import time

from cms.pagecache import Entry, PageCache


def entry(stamp=(1, 1), body=b"x" * 100, expires=float("inf")) -> Entry:
    return Entry(stamp=stamp, expires=expires, status=200, content_type="text/html", body=body)


def test_an_entry_is_valid_only_under_the_counters_it_was_made_with():
    cache = PageCache()
    cache.put("a", entry(stamp=(3, 7)))
    assert cache.get("a", (3, 7)).body == b"x" * 100
    assert cache.get("a", (4, 7)) is None  # the site changed
    assert cache.get("a", (3, 7)) is None  # and the stale copy is gone


def test_an_entry_expires_at_its_time_and_at_max_age():
    cache = PageCache(max_age=60)
    cache.put("soon", entry(expires=time.time() - 1))
    assert cache.get("soon", (1, 1)) is None
    cache.put("later", entry())
    assert cache._entries["later"].expires <= time.time() + 60


def test_the_least_recently_used_pages_go_first_when_room_runs_out():
    cache = PageCache(max_bytes=1600)  # room for 16 pages of 100 bytes
    for key in "abcdefghijklmnop":
        cache.put(key, entry())
    assert cache.get("a", (1, 1)) is not None  # used: now the most recent
    cache.put("q", entry())
    cache.put("r", entry())
    assert cache.get("a", (1, 1)) is not None
    assert cache.get("b", (1, 1)) is None and cache.get("c", (1, 1)) is None
    assert cache.get("d", (1, 1)) is not None
    assert len(cache) == 16


def test_a_huge_page_is_not_kept():
    cache = PageCache(max_bytes=1600)
    cache.put("big", entry(body=b"x" * 200))
    assert len(cache) == 0


def test_a_stale_entry_is_served_for_a_bounded_time_then_dropped():
    cache = PageCache(max_stale=10)
    cache.put("a", entry(stamp=1))
    stale, fresh = cache.lookup("a", 2)  # the site changed
    assert stale is not None and not fresh
    stale.stale_since -= 11  # as if it had been found stale 11 s ago
    assert cache.lookup("a", 2) == (None, False)
    assert len(cache) == 0


async def test_a_stale_entry_is_served_while_its_new_rendering_is_under_way_up_to_max_age():
    """A re-render slowed down by a large import (issue 11) must not make readers wait for it:
    until it is in, they get the previous copy, past `max_stale` too, but never past `max_age`."""
    cache = PageCache(max_stale=10, max_age=300)
    cache.put("a", entry(stamp=1))
    stale, _ = cache.lookup("a", 2)
    assert cache.claim("a") is None  # its new rendering starts
    stale.stale_since -= 11
    assert cache.lookup("a", 2) == (stale, False)  # still rendering: the previous copy
    stale.stale_since -= 300
    assert cache.lookup("a", 2) == (None, False)
    cache.put("b", entry(stamp=1))
    stale, _ = cache.lookup("b", 2)
    assert cache.claim("b") is None
    cache.release("b")  # rendered without being kept (an error page)
    stale.stale_since -= 11
    assert cache.lookup("b", 2) == (None, False)


async def test_one_render_per_key_at_a_time():
    cache = PageCache()
    assert cache.claim("a") is None  # this caller renders
    flight = cache.claim("a")
    assert flight is not None and not flight.done()  # others wait for it
    assert cache.claim("b") is None  # another page renders at the same time
    cache.release("a")
    assert flight.done()
    assert cache.claim("a") is None  # the next change renders again


def test_an_entry_keeps_its_gzip_and_etags():
    made = Entry.made(1, float("inf"), 200, "text/html; charset=UTF-8", b"<p>hello</p>" * 100)
    assert gzip.decompress(made.gzipped) == made.body
    assert made.etag != made.gzip_etag
    tiny = Entry.made(1, float("inf"), 200, "text/html", b"<p>hi</p>")
    image = Entry.made(1, float("inf"), 200, "image/png", b"\x89PNG" * 100)
    assert tiny.gzipped is None and image.gzipped is None
