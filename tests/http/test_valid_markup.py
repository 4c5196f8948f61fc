"""What the outside judges (axe-core, the Nu Html Checker) found in the served markup (issue 14).

Each test reads the page a reader or an author gets and checks the one thing
a judge flagged: one search landmark, machine-readable times, no empty
widget boxes, the phone menu's script on every Magazine page, focusable code.
"""

from __future__ import annotations

import re

import pytest

from tests.admin_session import signed_in

THEMES = ["journal", "magazine", "dusk"]


@pytest.mark.parametrize("theme", THEMES)
async def test_the_search_page_has_one_search_landmark(world, client, theme):
    store = await world.site("s-" + theme, theme=theme)
    owner = await world.member(store, "owner")
    await world.post(store, owner, "Finding things", "Search me.")
    html = (await client.get("s-" + theme, "/search?q=things")).body.decode()
    assert html.count('role="search"') == 1
    assert 'action="/search"' in html  # the page's own form is still there


async def test_every_time_in_the_dashboard_and_posts_list_has_a_datetime(world, client):
    store = await world.site("alpha", timezone="Europe/Paris")
    owner = await world.member(store, "owner")
    import datetime as dt

    await world.post(store, owner, "A draft", status="draft")
    await world.post(store, owner, "Out already")
    await world.post(store, owner, "Coming soon", published_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2))
    session = await signed_in(client, "alpha", owner)
    for path in ("/admin/", "/admin/posts"):
        page = (await session.get(path)).body.decode()
        times = re.findall(r"<time[^>]*>", page)
        assert len(times) >= 3, path
        for tag in times:
            # HTML allows at most three digits of a second (the Nu Html Checker refused six).
            assert re.fullmatch(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z">', tag), (path, tag)


async def test_a_new_magazine_site_shows_no_empty_widget_boxes(world, client):
    store = await world.site("fresh", theme="magazine")  # no posts, no tags, no tagline
    await world.member(store, "owner")
    html = (await client.get("fresh", "/")).body.decode()
    sidebar = html.split('<aside class="sidebar"')[1].split("</aside>")[0]
    for box in re.findall(r'<(?:div|section) class="widget[^"]*">(.*?)</(?:div|section)>', sidebar, re.S):
        assert box.strip(), "an empty widget box in the sidebar"
    assert "Follow" in sidebar  # the feeds widget has content and stays


async def test_a_magazine_post_that_is_the_only_one_shows_no_empty_recent_posts_box(world, client):
    store = await world.site("lonely", theme="magazine")
    owner = await world.member(store, "owner")
    await world.post(store, owner, "The only post", "Words.")
    html = (await client.get("lonely", "/posts/the-only-post")).body.decode()
    sidebar = html.split('<aside class="sidebar"')[1].split("</aside>")[0]
    assert not re.search(r'<div class="widget">\s*</div>', sidebar)


@pytest.mark.parametrize("theme", ["magazine", "dusk", "journal"])
async def test_the_404_page_links_the_menu_script_of_the_home_page(world, client, theme):
    await world.site("m-" + theme, theme=theme)
    home = (await client.get("m-" + theme, "/")).body.decode()
    missing = await client.get("m-" + theme, "/no-such-page")
    assert missing.code == 404
    # The theme's own module scripts (the phone menu's); the home page has others (live updates).
    menu = [src for src in re.findall(r'<script src="([^"]+)"', home) if "/modules/navigation" in src]
    assert menu or theme != "magazine"
    for src in menu:
        assert src in missing.body.decode()


async def test_code_blocks_in_a_post_are_keyboard_focusable(world, client):
    store = await world.site("code", theme="magazine")
    owner = await world.member(store, "owner")
    await world.post(store, owner, "Some code", "```python\nimport asyncio\n```\n\n    indented = True\n")
    html = (await client.get("code", "/posts/some-code")).body.decode()
    assert html.count("<pre") == 2
    assert html.count('<pre tabindex="0"') == 2


def test_no_template_writes_a_time_without_a_datetime():
    """The Nu checker refuses ``<time>`` around free text like "26 Nov 2026, 13:05" without one."""
    from cms.config import REPO_ROOT

    roots = [REPO_ROOT / "cms" / "templates", REPO_ROOT / "themes", REPO_ROOT / "ui_modules"]
    bare = ["%s: %s" % (path.relative_to(REPO_ROOT), tag) for root in roots for path in root.rglob("*.html")
            for tag in re.findall(r"<time\b[^>]*>", path.read_text()) if "datetime=" not in tag]
    assert bare == []


def test_no_table_has_an_empty_column_header():
    """axe's empty-table-header: a column of buttons still says what it is to a screen reader."""
    from cms.config import REPO_ROOT

    empty = [path.name for path in (REPO_ROOT / "cms" / "templates").rglob("*.html") if "<th></th>" in path.read_text()]
    assert empty == []
