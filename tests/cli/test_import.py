"""``python -m cms import wordpress|ghost FILE --site NAME [--media DIR|ZIP]`` against a real database."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.cli.test_commands import cms, env  # noqa: F401  (the fixture)
from tests.images import jpeg, png_transparent

FIXTURES = Path(__file__).parent.parent / "fixtures" / "import"
WXR = FIXTURES / "wordpress-6.5.xml"


def uploads(root: Path) -> Path:
    """A WordPress uploads folder as a site's backup holds it: the files the export refers to."""
    folder = root / "wp-content" / "uploads" / "2024" / "05"
    folder.mkdir(parents=True)
    (folder / "lake.jpg").write_bytes(jpeg(400, 300, "steelblue"))
    (folder / "hill.png").write_bytes(png_transparent(500, 250))
    return root / "wp-content" / "uploads"


async def owned_site(world, name: str = "lake"):
    store = await world.site(name)
    owner = await world.member(store, "owner", email="owner@%s.example" % name)
    return store, owner


async def test_import_wordpress_with_media_folder_prints_the_report(world, db, env, tmp_path):  # noqa: F811
    store, _ = await owned_site(world)
    code, out, err = await cms(env, "import", "wordpress", str(WXR), "--site", "lake", "--media",
                               str(uploads(tmp_path)))
    assert code == 0, err
    assert "imported 10, skipped 2, converted with warnings" in out
    assert "failed 0" in out
    assert "a menu item" in out and "'wp_block' items are not imported" in out
    assert "media files 2; comments kept 2 (pending 1 and spam 1 not imported)" in out
    assert err == ""  # no progress bar when stderr is not a terminal
    assert "post 12 'Morning at the lake' was sticky (featured): the platform pins no posts" in out
    assert "post 7 'Spring soup': shortcode [contact-form-7] is not converted: kept as text" in out
    assert "page 3 'The team': a child page: pages here are not nested" in out
    assert "post 23 'Family only': was private: imported as a draft" in out
    post = await db.posts.find_one({"site_id": store.site_id, "slug": "morning-at-the-lake"})
    assert post["featured_image"]["alt"] == "Mist over the lake"
    assert "/media/" in post["markdown"] and "lakeside.example/wp-content" not in post["markdown"]
    job = await db.import_jobs.find_one({"site_id": store.site_id})
    assert job["status"] == "done" and job["report"]["counts"]["imported"] == 10


async def test_a_second_run_changes_nothing(world, db, env, tmp_path):  # noqa: F811
    store, _ = await owned_site(world)
    media = uploads(tmp_path)
    zipped = tmp_path / "uploads.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for path in media.rglob("*.*"):
            archive.write(path, "wp-content/uploads/" + path.relative_to(media).as_posix())
    code, out, err = await cms(env, "import", "wordpress", str(WXR), "--site", "lake", "--media", str(zipped))
    assert code == 0, err
    before = [p async for p in db.posts.find({"site_id": store.site_id}).sort("_id", 1)]
    files = await db.media_items.count_documents({"site_id": store.site_id})
    code, out, err = await cms(env, "import", "wordpress", str(WXR), "--site", "lake", "--media", str(zipped))
    assert code == 0, err
    assert "imported 0, skipped 12" in out and "imported before" in out
    assert [p async for p in db.posts.find({"site_id": store.site_id}).sort("_id", 1)] == before
    assert await db.media_items.count_documents({"site_id": store.site_id}) == files == 2
    assert await db.imported_comments.count_documents({"site_id": store.site_id}) == 2


# Each way a file is refused is in tests/unit/test_import_*.py; here, that the command says it in one line.
@pytest.mark.parametrize("content, message", [
    (b'{"db": []}', "the file is not XML"),
    (WXR.read_bytes()[:9000], "not complete, well-formed XML"),
    (b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
     b'<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>&xxe;</title></item></channel></rss>',
     "DOCTYPE"),
])
async def test_bad_files_are_one_line_and_change_nothing(world, db, env, tmp_path, content, message):  # noqa: F811
    store, _ = await owned_site(world)
    path = tmp_path / "export.xml"
    path.write_bytes(content)
    code, out, err = await cms(env, "import", "wordpress", str(path), "--site", "lake")
    assert code == 1, out
    assert len(err.strip().splitlines()) == 1 and message in err, err
    assert await db.posts.count_documents({"site_id": store.site_id}) == 0
    assert await db.invitations.count_documents({"site_id": store.site_id}) == 0
    job = await db.import_jobs.find_one({"site_id": store.site_id})
    assert job["status"] == "failed" and message in job["error"]


async def test_missing_file_site_or_media_refused_before_anything(world, db, env, tmp_path):  # noqa: F811
    await owned_site(world)
    for args, message in [
        (["import", "wordpress", str(tmp_path / "nope.xml"), "--site", "lake"], "no such file"),
        (["import", "wordpress", str(WXR), "--site", "nosuch"], "no site named"),
        (["import", "wordpress", str(WXR), "--site", "lake", "--media", str(tmp_path / "gone")], "no such folder"),
    ]:
        code, out, err = await cms(env, *args)
        assert code == 1 and message in err, err
    assert await db.import_jobs.count_documents({}) == 0


async def test_import_ghost_with_its_images(world, db, env, tmp_path):  # noqa: F811
    store, owner = await owned_site(world, "harbour")
    images = tmp_path / "content" / "images" / "2024" / "05"
    images.mkdir(parents=True)
    (images / "harbour.jpg").write_bytes(jpeg(400, 300, "navy"))
    (images / "net.png").write_bytes(png_transparent(500, 250))
    code, out, err = await cms(env, "import", "ghost", str(FIXTURES / "ghost-5.json"), "--site", "harbour",
                               "--media", str(tmp_path / "content"))
    assert code == 0, err
    assert "imported 6, skipped 0" in out and "failed 0" in out and "people invited 2" in out
    welcome = await db.posts.find_one({"site_id": store.site_id, "slug": "welcome"})
    assert welcome["featured_image"]["alt"] == "Boats at low tide"
    assert welcome["featured_image"]["caption"] == "Photo: Ana"
    assert welcome["tags"] == ["Harbour", "Tides Times"] and welcome["author_id"] == owner["_id"]
    assert "__GHOST_URL__" not in welcome["markdown"] and "srcset" in welcome["html"]
    invited = sorted([i["email"] async for i in db.invitations.find({"site_id": store.site_id})])
    assert invited == ["ana@harbour.example", "rui@harbour.example"]
    assert "invitation for rui@harbour.example (send it to them; it is shown only now): " \
           "http://harbour.localhost:8888/invitation?token=" in out
    # No account was made for them: invitations only.
    assert await db.users.count_documents({"email": {"$in": invited}}) == 0
    about = await db.posts.find_one({"site_id": store.site_id, "type": "page", "slug": "about"})
    assert about["status"] == "published"
    redirect = await db.redirects.find_one({"site_id": store.site_id, "from": "/welcome"})
    assert redirect["to"] == "/posts/welcome"


async def test_authors_who_are_members_keep_their_posts(world, db, env):  # noqa: F811
    store, owner = await owned_site(world, "harbour")
    ana = await world.member(store, "author", email="ana@harbour.example")
    code, out, err = await cms(env, "import", "ghost", str(FIXTURES / "ghost-4-mobiledoc.json"), "--site", "harbour")
    assert code == 0, err
    post = await db.posts.find_one({"site_id": store.site_id, "slug": "from-the-old-blog"})
    assert post["author_id"] == ana["_id"]
    assert "image not imported (no images folder or zip given)" in out
    assert await db.invitations.count_documents({"site_id": store.site_id}) == 0


async def test_an_import_stopped_half_way_is_finished_by_running_it_again(world, db, env):  # noqa: F811
    store, _ = await owned_site(world)
    code, out, err = await cms(env, "import", "wordpress", str(WXR), "--site", "lake")
    assert code == 0, err
    # As a run stopped part-way leaves it: some posts never written, others written but not marked done.
    records = [r async for r in db.import_items.find({"site_id": store.site_id, "kind": {"$in": ["post", "page"]}})]
    for n, record in enumerate(records):
        await db.import_items.update_one({"_id": record["_id"]}, {"$set": {"done": False}})
        if n % 2:
            await db.posts.delete_one({"_id": record["target_id"]})
            await db.revisions.delete_many({"post_id": record["target_id"]})
    code, out, err = await cms(env, "import", "wordpress", str(WXR), "--site", "lake")
    assert code == 0, err
    assert "imported 10, skipped 2" in out and "failed 0" in out
    slugs = sorted([p["slug"] async for p in db.posts.find({"site_id": store.site_id})])
    assert len(slugs) == len(set(slugs)) == 10  # each once: no "-2" copies
    assert {r["target_id"] for r in records} == {p["_id"] async for p in db.posts.find({"site_id": store.site_id})}


async def test_an_image_that_fails_validation_is_named_and_the_post_still_imported(world, db, env, tmp_path):  # noqa: F811
    store, _ = await owned_site(world)
    media = uploads(tmp_path)
    (media / "2024" / "05" / "lake.jpg").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    code, out, err = await cms(env, "import", "wordpress", str(WXR), "--site", "lake", "--media", str(media))
    assert code == 0, err
    assert "image 2024/05/lake.jpg refused: " in out and "failed 0" in out
    post = await db.posts.find_one({"site_id": store.site_id, "slug": "morning-at-the-lake"})
    assert post["featured_image"] is None  # its picture was the refused file
    assert "https://lakeside.example/wp-content/uploads/2024/05/lake.jpg" in post["markdown"]
    assert await db.media_items.count_documents({"site_id": store.site_id}) == 1  # hill.png


def minimal_wxr(*items: tuple[int, str, str]) -> bytes:
    """A WXR 1.2 file of published posts ``(id, title, html)``, as WordPress lays one out."""
    body = "".join(
        "<item><title><![CDATA[%s]]></title><link>https://old.example/p%d/</link>"
        "<content:encoded><![CDATA[%s]]></content:encoded><wp:post_id>%d</wp:post_id>"
        "<wp:post_date_gmt><![CDATA[2024-01-02 03:04:05]]></wp:post_date_gmt><wp:post_name><![CDATA[p%d]]></wp:post_name>"
        "<wp:status><![CDATA[publish]]></wp:status><wp:post_type><![CDATA[post]]></wp:post_type></item>"
        % (title, n, html, n, n) for n, title, html in items)
    return ('<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Old</title>'
            "<wp:base_site_url>https://old.example</wp:base_site_url>%s</channel></rss>" % body).encode()


async def test_a_post_the_editor_could_not_save_fails_with_its_reason(world, db, env, tmp_path):  # noqa: F811
    store, _ = await owned_site(world)
    path = tmp_path / "export.xml"
    path.write_bytes(minimal_wxr((1, "Huge", "<p>%s</p>" % ("word " * 120_000)), (2, "Fine", "<p>Short.</p>")))
    code, out, err = await cms(env, "import", "wordpress", str(path), "--site", "lake")
    assert code == 0, err
    assert "imported 1, skipped 0, converted with warnings 0, failed 1" in out
    assert "post 1 'Huge': its text is 600000 characters once converted; the editor takes at most 500000" in out
    assert [p["slug"] async for p in db.posts.find({"site_id": store.site_id})] == ["p2"]


async def test_a_tag_with_no_letters_is_dropped_with_a_warning_and_its_post_imported(world, db, env, tmp_path):  # noqa: F811
    store, _ = await owned_site(world)
    path = tmp_path / "export.xml"
    tags = ('<category domain="post_tag" nicename="q"><![CDATA[???]]></category>'
            '<category domain="post_tag" nicename="c"><![CDATA[C]]></category>'
            '<category domain="post_tag" nicename="cpp"><![CDATA[C++]]></category>'
            '<category domain="category" nicename="reise"><![CDATA[Путешествия]]></category>')
    path.write_bytes(minimal_wxr((1, "Tagged", "<p>Text.</p>")).replace(b"</item>", tags.encode() + b"</item>"))
    code, out, err = await cms(env, "import", "wordpress", str(path), "--site", "lake")
    assert code == 0, err
    assert "imported 1, skipped 0, converted with warnings 1, failed 0" in out
    assert "the tag '???' has no letter, digit or emoji to make its address from: dropped" in out
    assert "the tag 'C++' shares the address /tags/c with 'C': merged into it" in out
    post = await db.posts.find_one({"site_id": store.site_id, "slug": "p1"})
    assert post["tags"] == ["C", "Путешествия"]
