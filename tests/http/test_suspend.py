"""A site the operators suspend: its readers get the plain "suspended" page (503,
kept by no cache, in every process at once), its admin is read-only with the
reason shown to its owner, signing in still works, and lifting the suspension
brings the site back as it was. Other sites never notice.
"""

from __future__ import annotations

import json
import logging

import pytest

from cms.store import Invalid, Sites, SiteStore
from tests import images
from tests.admin_session import Session, form, signed_in
from tests.conftest import TEST_PASSWORD
from tests.http.test_media import upload
from tests.http.test_page_cache import eventually, process

REASON = "Phishing pages reported on 24 November; write to abuse@example.com"
READER_PATHS = ("/", "/posts/hello", "/feed.xml", "/tags/news", "/about")


@pytest.fixture
async def blog(world, client):
    """Sites blog (suspended in the tests) and other, each with a post; blog's owner signed in."""
    store = await world.site("blog")
    owner = await world.member(store, "owner")
    await world.post(store, owner, "Hello", tags=["news"])
    await world.post(store, owner, "About", type="page")
    other = await world.site("other")
    other_owner = await world.member(other, "owner")
    await world.post(other, other_owner, "Other hello")
    return store, owner, await signed_in(client, "blog", owner)


def is_suspended_page(response) -> bool:
    return (response.code == 503 and b"This site is suspended." in response.body
            and b"Hello" not in response.body and REASON.encode() not in response.body
            and response.headers.get("Cache-Control") == "no-store" and "Retry-After" not in response.headers)


async def test_readers_get_the_suspended_page_even_for_kept_pages_and_get_the_site_back_after(
        blog, world, client, app):
    store, owner, _ = blog
    for path in READER_PATHS:
        assert (await client.get("blog", path)).code == 200  # rendered, and kept
    image = await upload(await signed_in(client, "blog", owner), [("a.jpg", images.jpeg(), "image/jpeg")])
    media_url = json.loads(image.body)["items"][0]["url"]

    await world.sites.suspend(store.site_id, REASON, by="ops@example.com")
    for path in READER_PATHS + (media_url,):
        response = await client.get("blog", path)
        assert is_suspended_page(response), (path, response.code, response.body[:300])
    assert (await client.get("other", "/")).code == 200 and b"Other hello" in (await client.get("other", "/")).body

    await world.sites.unsuspend(store.site_id)
    for path in READER_PATHS + (media_url,):
        assert (await client.get("blog", path)).code == 200, path
    assert b"Hello" in (await client.get("blog", "/posts/hello")).body


async def test_another_process_stops_serving_its_kept_pages_of_a_suspended_site(blog, settings, client):
    store, _, _ = blog
    async with process(settings) as (other_app, other):
        assert (await other.get("blog", "/posts/hello")).code == 200  # kept there
        await Sites(other_app.db).suspend(store.site_id, REASON, by="ops@example.com")

        async def suspended_here():
            return is_suspended_page(await client.get("blog", "/posts/hello"))

        await eventually(suspended_here, 5.0)


async def test_the_admin_is_read_only_with_the_reason_shown_to_the_owner_only(blog, world, client, db):
    store, owner, session = blog
    author = await world.member(store, "author")
    author_session = await signed_in(client, "blog", author)
    await world.sites.suspend(store.site_id, REASON, by="ops@example.com")
    posts_before = await db.posts.count_documents({})

    dashboard = await session.get("/admin/")
    assert dashboard.code == 200 and REASON.encode() in dashboard.body and b'id="suspended"' in dashboard.body
    author_dashboard = await author_session.get("/admin/")
    assert b'id="suspended"' in author_dashboard.body and REASON.encode() not in author_dashboard.body

    refusals = [
        await session.post("/admin/posts/new", form(title="New", markdown="x", state="published")),
        await session.post("/admin/settings", {"title": "Renamed", "tagline": "", "timezone": "UTC", "language": "en"}),
        await author_session.post("/admin/posts/new", form(title="Mine", markdown="x")),
        await upload(session, [("b.jpg", images.jpeg(colour="red"), "image/jpeg")]),
    ]
    for response in refusals:
        assert response.code == 403 and b"suspended this site" in response.body, response.body[:300]
    assert REASON.encode() in refusals[0].body and REASON.encode() not in refusals[2].body
    assert await db.posts.count_documents({}) == posts_before
    assert (await world.sites.by_id(store.site_id))["title"] == "Blog"
    assert await db.media_items.count_documents({}) == 0


async def test_signing_in_and_out_still_work_on_a_suspended_site(blog, world, client):
    store, owner, _ = blog
    await world.sites.suspend(store.site_id, REASON, by="ops@example.com")
    visitor = Session(client, "blog")
    response = await visitor.login(owner["email"], TEST_PASSWORD)
    assert response.code == 303
    assert REASON.encode() in (await visitor.get("/admin/")).body
    assert (await visitor.post("/logout")).code == 303
    assert (await visitor.get("/admin/")).code == 302  # signed out: to the sign-in page
    await visitor.get("/reset")
    forgot = await visitor.post("/reset", {"email": owner["email"]})  # the account's, not the site's
    assert forgot.code == 200


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
async def test_a_suspension_needs_a_short_reason_and_a_bad_one_changes_nothing(world, reason):
    store: SiteStore = await world.site("blog")
    with pytest.raises(Invalid):
        await world.sites.suspend(store.site_id, reason, by="ops@example.com")
    assert "suspended" not in await world.sites.by_id(store.site_id)


async def test_readers_of_a_suspended_site_are_not_each_a_warning_in_the_log(blog, world, client, caplog):
    store, _, _ = blog
    await world.sites.suspend(store.site_id, REASON, by="ops@example.com")
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            assert (await client.get("blog", "/")).code == 503
    assert [r.getMessage() for r in caplog.records if r.name == "tornado.general"] == []
