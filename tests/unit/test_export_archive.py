"""The site archive: export a rich site, import it into a new one, and find the same site there.

Round trips go through the real stores and the embedded database; the
archive is checked as a file (its ``site.json`` read as JSON) where the format
itself is the promise (docs/export-format.md).
"""

from __future__ import annotations

import json
import zipfile

import pytest

from cms import db as database
from cms.export import export_site
from cms.export.restore_site import ArchiveError, restore_archive
from cms.store import Sites, SiteStore, Users
from cms.store.comments import Comments
from cms.store.errors import OverQuota
from cms.store.imports import ImportedComments
from tests.conftest import TEST_PASSWORD
from tests.export_site import new_site, rich_site, snapshot


async def test_an_archive_imported_into_a_new_site_gives_the_same_site(world, db, tmp_path):
    rich = await rich_site(world, tmp_path)
    path = tmp_path / "rich.zip"
    counts = await export_site(rich["store"], path)
    assert counts["posts"] == 4 and counts["media"] == 2 and counts["revisions"] == 6

    copy = await new_site(db, "copy", "owner-rich@example.com", TEST_PASSWORD)
    report = await restore_archive(db, copy.site, path)
    assert (report.posts, report.media, report.revisions) == (4, 2, 6)
    assert report.invited == [] and report.notes == []

    before, after = await snapshot(db, "rich"), await snapshot(db, "copy")
    assert after["posts"].keys() == before["posts"].keys()
    for key in before["posts"]:
        assert after["posts"][key] == before["posts"][key], key
    assert before["redirects"] == [("/2019/05/old-harbour", "/posts/harbour-notes", 301, "manual"),
                                   ("/about-us", "/about", 302, "manual")]
    assert len(before["comments"]) == 4 and len(before["imported_comments"]) == 1
    assert any(c[1] == "Great *photos*." and c[5] == "owner-rich@example.com"
                                             for c in before["comments"])  # the reply, by a member
    for part in ("revisions", "media", "members", "tags", "settings", "redirects", "comments", "imported_comments"):
        assert after[part] == before[part], part
    assert after["settings"]["title"] == "Rich Site" and after["settings"]["theme"] == "magazine"
    assert after["settings"]["theme_settings"]["logo"].startswith("<logo.png PNG")

    # The copy's files are its own: served from its URLs, not the first site's.
    copy_site = await Sites(db).by_name("copy")
    harbour = await SiteStore(db, copy_site).posts.get_visible("post", "harbour-notes")
    assert harbour["featured_image"]["media_id"] != rich["photo"]["_id"]
    assert await SiteStore(db, copy_site).media.open(harbour["featured_image"]["url"][len("/media/"):]) is not None


async def test_the_archive_is_documented_json_without_secrets(world, db, tmp_path):
    rich = await rich_site(world, tmp_path)
    path = tmp_path / "rich.zip"
    await export_site(rich["store"], path)
    with zipfile.ZipFile(path) as archive:
        data = json.loads(archive.read("site.json"))
        names = archive.namelist()
        raw = archive.read("site.json")
    assert data["format"] == "cms-site-export" and data["version"] == 1
    assert data["site"]["title"] == "Rich Site" and data["site"]["theme_settings"]["posts_per_page"] == 5
    roles = {p["email"]: p["role"] for p in data["people"]}
    assert roles == {"owner-rich@example.com": "owner", "editor-rich@example.com": "editor",
                     "author-rich@example.com": "author", "contrib-rich@example.com": "contributor"}
    harbour = next(p for p in data["posts"] if p["slug"] == "harbour-notes")
    assert harbour["featured_image"]["alt"] == "The harbour" and harbour["author"] == "author-rich@example.com"
    assert harbour["tags"] == ["Travel", "Sea"] and harbour["state"] == "published" and harbour["version"] == 3
    assert {p["state"] for p in data["posts"]} == {"published", "draft", "scheduled"}
    assert sorted(p["original"] for p in data["media"]) == sorted(n for n in names if n.startswith("media/"))
    assert len(names) == 3  # site.json and the two originals: renditions are made again on import
    hashes = [u["password_hash"] async for u in db.users.find({}, {"password_hash": 1}) if u.get("password_hash")]
    assert hashes and not any(h.encode() in raw for h in hashes)
    assert b"password" not in raw and b"token" not in raw and b"session" not in raw


async def test_exporting_a_site_never_carries_a_byte_of_another(world, db, tmp_path):
    rich = await rich_site(world, tmp_path)
    other = await world.site("other")
    stranger = await world.member(other, "owner", email="stranger@example.com", name="MARKER-PERSON-x91")
    await world.post(other, stranger, "MARKER-TITLE-x91", "MARKER-BODY-x91", tags=["MARKER-TAG-x91"])
    await Sites(db).update_settings(other.site_id, title="MARKER-SITE-x91")
    await other.redirects.add("/MARKER-FROM-x91", "/posts/marker-title-x91")
    theirs = await other.posts.get_visible("post", "marker-title-x91")
    await ImportedComments(db, other.site_id).add("wordpress", theirs["_id"], {
        "source_id": "41", "author": "MARKER-COMMENTER-x91", "email": "x91@example.net", "html": "MARKER-x91"})
    await Comments(db, other.site_id).add(theirs, "MARKER-COMMENT-x91", status="approved", name="MARKER-x91",
                                          email="x91@example.net")
    path = tmp_path / "rich.zip"
    await export_site(rich["store"], path)
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        inflated = b"".join(archive.read(name) for name in archive.namelist())
    for haystack in (raw, inflated):
        assert b"x91" not in haystack and b"stranger@" not in haystack


async def test_people_unknown_to_another_platform_are_invited_and_their_posts_go_to_the_owner(
        world, db, tmp_path, mongo_uri):
    rich = await rich_site(world, tmp_path)
    path = tmp_path / "rich.zip"
    await export_site(rich["store"], path)

    client = database.connect(mongo_uri)
    elsewhere = client["other_platform_%s" % db.name[-8:]]
    await database.ensure_indexes(elsewhere)
    try:
        site = await new_site(elsewhere, "moved", "new-owner@example.com", TEST_PASSWORD)
        await Users(elsewhere).create("editor-rich@example.com", TEST_PASSWORD, name="Ed Again")
        report = await restore_archive(elsewhere, site.site, path)
        invited = {(email, role) for email, role, _ in report.invited}
        assert invited == {("owner-rich@example.com", "owner"), ("author-rich@example.com", "author"),
                           ("contrib-rich@example.com", "contributor")}
        assert report.members == ["editor-rich@example.com (editor)"]
        assert await elsewhere.users.count_documents({}) == 2  # invitations, never accounts
        pending = {(i["email"], i["role"]) for i in await site.invitations.pending()}
        assert pending == invited
        posts = {p["slug"]: p async for p in elsewhere.posts.find({"site_id": site.site_id})}
        editor = await Users(elsewhere).by_email("editor-rich@example.com")
        assert posts["next-week"]["author_id"] == editor["_id"]  # matched by e-mail
        owner = await site.members.owner()
        assert posts["harbour-notes"]["author_id"] == owner["_id"]  # no account: the owner's
        assert any("author-rich@example.com" in note for note in report.notes)
    finally:
        await client.drop_database(elsewhere.name)
        client.close()


async def test_an_archive_goes_only_into_an_empty_site(world, db, tmp_path):
    rich = await rich_site(world, tmp_path)
    path = tmp_path / "rich.zip"
    await export_site(rich["store"], path)
    with pytest.raises(ArchiveError, match="already has posts"):
        await restore_archive(db, rich["store"].site, path)
    assert (await snapshot(db, "rich"))["posts"].keys() == {
        ("post", "harbour-notes"), ("post", "half-written"), ("post", "next-week"), ("page", "about")}


def _rewrite(source, target, change) -> None:
    """Copy the archive ``source`` to ``target`` with site.json's data passed through ``change``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            body = old.read(name)
            if name == "site.json":
                body = change(body)
            new.writestr(name, body)


@pytest.mark.parametrize("damage, message", [
    (lambda body: b"not json at all", "damaged"),
    (lambda body: body[: len(body) // 2], "damaged"),
    (lambda body: body.replace(b'"cms-site-export"', b'"something-else"'), "not a cms-site-export"),
    (lambda body: body.replace(b'"version": 1', b'"version": 7'), "version 7"),
    (lambda body: body.replace(b'"type": "page"', b'"type": "poem"'), "unknown type"),
    (lambda body: body.replace(b'"slug": "about"', b'"slug": "../etc"'), "slug"),
    (lambda body: body.replace(b'"original": "media/', b'"original": "elsewhere/'), "not in the archive"),
    (lambda body: body.replace(b'"published_at": "2024', b'"published_at": "x2024'), "not a date"),
    (lambda body: body.replace(b'"role": "editor"', b'"role": "emperor"'), "unknown role"),
    (lambda body: body.replace(b'"theme": "magazine"', b'"theme": "gone"'), "not installed here"),
    (lambda body: body.replace(b'"posts_per_page": 5', b'"posts_per_page": 500'), "theme settings"),
    (lambda body: body.replace(b'"language": "en"', b'"language": "english please"'), "language"),
])
async def test_a_damaged_or_foreign_archive_is_refused_and_changes_nothing(world, db, tmp_path, damage, message):
    rich = await rich_site(world, tmp_path)
    path, bad = tmp_path / "rich.zip", tmp_path / "bad.zip"
    await export_site(rich["store"], path)
    _rewrite(path, bad, damage)
    copy = await new_site(db, "copy", "owner-rich@example.com", TEST_PASSWORD)
    with pytest.raises(ArchiveError, match=message):
        await restore_archive(db, copy.site, bad)
    after = await snapshot(db, "copy")
    assert after["posts"] == {} and after["media"] == [] and after["members"] == [("owner-rich@example.com", "owner")]
    assert await copy.invitations.pending() == []


async def test_a_file_that_is_not_an_archive_is_refused(db, tmp_path):
    copy = await new_site(db, "copy", "someone@example.com", TEST_PASSWORD)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ArchiveError, match="not a site archive"):
        await restore_archive(db, copy.site, text)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "hi")
    with pytest.raises(ArchiveError, match="no site.json"):
        await restore_archive(db, copy.site, other)


async def test_an_archive_over_the_sites_storage_quota_leaves_nothing_behind(world, db, tmp_path):
    rich = await rich_site(world, tmp_path)
    path = tmp_path / "rich.zip"
    await export_site(rich["store"], path)
    copy = await new_site(db, "copy", "owner-rich@example.com", TEST_PASSWORD)
    photo_bytes = rich["photo"]["bytes"]
    with pytest.raises(OverQuota, match="Not enough storage left"):
        await restore_archive(db, copy.site, path, quota_bytes=photo_bytes + 1000)  # room for one file, not two
    after = await snapshot(db, "copy")
    assert after["posts"] == {} and after["media"] == [] and after["redirects"] == []
    assert await copy.media.stored() == {"media_bytes": 0, "media_files": 0}


async def test_a_media_file_the_export_could_not_read_is_left_out_and_said_so(world, db, tmp_path):
    rich = await rich_site(world, tmp_path)
    path, partial = tmp_path / "rich.zip", tmp_path / "partial.zip"
    await export_site(rich["store"], path)
    photo = next(f["name"] for f in rich["photo"]["files"] if f["original"])
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(partial, "w") as new:
        for name in old.namelist():
            if name != "media/" + photo:  # as when the file had gone from GridFS
                new.writestr(name, old.read(name))
    copy = await new_site(db, "copy", "owner-rich@example.com", TEST_PASSWORD)
    report = await restore_archive(db, copy.site, partial)
    assert report.media == 1 and report.posts == 4
    assert any("Harbour at dawn.jpg" in note and "left out" in note for note in report.notes)
    assert any("'harbour-notes': its featured image was left out" in note for note in report.notes)
    harbour = await copy.posts.get_visible("post", "harbour-notes")
    assert harbour["featured_image"] is None


async def test_an_archive_with_an_oversized_media_file_is_refused_before_unpacking_it(world, db, tmp_path, monkeypatch):
    from cms.export import restore_site

    rich = await rich_site(world, tmp_path)
    path = tmp_path / "rich.zip"
    await export_site(rich["store"], path)
    monkeypatch.setattr(restore_site, "MAX_IMAGE_BYTES", 1000)  # rather than a 90 MB file in the test
    copy = await new_site(db, "copy", "owner-rich@example.com", TEST_PASSWORD)
    with pytest.raises(ArchiveError, match="larger than any upload"):
        await restore_archive(db, copy.site, path)
    assert (await snapshot(db, "copy"))["media"] == []


async def commented_site(world, db):
    store = await world.site("talk")
    owner = await world.member(store, "owner", email="owner-talk@example.com")
    post = await world.post(store, owner, "Talk")
    top = await store.comments.add(post, "First *word*", status="approved", name="Ada", email="ada@example.org",
                                   website="https://ada.example")
    await store.comments.add(post, "A reply", status="approved", parent_id=top["_id"], name="Bo",
                             email="bo@example.org")
    await store.comments.add(post, "Waiting", status="pending", name="Cy", email="cy@example.org")
    await store.comments.add(post, "Pills", status="spam", name="Spam", email="spam@example.org")
    mine = await store.comments.add(post, "Owner's typo", status="approved", user=owner)
    await store.comments.edit(mine["_id"], owner["_id"], "Owner's words")  # an edited one keeps its time
    await store.comments.moderate(top["_id"], "approved")
    await Sites(db).set_comment_settings(store.site_id, {"mode": "open", "close_after_days": 14})
    return store


async def comments_of(store) -> list[tuple]:
    rows = [c async for c in store.comments.all()]
    texts = {c["_id"]: c["text"] for c in rows}
    return sorted((c["text"], c["html"], c["name"], c["email"], c["website"], c["status"],
                   texts.get(c["parent"]), c["created"].replace(microsecond=0),
                   c["edited"].replace(microsecond=0) if c["edited"] else None) for c in rows)


async def test_comments_and_their_settings_go_into_the_archive_and_come_back(world, db, tmp_path):
    store = await commented_site(world, db)
    path = tmp_path / "talk.zip"
    counts = await export_site(store, path)
    assert counts["reader_comments"] == 5
    copy = await new_site(db, "copy", "owner-talk@example.com", TEST_PASSWORD)
    report = await restore_archive(db, copy.site, path)
    assert report.reader_comments == 5
    copied = SiteStore(db, await Sites(db).by_name("copy"))
    assert await comments_of(copied) == await comments_of(store)
    assert (await Sites(db).by_name("copy"))["comments"] == {"mode": "open", "close_after_days": 14}
    post = await copied.posts.get_visible("post", "talk")
    assert [c["text"] for c in (await copied.comments.approved(post["_id"]))[0]["replies"]] == ["A reply"]


async def test_a_commenters_scripted_website_in_an_archive_is_dropped(world, db, tmp_path):
    store = await commented_site(world, db)
    path, changed = tmp_path / "talk.zip", tmp_path / "changed.zip"
    await export_site(store, path)
    _rewrite(path, changed, lambda body: body.replace(b'"https://ada.example"', b'"javascript:alert(1)"'))
    copy = await new_site(db, "copy", "owner-talk@example.com", TEST_PASSWORD)
    await restore_archive(db, copy.site, changed)
    assert [c["website"] async for c in copy.comments.all()] == ["", "", "", "", ""]


@pytest.mark.parametrize("damage, message", [
    (lambda body: body.replace(b'"status": "spam"', b'"status": "loved"'), "a comment's status"),
    (lambda body: body.replace(b'"mode": "open"', b'"mode": "sometimes"'), "comments"),
])
async def test_a_bad_comment_in_an_archive_is_refused_and_changes_nothing(world, db, tmp_path, damage, message):
    store = await commented_site(world, db)
    path, bad = tmp_path / "talk.zip", tmp_path / "bad.zip"
    await export_site(store, path)
    _rewrite(path, bad, damage)
    copy = await new_site(db, "copy", "owner-talk@example.com", TEST_PASSWORD)
    with pytest.raises(ArchiveError, match=message):
        await restore_archive(db, copy.site, bad)
    assert [c async for c in copy.comments.all()] == []


async def test_the_sites_subscribers_go_into_the_archive_and_no_other_sites(world, db, tmp_path):
    store = await world.site("letters")
    other = await world.site("other")
    _, token = await store.subscribers.subscribe("kept@example.org")
    await store.subscribers.confirm(token)
    await store.subscribers.subscribe("waiting@example.org")
    await other.subscribers.subscribe("theirs@example.org")
    await Sites(db).set_newsletter_settings(store.site_id, {"content": "full"})
    path = tmp_path / "letters.zip"
    counts = await export_site(SiteStore(db, await Sites(db).by_name("letters")), path)
    assert counts["subscribers"] == 2
    with zipfile.ZipFile(path) as archive:
        data = json.loads(archive.read("site.json"))
    assert [(s["email"], s["status"], bool(s["confirmed"])) for s in data["subscribers"]] == [
        ("kept@example.org", "confirmed", True), ("waiting@example.org", "pending", False)]
    assert data["site"]["newsletter"] == {"content": "full"}
    assert "theirs@example.org" not in json.dumps(data) and "confirm_hash" not in json.dumps(data)
