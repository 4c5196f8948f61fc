"""The Export page of the site admin: owners download their whole site; nobody else gets a byte."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from lxml import etree

from cms.store import Sites
from tests.admin_session import signed_in
from tests.export_site import rich_site


async def small_site(world) -> dict:
    """A site with an owner and one post: enough for who may export what."""
    store = await world.site("rich")
    owner = await world.member(store, "owner")
    await world.post(store, owner, "Harbour notes")
    return {"store": store, "owner": owner}


async def test_the_owner_downloads_each_format_as_an_attachment(client, world, db, tmp_path):
    rich = await rich_site(world, tmp_path)
    session = await signed_in(client, "rich", rich["owner"])
    page = await session.get("/admin/export")
    assert page.code == 200
    assert b'href="/admin/export"' in page.body  # in the owner's sidebar
    assert page.body.count(b'action="/admin/export"') == 3 and b"4 posts and pages, 2 media files" in page.body
    today = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")

    archive = await session.post("/admin/export", {"format": "archive"})
    assert archive.code == 200 and archive.headers["Content-Type"] == "application/zip"
    assert archive.headers["Content-Disposition"] == 'attachment; filename="rich-export-%s.zip"' % today
    assert archive.headers["Cache-Control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(archive.body)) as z:
        data = json.loads(z.read("site.json"))
    assert data["format"] == "cms-site-export" and len(data["posts"]) == 4 and len(data["media"]) == 2

    markdown = await session.post("/admin/export", {"format": "markdown"})
    assert markdown.code == 200
    assert markdown.headers["Content-Disposition"] == 'attachment; filename="rich-markdown-%s.zip"' % today
    with zipfile.ZipFile(io.BytesIO(markdown.body)) as z:
        assert "content/about.md" in z.namelist()

    wxr = await session.post("/admin/export", {"format": "wxr"})
    assert wxr.code == 200 and wxr.headers["Content-Type"] == "application/xml"
    assert wxr.headers["Content-Disposition"] == 'attachment; filename="rich-wordpress-%s.xml"' % today
    channel = etree.fromstring(wxr.body).find("channel")
    # Links are the site's own address, as readers reach it.
    assert channel.findtext("link") == "http://rich.localhost:%d" % client.port


@pytest.mark.parametrize("role", ["admin", "editor", "author", "contributor"])
async def test_only_owners_may_export(client, world, db, tmp_path, role):
    rich = await small_site(world)
    someone = await world.member(rich["store"], role)
    session = await signed_in(client, "rich", someone)
    page = await session.get("/admin/export")
    assert page.code == 403
    assert b'href="/admin/export"' not in (await session.get("/admin/")).body
    download = await session.post("/admin/export", {"format": "archive"})
    assert download.code == 403 and b"site.json" not in download.body and b"harbour" not in download.body


async def test_strangers_and_forged_requests_get_nothing(client, world, db, tmp_path):
    rich = await small_site(world)
    other = await world.site("other")
    their_owner = await world.member(other, "owner")
    anonymous = await client.get("rich", "/admin/export")
    assert anonymous.code == 302 and anonymous.headers["Location"].startswith("/login")
    # The owner of another site is nobody here, even with that site's cookies.
    outsider = await signed_in(client, "other", their_owner)
    outsider.host = "rich.localhost"
    refused = await outsider.post("/admin/export", {"format": "archive"})
    assert refused.code == 403 and b"site.json" not in refused.body
    owner = await signed_in(client, "rich", rich["owner"])
    forged = await owner.post("/admin/export", {"format": "archive"}, xsrf=False)
    assert forged.code == 403 and b"site.json" not in forged.body


async def test_exporting_site_a_never_carries_a_byte_of_site_b(client, world, db, tmp_path):
    rich = await rich_site(world, tmp_path)
    other = await world.site("other")
    stranger = await world.member(other, "owner", email="stranger@example.com", name="MARKER-PERSON-x91")
    await world.post(other, stranger, "MARKER-TITLE-x91", "MARKER-BODY-x91", tags=["MARKER-TAG-x91"])
    await Sites(db).update_settings(other.site_id, title="MARKER-SITE-x91")
    session = await signed_in(client, "rich", rich["owner"])
    for format in ("archive", "markdown", "wxr"):
        response = await session.post("/admin/export", {"format": format})
        assert response.code == 200
        body = response.body
        if format != "wxr":
            with zipfile.ZipFile(io.BytesIO(body)) as z:
                body += b"".join(z.read(name) + name.encode() for name in z.namelist())
        assert b"x91" not in body and b"stranger@" not in body, format


@pytest.mark.parametrize("format", ["", "pdf", "../archive", "ARCHIVE"])
async def test_an_unknown_format_is_a_clear_400(client, world, db, tmp_path, format):
    rich = await small_site(world)
    session = await signed_in(client, "rich", rich["owner"])
    response = await session.post("/admin/export", {"format": format})
    assert response.code == 400 and b"Choose one of the export formats" in response.body
    assert "Content-Disposition" not in response.headers


async def test_the_owner_of_a_suspended_site_can_still_take_their_data(client, world, db, tmp_path):
    rich = await rich_site(world, tmp_path)
    await Sites(db).suspend(rich["store"].site_id, "unpaid invoice", by="operator")
    session = await signed_in(client, "rich", rich["owner"])
    response = await session.post("/admin/export", {"format": "archive"})
    assert response.code == 200 and response.body[:2] == b"PK"
