"""Issue 15.3: characters XML 1.0 cannot carry never reach a feed or the sitemap.

They are dropped when a post is saved (cms/text/chars.py) and again when a feed
is written, for data stored before (or by other doors than the editor).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser

from cms.store.changes import Changes
from cms.text.chars import XML_UNSAFE, xml_safe

# Every character XML 1.0 forbids that a Python str can hold: C0 controls but tab,
# LF and CR; lone surrogates; U+FFFE and U+FFFF. (0x7F-0x9F are allowed.)
FORBIDDEN = ([chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)]
             + ["\ud800", "\udfff", "\ufffe", "\uffff"])
ALL = "".join(FORBIDDEN)


def strictly_valid(body: bytes) -> None:
    ET.fromstring(body)  # expat: refuses any character XML 1.0 forbids
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")


def test_the_pattern_knows_every_forbidden_character_and_keeps_the_allowed_ones():
    assert xml_safe("a%sb" % ALL) == "ab"
    kept = "\t\n\r\x7f\x85 é😀\ufffd"
    assert xml_safe(kept) == kept
    assert all(XML_UNSAFE.fullmatch(c) for c in FORBIDDEN)


async def test_a_post_saved_with_every_forbidden_character_keeps_none_of_them(world, client):
    store = await world.site("blog", title="Blog")
    author = await world.member(store, "owner", name="Ada", username="ada")
    post = await world.post(store, author, "Title%s end" % ALL, markdown="Body %s text.\n\nMore." % ALL,
                            tags=["Tag%s" % ALL], custom_excerpt="Excerpt %s here" % ALL)
    for field in ("title", "markdown", "html", "excerpt", "custom_excerpt"):
        assert not XML_UNSAFE.search(post[field]), field
    assert post["title"] == "Title end" and post["tags"] == ["Tag"]
    for path in ("/feed.xml", "/rss.xml"):
        answer = await client.get("blog", path)
        assert answer.code == 200
        strictly_valid(answer.body)
    for path in ("/sitemap.xml", "/sitemap-pages.xml", "/sitemap-posts-1.xml", "/sitemap-tags.xml",
                 "/sitemap-authors.xml"):
        answer = await client.get("blog", path)
        assert answer.code == 200, path
        ET.fromstring(answer.body)


async def test_feeds_stay_valid_when_stored_data_holds_forbidden_characters(world, client, db):
    store = await world.site("blog", title="Blog")
    author = await world.member(store, "owner", name="Ada", username="ada")
    post = await world.post(store, author, "Clean", markdown="Clean body.", tags=["news"])
    # As data written before this rule, or by an import, would be (surrogates cannot be stored as UTF-8).
    dirty = "".join(c for c in FORBIDDEN if not 0xD800 <= ord(c) <= 0xDFFF)
    await db.posts.update_one({"_id": post["_id"]}, {"$set": {
        "title": "Dirty%s" % dirty, "html": "<p>Body %s</p>" % dirty, "excerpt": "Ex%s" % dirty,
        "tags": ["news%s" % dirty]}})
    await db.users.update_one({"_id": author["_id"]}, {"$set": {"name": "Ada%s" % dirty}})
    await Changes(db).bump(store.site_id)  # what every write through a store does: pages are made again
    for path in ("/feed.xml", "/rss.xml"):
        answer = await client.get("blog", path)
        assert answer.code == 200
        strictly_valid(answer.body)
        assert b"Dirty" in answer.body
