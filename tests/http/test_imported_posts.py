"""What an import leaves behind, seen over HTTP: old addresses answer 301, readers see the
published posts only, and the editor opens every imported post and saves it unchanged."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from cms.importers import jobs
from tests.admin_session import signed_in
from tests.images import jpeg, png_transparent

FIXTURES = Path(__file__).parent.parent / "fixtures" / "import"
WXR = FIXTURES / "wordpress-6.5.xml"


def uploads(root: Path) -> Path:
    folder = root / "uploads" / "2024" / "05"
    folder.mkdir(parents=True)
    (folder / "lake.jpg").write_bytes(jpeg(400, 300, "steelblue"))
    (folder / "hill.png").write_bytes(png_transparent(500, 250))
    return root / "uploads"


async def imported(world, tmp_path, name: str = "lake"):
    store = await world.site(name)
    owner = await world.member(store, "owner", email="owner@%s.example" % name)
    report = await jobs.run(world.db, store.site, "wordpress", str(WXR), owner["_id"], media=str(uploads(tmp_path)))
    assert report.counts["failed"] == 0, report.text()
    return store, owner


async def test_old_permalinks_answer_301_to_the_new_addresses(world, client, tmp_path):
    await imported(world, tmp_path)
    for old, new in [
        ("/2024/05/morning-at-the-lake/", "/posts/morning-at-the-lake"),
        ("/?p=12", "/posts/morning-at-the-lake"),
        ("/2024/02/p%c5%99es-hory/", "/posts/pres-hory"),
        ("/about/team/", "/team"),
        ("/?page_id=3", "/team"),
        ("/?p=3", "/team"),  # WordPress takes a page's id in ?p= too
    ]:
        response = await client.get("lake", old)
        assert response.code == 301, (old, response.code)
        assert response.headers["Location"].endswith(new), (old, response.headers["Location"])
    # A draft's old address leads nowhere: its page does not exist for readers.
    assert (await client.get("lake", "/2024/03/family-only/", follow_redirects=True)).code == 404
    assert (await client.get("lake", "/?p=23")).code == 200  # the home page, as WordPress would show for a private post
    page = await client.get("lake", "/posts/morning-at-the-lake")
    assert page.code == 200 and b"<figcaption" in page.body and b"The lake at <em>dawn</em>" in page.body


async def test_another_sites_import_is_not_this_sites_redirect(world, client, tmp_path):
    await imported(world, tmp_path)
    await world.site("other")
    assert (await client.get("other", "/2024/05/morning-at-the-lake/")).code == 404
    response = await client.get("other", "/?p=12")
    assert response.code == 200 and "Location" not in response.headers


def editor_form(body: bytes) -> dict[str, str]:
    """The editor form's fields as a browser would send them back untouched."""
    form = lxml.html.fromstring(body).get_element_by_id("editor")
    fields: dict[str, str] = {}
    for element in form.xpath(".//input|.//textarea|.//select"):
        name = element.get("name")
        if not name or element.get("type") in ("submit", "button", "file"):
            continue
        if element.get("type") in ("radio", "checkbox") and element.get("checked") is None:
            continue
        if element.tag == "select":
            chosen = element.xpath("./option[@selected]") or element.xpath("./option")
            fields[name] = chosen[0].get("value", chosen[0].text or "") if chosen else ""
        elif element.tag == "textarea":
            # A browser drops the one newline right after <textarea>, as lxml does.
            fields[name] = element.text or ""
        else:
            fields[name] = element.get("value", "")
    return fields


@pytest.mark.parametrize("kind, export, count", [
    ("wordpress", WXR, 10),
    ("ghost", FIXTURES / "ghost-5.json", 6),
    ("ghost", FIXTURES / "ghost-4-mobiledoc.json", 2),
])
async def test_the_editor_opens_and_saves_every_imported_post_unchanged(world, client, db, tmp_path, kind, export,
                                                                         count):
    store = await world.site("lake")
    owner = await world.member(store, "owner", email="owner@lake.example")
    report = await jobs.run(world.db, store.site, kind, str(export), owner["_id"], media=str(uploads(tmp_path)))
    assert report.counts["failed"] == 0, report.text()
    session = await signed_in(client, "lake", owner)
    posts = [p async for p in db.posts.find({"site_id": store.site_id})]
    assert len(posts) == count
    for post in posts:
        kind = "posts" if post["type"] == "post" else "pages"
        page = await session.get("/admin/%s/%s" % (kind, post["_id"]))
        assert page.code == 200, post["title"]
        fields = editor_form(page.body)
        assert fields["markdown"] == post["markdown"], post["title"]
        response = await session.post("/admin/%s/%s" % (kind, post["_id"]), fields)
        assert response.code == 303, (post["title"], response.code, response.body[-2000:])
        saved = await db.posts.find_one({"_id": post["_id"]})
        for field in ("title", "slug", "markdown", "html", "tags", "custom_excerpt", "status", "featured_image"):
            assert saved[field] == post[field], (post["title"], field)
        if post["published_at"] is None:
            assert saved["published_at"] is None, post["title"]
        else:  # the form shows minutes in the site's time zone
            assert abs(saved["published_at"] - post["published_at"]).total_seconds() < 60, post["title"]


async def test_approved_wordpress_comments_show_under_their_post_once(world, client, tmp_path):
    store, owner = await imported(world, tmp_path)
    page = (await client.get("lake", "/posts/morning-at-the-lake")).body.decode()
    assert "2 comments" in page and "Beautiful light! Which path did you take?" in page
    # Anna's answer is a reply to Lena's comment; pending and spam ones never came.
    assert page.index("Beautiful light!") < page.index('class="comments__replies"') < page.index("east shore")
    assert "Buy now" not in page and "Waiting for moderation" not in page
    # Importing the same file again adds no comment twice.
    await jobs.run(world.db, store.site, "wordpress", str(WXR), owner["_id"], media=str(uploads(tmp_path / "again")))
    assert (await store.comments.status_counts())["approved"] == 2
