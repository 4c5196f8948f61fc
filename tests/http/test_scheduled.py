"""Scheduled posts go live at their time with nothing touching them.

A scheduled post is stored as ``published`` with a future ``published_at``;
every reader query (pages, tags, feeds, sitemap, search) asks for
``published_at <= now``, so the post appears the moment its time comes, in
every process at once, after any restart, and with no job that could run
twice or not at all. The tests wait for a post scheduled seconds ahead and
poll, as a reader would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from zoneinfo import ZoneInfo

from cms.app import make_app
from tests.admin_session import form, post_id_of, signed_in


async def wait_until(check, timeout: float = 6.0, every: float = 0.2) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if await check():
            return time.monotonic() - start
        await asyncio.sleep(every)
    raise AssertionError("not within %.0fs" % timeout)


async def test_the_editor_schedules_to_the_minute_and_the_dashboard_shows_it_scheduled(client, world):
    alpha = await world.site("alpha", timezone="Europe/Paris")
    editor = await world.member(alpha, "editor")
    session = await signed_in(client, "alpha", editor)
    when = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)).astimezone(ZoneInfo("Europe/Paris"))
    saved = await session.post("/admin/posts/new", form(title="Later", markdown="Soon.", state="scheduled",
                                                        publish_at=when.strftime("%Y-%m-%dT%H:%M")))
    post = await alpha.posts.get(post_id_of(saved))
    assert post["published_at"] == when.replace(second=0, microsecond=0).astimezone(dt.timezone.utc)
    dashboard = await session.get("/admin/")
    scheduled = re.search(rb'<section class="panel" id="scheduled">(.*?)</section>', dashboard.body, re.S).group(1)
    assert b"Later" in scheduled
    assert (await client.get("alpha", "/posts/later")).code == 404


async def test_a_scheduled_post_appears_everywhere_once_its_time_passes(client, world, db, settings):
    alpha = await world.site("alpha")
    author = await world.member(alpha, "author")
    await world.post(alpha, author, "Already out", tags=["news"])
    # A whole second, as the editor's whole minutes (see test_embedded_database.py).
    when = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2.5)).replace(microsecond=0)
    post = await world.post(alpha, author, "Right on time", markdown="Tick tock.", tags=["news"], published_at=when)
    session = await signed_in(client, "alpha", author)
    stored = await alpha.posts.get(post["_id"])

    async def reader_sees() -> bool:
        return (await client.get("alpha", "/posts/right-on-time")).code == 200

    assert not await reader_sees()
    assert b"Right on time" not in (await client.get("alpha", "/feed.xml")).body
    # Posts are listed in the sitemap index's files (tests/http/test_sitemap.py).
    assert b"right-on-time" not in (await client.get("alpha", "/sitemap-posts-1.xml")).body
    waited = await wait_until(reader_sees)
    assert dt.datetime.now(dt.timezone.utc) >= when and waited < 4.5
    assert b"Right on time" in (await client.get("alpha", "/")).body
    assert b"Right on time" in (await client.get("alpha", "/tags/news")).body
    assert b"Right on time" in (await client.get("alpha", "/feed.xml")).body
    assert b"Right on time" in (await client.get("alpha", "/rss.xml")).body
    sitemap = (await client.get("alpha", "/sitemap-posts-1.xml")).body
    assert b"/posts/right-on-time</loc>" in sitemap
    atom = (await client.get("alpha", "/feed.xml")).body.decode()
    feed_updated = re.search(r"<updated>([^<]+)</updated>", atom).group(1)
    assert feed_updated >= when.astimezone(dt.timezone.utc).isoformat()[:19]  # the feed moved on too
    dashboard = await session.get("/admin/")
    published = re.search(rb'id="published">(.*?)</section>', dashboard.body, re.S).group(1)
    scheduled = re.search(rb'id="scheduled">(.*?)</section>', dashboard.body, re.S).group(1)
    assert b"Right on time" in published and b"Right on time" not in scheduled
    # Nothing wrote to the post for it to go live: no job ran, none can run twice.
    assert await alpha.posts.get(post["_id"]) == stored
    # A process started afterwards (a restart, or a second process) agrees.
    restarted = make_app(settings, db)
    from cms.store import SiteStore

    site = await restarted.resolver.resolve("alpha.localhost")
    assert (await SiteStore(db, site).posts.get_visible("post", "right-on-time"))["_id"] == post["_id"]
