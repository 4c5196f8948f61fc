"""Media over HTTP: uploading in the admin, serving under /media/, the library, tenancy."""

from __future__ import annotations

import json
import re

import pytest

from cms.store.media import count_files
from tests import images
from tests.admin_session import form, post_id_of, signed_in


async def upload(session, files: list[tuple[str, bytes, str]], accept_json: bool = True):
    body, content_type = images.multipart(files)
    headers = {"Content-Type": content_type, "X-XSRFToken": session.xsrf}
    if accept_json:
        headers["Accept"] = "application/json"
    return await session.fetch("/admin/media", "POST", body=body, headers=headers)


@pytest.fixture
async def alpha(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    return store, owner, await signed_in(client, "alpha", owner)


async def test_an_upload_is_stored_as_a_clean_upright_original_with_renditions(alpha, client, db):
    store, owner, session = alpha
    response = await upload(session, [("holiday.jpg", images.jpeg_sideways(60, 40), "image/jpeg")])
    assert response.code == 201, response.body
    item = json.loads(response.body)["items"][0]
    assert item["markdown"] == "![](%s)" % item["url"]  # alt text is asked for, never made from the name
    assert (item["width"], item["height"]) == (40, 60)
    served = await client.get("alpha", item["url"])
    assert served.code == 200 and served.headers["Content-Type"] == "image/jpeg"
    image = images.opened(served.body)
    assert image.size == (40, 60) and not image.getexif().get_ifd(images.GPS_IFD)
    assert b"SpyCam" not in served.body
    stored = await store.media.get(item["id"])
    assert {(f["format"], f["width"]) for f in stored["files"]} == {("JPEG", 40), ("WEBP", 40)}
    assert await store.media.stored() == {"media_bytes": stored["bytes"], "media_files": 2}


async def test_every_accepted_kind_gets_its_widths_and_webp(alpha, client):
    store, owner, session = alpha
    response = await upload(session, [("alpha.png", images.png_transparent(700, 350), "image/png"),
                                      ("anim.gif", images.gif_animated(), "image/gif"),
                                      ("pic.webp", images.webp(400, 300), "image/webp")])
    assert response.code == 201
    png, gif, webp = [await store.media.get(i["id"]) for i in json.loads(response.body)["items"]]
    assert sorted((f["format"], f["width"]) for f in png["files"]) == [
        ("PNG", 320), ("PNG", 640), ("PNG", 700), ("WEBP", 320), ("WEBP", 640), ("WEBP", 700)]
    assert gif["animated"] and {f["format"] for f in gif["files"]} == {"GIF", "WEBP"}
    served = await client.get("alpha", gif["files"][0]["url"])
    assert getattr(images.opened(served.body), "n_frames", 1) == 3
    assert {f["format"] for f in webp["files"]} == {"WEBP"}
    for f in png["files"]:
        served = await client.get("alpha", f["url"])
        assert served.headers["Content-Type"] == f["content_type"] and images.opened(served.body).size[0] == f["width"]


async def test_files_are_served_immutable_with_a_strong_etag_304_and_ranges(alpha, client):
    store, owner, session = alpha
    item = json.loads((await upload(session, [("p.png", images.png_transparent(300, 200), "image/png")])).body)["items"][0]
    url = item["url"]
    full = await client.get("alpha", url)
    assert full.code == 200
    assert full.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert full.headers["X-Content-Type-Options"] == "nosniff"
    etag = full.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag) and etag.strip('"') in url  # strong, the content's digest
    assert int(full.headers["Content-Length"]) == len(full.body)
    again = await client.get("alpha", url, headers={"If-None-Match": etag})
    assert again.code == 304 and not again.body
    part = await client.get("alpha", url, headers={"Range": "bytes=0-99"})
    assert part.code == 206 and part.body == full.body[:100]
    assert part.headers["Content-Range"] == "bytes 0-99/%d" % len(full.body)
    tail = await client.get("alpha", url, headers={"Range": "bytes=-10"})
    assert tail.code == 206 and tail.body == full.body[-10:]
    beyond = await client.get("alpha", url, headers={"Range": "bytes=%d-" % (len(full.body) + 5)})
    assert beyond.code == 416 and beyond.headers["Content-Range"] == "bytes */%d" % len(full.body)
    head = await client.get("alpha", url, method="HEAD")
    assert head.code == 200 and head.headers["ETag"] == etag and not head.body


@pytest.mark.parametrize("name, data, content_type, status, words", [
    ("empty.jpg", b"", "image/jpeg", 400, "empty"),
    ("logo.svg", images.SVG, "image/svg+xml", 415, "SVG"),
    ("photo.jpg", images.HTML_AS_JPEG, "image/jpeg", 415, "not an image"),
    ("scan.bmp", images.bmp(), "image/bmp", 415, "BMP"),
    ("cut.jpg", images.jpeg(200, 200)[:300], "image/jpeg", 400, "truncated or corrupt"),
    ("bomb.png", images.png_claiming(100_000, 100_000), "image/png", 413, "megapixels"),
])
async def test_bad_uploads_are_refused_and_leave_no_trace(alpha, db, name, data, content_type, status, words):
    store, owner, session = alpha
    before = await count_files(db)
    response = await upload(session, [(name, data, content_type)])
    assert response.code == status
    assert words in json.loads(response.body)["error"]
    assert await count_files(db) == before == (0, 0)
    assert await db.media_items.count_documents({}) == 0
    assert await store.media.stored() == {"media_bytes": 0, "media_files": 0}
    page = await upload(session, [(name, data, content_type)], accept_json=False)  # the plain form
    assert page.code == status and words.encode() in page.body


async def test_the_size_limit_comes_from_settings(world, client, db, settings):
    settings.max_upload_mb = 1
    store = await world.site("alpha")
    session = await signed_in(client, "alpha", await world.member(store, "owner"))
    big = b"\xff\xd8\xff" + b"\x00" * (1024 * 1024 + 1)
    response = await upload(session, [("big.jpg", big, "image/jpeg")])
    assert response.code == 413 and "the limit is 1 MB" in json.loads(response.body)["error"]
    assert await count_files(db) == (0, 0)


async def test_the_same_upload_twice_is_one_library_item(alpha, db):
    store, owner, session = alpha
    data = images.jpeg(120, 80)
    first = json.loads((await upload(session, [("a.jpg", data, "image/jpeg")])).body)["items"][0]
    second_response = await upload(session, [("again.jpg", data, "image/jpeg")])
    assert second_response.code == 200
    assert json.loads(second_response.body)["items"][0]["id"] == first["id"]
    assert (await store.media.list()).total == 1


async def test_another_sites_media_is_not_found_by_url_or_in_the_admin(alpha, world, client, db):
    store, owner, session = alpha
    item = json.loads((await upload(session, [("secret.png", images.png_transparent(100, 50), "image/png")])).body)["items"][0]
    await store.media.set_alt(item["id"], "secret")
    beta = await world.site("beta")
    beta_owner = await world.member(beta, "owner")
    beta_session = await signed_in(client, "beta", beta_owner)
    assert (await client.get("alpha", item["url"])).code == 200
    assert (await client.get("beta", item["url"])).code == 404
    assert (await beta_session.get("/admin/media/%s" % item["id"])).code == 404
    assert b"secret.png" not in (await beta_session.get("/admin/media")).body
    assert (await beta_session.fetch("/admin/media/%s" % item["id"], "POST", form={"alt": "mine"})).code == 404
    deleted = await beta_session.fetch("/admin/media/%s/delete" % item["id"], "POST", form={"confirm": "yes"})
    assert deleted.code == 404
    assert await beta.media.get(item["id"]) is None and await beta.media.open(item["url"][7:]) is None
    assert (await store.media.get(item["id"]))["alt"] == "secret"
    assert (await client.get("alpha", item["url"])).code == 200
    # A featured image must come from this site's own library.
    response = await beta_session.post("/admin/posts/new", form(title="Borrowed", markdown="x", featured_image=item["url"]))
    assert response.code == 400 and b"media library" in response.body


async def test_the_library_lists_searches_and_edits_alt_text(alpha):
    store, owner, session = alpha
    await upload(session, [("red-barn.jpg", images.jpeg(80, 60, "red"), "image/jpeg"),
                           ("blue-sea.jpg", images.jpeg(80, 60, "blue"), "image/jpeg")])
    listing = await session.get("/admin/media")
    assert listing.code == 200 and b"red-barn.jpg" in listing.body and b"blue-sea.jpg" in listing.body
    found = await session.get("/admin/media?q=BARN")
    assert b"red-barn.jpg" in found.body and b"blue-sea.jpg" not in found.body
    sea = (await store.media.list("sea")).items[0]
    saved = await session.post("/admin/media/%s" % sea["_id"], {"alt": "Waves under a clear sky"})
    assert saved.code == 303
    assert b"blue-sea.jpg" in (await session.get("/admin/media?q=clear+sky")).body


async def test_images_in_posts_get_srcset_and_deleting_one_in_use_asks_first(alpha, client, db):
    store, owner, session = alpha
    item = json.loads((await upload(session, [("wide.png", images.png_transparent(700, 350), "image/png")])).body)["items"][0]
    saved = await session.post("/admin/posts/new", form(
        title="With pictures", markdown="Look:\n\n%s\n" % item["markdown"], state="published",
        featured_image=item["url"], featured_alt="A green disc", featured_caption="Drawn by Pillow"))
    assert saved.code == 303
    post_id = post_id_of(saved)
    page = await client.get("alpha", "/posts/with-pictures")
    assert page.code == 200
    body = page.body.decode()
    assert re.search(r'<source type="image/webp" srcset="[^"]*320w, [^"]*640w, [^"]*700w"', body)
    assert re.search(r'<img src="%s" alt="" srcset="[^"]+" sizes="[^"]+" width="700" height="350"' % re.escape(item["url"]), body)
    assert 'alt="A green disc"' in body and "<figcaption>Drawn by Pillow</figcaption>" in body
    assert re.search(r'<meta property="og:image" content="http://alpha\.localhost:\d+%s">' % re.escape(item["url"]), body)

    detail = await session.get("/admin/media/%s" % item["id"])
    assert b"With pictures" in detail.body and post_id.encode() in detail.body
    asked = await session.post("/admin/media/%s/delete" % item["id"])
    assert asked.code == 409 and b"Delete anyway" in asked.body
    assert await store.media.get(item["id"]) is not None
    gone = await session.post("/admin/media/%s/delete" % item["id"], {"confirm": "yes"})
    assert gone.code == 303
    assert await count_files(db) == (0, 0)
    assert await store.media.stored() == {"media_bytes": 0, "media_files": 0}
    assert (await client.get("alpha", item["url"])).code == 404


async def test_posts_create_keeps_its_signature_and_the_editor_round_trips_the_featured_image(alpha, world):
    store, owner, session = alpha
    plain = await world.post(store, owner, "No picture")  # the old keyword signature
    assert plain["featured_image"] is None and plain["media_ids"] == []
    item = json.loads((await upload(session, [("c.jpg", images.jpeg(90, 60), "image/jpeg")])).body)["items"][0]
    post = await store.posts.create(title="Cover", markdown="x", author_id=owner["_id"],
                                    featured_image={"url": item["url"], "alt": "Orange"})
    assert post["featured_image"]["alt"] == "Orange" and post["media_ids"] == [item["id"]]
    editor = await session.get("/admin/posts/%s" % post["_id"])
    assert ('value="%s"' % item["url"]).encode() in editor.body and b'value="Orange"' in editor.body
    kept = await store.posts.update(post["_id"], post["version"], title="Cover 2", markdown="y", status="published")
    assert kept["featured_image"]["url"] == item["url"]  # a restore or a CLI update keeps it


async def test_authors_delete_their_own_files_only_and_contributors_cannot_upload(alpha, world, client):
    store, owner, session = alpha
    item = json.loads((await upload(session, [("o.jpg", images.jpeg(30, 30), "image/jpeg")])).body)["items"][0]
    author = await signed_in(client, "alpha", await world.member(store, "author"))
    assert (await author.post("/admin/media/%s/delete" % item["id"], {"confirm": "yes"})).code == 403
    contributor = await signed_in(client, "alpha", await world.member(store, "contributor"))
    assert (await upload(contributor, [("c.jpg", images.jpeg(20, 20), "image/jpeg")])).code == 403
    assert (await store.media.list()).total == 1


async def test_deleting_a_site_deletes_its_media_and_no_one_elses(alpha, world, client, db):
    store, owner, session = alpha
    beta = await world.site("beta")
    beta_owner = await world.member(beta, "owner")
    beta_session = await signed_in(client, "beta", beta_owner)
    mine = json.loads((await upload(session, [("a.png", images.png_transparent(30, 20), "image/png")])).body)
    theirs = json.loads((await upload(beta_session, [("b.png", images.png_transparent(30, 20), "image/png")])).body)
    files_before, _ = await count_files(db)
    assert (await session.post("/admin/site/delete", {"confirm": "alpha"})).code == 200
    files_after, chunks_after = await count_files(db)
    assert files_after == files_before - 2  # alpha's original and its WebP copy
    assert await db.media_items.count_documents({"site_id": store.site_id}) == 0
    assert (await client.get("beta", theirs["items"][0]["url"])).code == 200
    assert (await client.get("alpha", mine["items"][0]["url"])).code == 404


async def test_authors_change_the_alt_text_of_their_own_files_only(alpha, world, client):
    store, owner, session = alpha
    item = json.loads((await upload(session, [("cat.jpg", images.jpeg(30, 30), "image/jpeg")])).body)["items"][0]
    author = await signed_in(client, "alpha", await world.member(store, "author"))
    refused = await author.post("/admin/media/%s" % item["id"], {"alt": "Defaced"})
    assert refused.code == 403
    assert (await store.media.get(item["id"]))["alt"] == ""
    page = await author.get("/admin/media/%s" % item["id"])
    assert page.code == 200 and b'name="alt"' not in page.body  # no form they could not use
    mine = json.loads((await upload(author, [("dog.jpg", images.jpeg(31, 30), "image/jpeg")])).body)["items"][0]
    assert (await author.post("/admin/media/%s" % mine["id"], {"alt": "A dog"})).code == 303
    assert (await store.media.get(mine["id"]))["alt"] == "A dog"
    assert (await session.post("/admin/media/%s" % mine["id"], {"alt": "An owner's dog"})).code == 303
