"""WXR 1.2 out: a file WordPress's importer reads, checked as XML the way WordPress writes it."""

from __future__ import annotations

from lxml import etree

from cms.export import write_format
from cms.export.wxr import NAMESPACES
from cms.importers import jobs
from cms.store.posts import state_of
from cms.text.markdown import plain_text
from tests.conftest import TEST_PASSWORD
from tests.export_site import MEDIA_URL, new_site, rich_site

WP = "{http://wordpress.org/export/1.2/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
EXCERPT = "{http://wordpress.org/export/1.2/excerpt/}encoded"
BASE = "https://rich.example.org"


async def wxr_of(world, tmp_path, extra=None):
    rich = await rich_site(world, tmp_path)
    if extra:
        await extra(rich)
    path = tmp_path / "site.xml"
    counts = await write_format(rich["store"], "wxr", path, BASE)
    # A strict parser: no recovery, so anything but well-formed XML fails here.
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    return rich, counts, tree, path


def items_by_name(tree) -> dict[str, etree._Element]:
    return {item.findtext(WP + "post_name"): item for item in tree.iter("item")}


async def test_the_wxr_file_is_wordpress_shaped_xml_with_every_post_page_and_image(world, db, tmp_path):
    rich, counts, tree, path = await wxr_of(world, tmp_path)
    assert counts == {"posts": 4, "media": 2, "comments": 4}
    root = tree.getroot()
    assert root.tag == "rss" and root.get("version") == "2.0"
    assert dict(root.nsmap) == dict(NAMESPACES)
    channel = root.find("channel")
    assert channel.findtext(WP + "wxr_version") == "1.2" and channel.findtext(WP + "base_site_url") == BASE
    assert channel.findtext("title") == "Rich Site"
    logins = {a.findtext(WP + "author_email"): a.findtext(WP + "author_login") for a in channel.iter(WP + "author")}
    assert set(logins) == {"owner-rich@example.com", "editor-rich@example.com", "author-rich@example.com"}  # who wrote
    assert {t.findtext(WP + "tag_slug") for t in channel.iter(WP + "tag")} == {"travel", "sea", "ideas"}

    items = items_by_name(tree)
    harbour = items["harbour-notes"]
    assert harbour.findtext("title") == "Harbour notes, revised"
    assert harbour.findtext("link") == BASE + "/posts/harbour-notes"
    assert harbour.findtext(WP + "status") == "publish" and harbour.findtext(WP + "post_type") == "post"
    assert harbour.findtext(WP + "post_date_gmt") == "2024-05-01 08:30:00"
    assert harbour.findtext(WP + "post_date") == "2024-05-01 10:30:00"  # the site is in Paris
    assert harbour.findtext("{http://purl.org/dc/elements/1.1/}creator") == logins["author-rich@example.com"]
    assert harbour.findtext(EXCERPT) == "A morning at the harbour."
    tags = {(c.get("domain"), c.get("nicename"), c.text) for c in harbour.iter("category")}
    assert tags == {("post_tag", "travel", "Travel"), ("post_tag", "sea", "Sea")}
    content = harbour.findtext(CONTENT)
    assert "<strong>text</strong>" in content and "srcset" not in content
    original = next(f["url"] for f in rich["photo"]["files"] if f["original"])
    assert 'src="%s%s"' % (BASE, original) in content

    thumbnail = {m.findtext(WP + "meta_key"): m.findtext(WP + "meta_value") for m in harbour.iter(WP + "postmeta")}
    attachment = next(i for i in tree.iter("item") if i.findtext(WP + "post_id") == thumbnail["_thumbnail_id"])
    assert attachment.findtext(WP + "post_type") == "attachment"
    assert attachment.findtext(WP + "attachment_url") == BASE + original

    comments = {c.findtext(WP + "comment_author"): c for c in harbour.iter(WP + "comment")}
    assert set(comments) == {"A Reader", "Guest Gil", "Olga Owner", "Spammy"}
    assert comments["A Reader"].findtext(WP + "comment_date_gmt") == "2024-05-02 09:00:00"
    assert comments["Guest Gil"].findtext(WP + "comment_content") == "<p>Great <em>photos</em>.</p>"
    assert comments["Guest Gil"].findtext(WP + "comment_author_url") == "https://gil.example.net"
    assert comments["Olga Owner"].findtext(WP + "comment_parent") == comments["Guest Gil"].findtext(WP + "comment_id")
    assert {a: c.findtext(WP + "comment_approved") for a, c in comments.items()} == {
        "A Reader": "1", "Guest Gil": "1", "Olga Owner": "1", "Spammy": "0"}

    assert items["half-written"].findtext(WP + "status") == "draft"
    assert items["next-week"].findtext(WP + "status") == "future"
    assert items["about"].findtext(WP + "post_type") == "page"
    assert items["about"].findtext("link") == BASE + "/about"
    ids = [i.findtext(WP + "post_id") for i in tree.iter("item")]
    assert len(ids) == len(set(ids)) == 6


async def test_text_that_would_break_cdata_or_xml_comes_out_intact(world, db, tmp_path):
    async def awkward(rich):
        await rich["store"].posts.create(
            title="Ends ]]> and <tags> & \x0bthings", markdown="Code: `a]]>b` and <b>&amp;</b>",
            author_id=rich["author"]["_id"], slug="awkward", custom_excerpt="]]>")

    _, _, tree, _ = await wxr_of(world, tmp_path, awkward)
    item = items_by_name(tree)["awkward"]
    assert item.findtext("title") == "Ends ]]> and <tags> & things"
    assert "a]]&gt;b" in item.findtext(CONTENT) and item.findtext(EXCERPT) == "]]>"


async def test_the_wxr_file_holds_nothing_of_another_site(world, db, tmp_path):
    async def neighbour(rich):
        other = await world.site("other")
        stranger = await world.member(other, "owner", email="stranger@example.com", name="MARKER-x91")
        await world.post(other, stranger, "MARKER-TITLE-x91", "MARKER-BODY-x91", tags=["MARKER-x91"])

    _, _, _, path = await wxr_of(world, tmp_path, neighbour)
    assert b"x91" not in path.read_bytes()


async def test_our_wxr_reads_back_through_the_wordpress_importer_with_equal_content(world, db, tmp_path):
    """What WordPress would import of our file, our own WordPress importer imports: the same posts
    and pages, states, dates, tags, excerpts and text (without --media, images stay at the old site's
    address: WordPress downloads them from attachment_url; with our export's zip, see below)."""
    rich, _, _, path = await wxr_of(world, tmp_path)
    moved = await new_site(db, "moved", "owner-rich@example.com", TEST_PASSWORD)
    report = await jobs.run(db, moved.site, "wordpress", str(path), rich["owner"]["_id"])
    assert report.counts["imported"] == 4 and report.counts["failed"] == 0
    before = {(p["type"], p["slug"]): p async for p in db.posts.find({"site_id": rich["store"].site_id})}
    after = {(p["type"], p["slug"]): p async for p in db.posts.find({"site_id": moved.site_id})}
    assert after.keys() == before.keys()
    for key, old in before.items():
        new = after[key]
        assert (new["title"], new["tags"], new["status"], new["custom_excerpt"], state_of(new)) == (
            old["title"], old["tags"], old["status"], old["custom_excerpt"], state_of(old)), key
        if old["status"] == "published":
            assert new["published_at"] == old["published_at"].replace(microsecond=0), key
        assert new["markdown"].replace(BASE, "").rstrip("\n") == old["markdown"], key
        assert plain_text(new["html"]) == plain_text(old["html"]), key
    arrived = {c["name"]: c async for c in db.comments.find({"site_id": moved.site_id})}
    assert set(arrived) == {"A Reader", "Guest Gil", "Olga Owner"}  # approved ones: the importer leaves pending out
    assert arrived["Olga Owner"]["parent"] == arrived["Guest Gil"]["_id"]
    assert arrived["Guest Gil"]["email"] == "gil@example.net" and "photos" in arrived["Guest Gil"]["html"]


async def test_our_wxr_with_our_archive_as_media_moves_the_images_to_the_new_site(world, db, tmp_path):
    """The images of our WXR are our /media/ files: given our export's zip as --media, the posts
    read back show copies in the new site's library, not the old site's addresses."""
    rich, _, _, path = await wxr_of(world, tmp_path)
    archive = tmp_path / "site.zip"
    await write_format(rich["store"], "archive", archive, BASE)
    moved = await new_site(db, "moved", "owner-rich@example.com", TEST_PASSWORD)
    report = await jobs.run(db, moved.site, "wordpress", str(path), rich["owner"]["_id"], media=str(archive))
    assert report.counts["failed"] == 0 and report.counts["media"] == 1, report.text()  # the logo is in no post
    new = await db.posts.find_one({"site_id": moved.site_id, "slug": "harbour-notes"})
    own = {item["_id"] async for item in db.media_items.find({"site_id": moved.site_id})}
    body = [url for url in MEDIA_URL.findall(new["markdown"])]
    assert body and BASE not in new["markdown"]
    assert all(url.split("/")[2] in own for url in body)  # the new site's items
    # WordPress keeps one alt text per image (the attachment's), not one per post that shows it.
    assert new["featured_image"]["media_id"] in own and new["featured_image"]["alt"] == "Boats in a grey harbour"
