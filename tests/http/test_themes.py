"""Themes over HTTP: every page type in every theme, theme switches, static files, broken themes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from cms.app import make_app
from cms.config import THEMES_DIR
from cms.store import Invalid
from cms.themes import Registry
from tests.conftest import Client

THEMES = ["journal", "magazine", "dusk"]
LANDMARKS = ("<header class=", '<main id="content"', "<footer class=", 'class="skip-link" href="#content"')


async def themed_site(world, theme: str):
    store = await world.site("site-" + theme, title="The %s site" % theme.title(), theme=theme, tagline="A tagline")
    author = await world.member(store, "owner", name="Ada Lovelace", username="ada-" + theme, bio="Writes engines.")
    await world.post(store, author, "First steps", "Hello **world**.\n\n```python\nprint(1)\n```\n", tags=["Code", "Notes"])
    await world.post(store, author, "Second thoughts", "More words here.", tags=["Notes"])
    await world.post(store, author, "About us", "We write.", type="page", slug="about")
    return store


def reader_paths(theme: str) -> dict[str, str]:
    return {
        "home": "/", "post": "/posts/first-steps", "page": "/about", "tag": "/tags/notes",
        "author": "/authors/ada-" + theme, "search": "/search?q=steps",
    }


@pytest.mark.parametrize("theme", THEMES)
async def test_every_page_type_renders_with_landmarks(world, client, theme):
    store = await themed_site(world, theme)
    name = store.site["name"]
    for kind, path in reader_paths(theme).items():
        response = await client.get(name, path)
        assert response.code == 200, (theme, kind)
        html = response.body.decode()
        assert 'class="theme-%s' % theme in html, (theme, kind)
        for landmark in LANDMARKS:
            assert landmark in html, (theme, kind, landmark)
        assert '<nav class="site-nav" aria-label="Main">' in html
        assert '<html lang="en" dir="ltr">' in html
    missing = await client.get(name, "/no-such-page")
    assert missing.code == 404 and 'class="theme-%s' % theme in missing.body.decode()


async def test_magazine_shows_the_sidebar_widgets_and_journal_does_not(world, client):
    for theme in ("magazine", "journal"):
        store = await themed_site(world, theme)
        html = (await client.get(store.site["name"], "/")).body.decode()
        has_sidebar = theme == "magazine"
        assert ('<aside class="sidebar" aria-label="Sidebar">' in html) is has_sidebar
        assert ('class="tag-cloud"' in html) is has_sidebar
        assert ('class="recent-posts"' in html) is has_sidebar


async def site_css(client: Client, site: str, page: str) -> str:
    """The site stylesheet a page links (the accent colour lives there, not inline)."""
    found = re.search(r'<link rel="stylesheet" href="(/site\.css\?v=\w+)">', page)
    assert found, "the page links no site stylesheet"
    return (await client.get(site, found.group(1))).body.decode()


async def test_magazine_cards_use_placeholders_without_featured_images(world, client):
    store = await themed_site(world, "magazine")
    html = (await client.get(store.site["name"], "/")).body.decode()
    assert html.count('class="post-card__placeholder post-card__placeholder--hue-') == 2
    assert "post-card--featured" in html  # the newest story leads the grid
    assert "<img" not in html.split("<main", 1)[1].split("</main>")[0]


async def test_journal_keeps_the_class_names_other_tests_rely_on(world, client):
    store = await themed_site(world, "journal")
    home = (await client.get(store.site["name"], "/")).body.decode()
    for name in ("post-card__title", "post-meta", "site-header"):
        assert name in home


async def test_child_theme_overrides_base_and_index_and_inherits_the_rest(world, client):
    store = await themed_site(world, "dusk")
    name = store.site["name"]
    home = (await client.get(name, "/")).body.decode()
    # dusk's base.html extends journal's and adds a stylesheet and its own footer
    assert re.search(r'href="/static/journal/style\.css\?v=\w+"', home)
    assert re.search(r'href="/static/dusk/dusk\.css\?v=\w+"', home)
    assert "written by lamplight" in home
    assert '<p class="dusk-intro">2 essays, newest first</p>' in home  # dusk's index.html fills journal's intro block
    # post.html is journal's; dusk's setting defaults apply (accent, no author bios)
    post = (await client.get(name, "/posts/first-steps")).body.decode()
    assert '<article class="post">' in post and "written by lamplight" in post
    assert "--accent: #a4471d" in await site_css(client, name, post)
    assert "author-card" not in post


async def test_a_theme_switch_changes_the_markup_on_the_next_request(world, client, app):
    store = await themed_site(world, "journal")
    name = store.site["name"]
    before = (await client.get(name, "/")).body.decode()
    assert "theme-journal" in before and "post-card__placeholder" not in before
    await world.sites.update_theme(store.site_id, "magazine", {"accent_color": "#0b7285", "posts_per_page": 1})
    after = (await client.get(name, "/")).body.decode()
    assert "theme-magazine" in after and "post-card__placeholder" in after
    assert "--accent: #0b7285" in await site_css(client, name, after)
    assert after.count('<article class="post-card') == 1  # posts_per_page took effect
    assert 'rel="next" href="/?page=2"' in after
    await world.sites.update_theme(store.site_id, "journal", {})
    assert "theme-journal" in (await client.get(name, "/")).body.decode()


async def test_update_theme_rejects_unknown_themes_and_bad_settings(world):
    store = await world.site("strict")
    for theme, settings, message in [
        ("nope", {}, "unknown theme"),
        ("journal", {"accent_color": "red; } body { display:none"}, "not a colour"),
        ("journal", {"posts_per_page": 500}, "between 1 and 50"),
        ("journal", {"favourite_food": "soup"}, "no setting favourite_food"),
        ("journal", {"navigation": [{"label": "x", "url": "javascript:alert(1)"}]}, "not a URL"),
    ]:
        with pytest.raises(Invalid, match=message):
            await world.sites.update_theme(store.site_id, theme, settings)
    site = await world.sites.by_name("strict")
    assert site["theme"] == "journal" and site["theme_settings"] == {}


async def test_navigation_links_from_settings_mark_the_current_page(world, client, app):
    store = await themed_site(world, "journal")
    await world.sites.update_theme(store.site_id, "journal", {"navigation": [{"label": "About <us>", "url": "/about"}]})
    html = (await client.get(store.site["name"], "/about")).body.decode()
    assert '<a class="site-nav__link" href="/about" aria-current="page">About &lt;us&gt;</a>' in html
    assert '<a class="site-nav__link" href="/">Home</a>' in html


async def test_theme_static_files_have_versioned_urls_and_long_cache_lifetimes(world, client):
    store = await themed_site(world, "magazine")
    html = (await client.get(store.site["name"], "/")).body.decode()
    url = re.search(r'href="(/static/magazine/magazine\.css\?v=\w+)"', html).group(1)
    script = re.search(r'src="(/static/magazine/modules/navigation\.js\?v=\w+)"', html).group(1)
    for path in (url, script):
        response = await client.get(store.site["name"], path)
        assert response.code == 200
        assert "max-age=31536000" in response.headers["Cache-Control"]
    assert b".post-card" in (await client.get(store.site["name"], url)).body
    for private in ("/static/magazine/../theme.json", "/static/magazine/%2e%2e/templates/base.html",
                    "/static/magazine/nope.css"):
        assert (await client.get(store.site["name"], private)).code == 404, private


def make_theme_dir(tmp_path: Path, **broken: dict[str, str]) -> Path:
    """A themes folder with a copy of journal plus themes made of the given files."""
    directory = tmp_path / "themes"
    shutil.copytree(THEMES_DIR / "journal", directory / "journal")
    for name, files in broken.items():
        for relative, text in files.items():
            path = directory / name / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return directory


async def test_a_broken_theme_falls_back_to_the_default_and_says_why(world, settings, db, tmp_path, caplog):
    themes_dir = make_theme_dir(tmp_path, broken={
        "theme.json": '{"name": "Broken", "parent": "journal"}',
        "templates/post.html": '{% extends "base.html" %}\n{% block content %}\n{% iff post %}<p>x</p>{% end %}\n{% end %}\n',
    })
    registry = Registry(themes_dir)
    assert "broken" not in registry.names()
    assert re.search(r"theme broken: template error: unknown operator: 'iff' at .*broken/templates/post\.html:3",
                     registry.problem("broken"))
    assert "broken/templates/post.html" in caplog.text  # logged with the file
    store = await world.site("shaky")
    await db.sites.update_one({"_id": store.site_id}, {"$set": {"theme": "broken"}})  # chosen before it broke
    author = await world.member(store)
    await world.post(store, author, "Still readable")
    app = make_app(settings, db, themes=registry)
    async with serve(app) as client:
        for path in ("/", "/posts/still-readable"):
            response = await client.get("shaky", path)
            assert response.code == 200 and "theme-journal" in response.body.decode()
    row = next(r for r in registry.status() if r["name"] == "broken")
    assert row["ok"] is False and "post.html:3" in row["error"]


@pytest.mark.parametrize("files, reason", [
    ({"theme.json": "{not json"}, "bad theme.json"),
    ({"theme.json": '{"settings": {"accent": {"type": "colour"}}}'}, "needs a type"),
    ({"theme.json": '{"parent": "journal", "settings": {"accent_color": {"default": "blue"}}}'}, "bad default"),
    ({"theme.json": '{"name": "No templates"}'}, "missing required template base.html"),
    ({"theme.json": '{"parent": "ghost"}'}, "parent theme ghost not found"),
    ({"theme.json": '{"parent": "journal"}', "templates/base.html": "<p>{{ site[ }}</p>"},
     r"was never closed at .*templates/base\.html:1"),
    ({"theme.json": '{"parent": "journal"}', "templates/index.html": '{% extends "parent:nothing.html" %}'},
     "no parent theme has nothing.html"),
])
def test_broken_themes_are_reported_with_the_file(tmp_path, files, reason):
    registry = Registry(make_theme_dir(tmp_path, bad=files))
    assert not registry.has("bad") and registry.get("bad").name == "journal"
    assert re.search(reason, registry.problem("bad")), registry.problem("bad")


def test_the_real_themes_all_load():
    registry = Registry()
    assert registry.errors == {}
    assert {"journal", "magazine", "dusk"} <= set(registry.names())
    assert registry.get("dusk").parent.name == "journal"
    assert registry.problem("journal") is None and "unknown theme" in registry.problem("nope")


class serve:
    """An app on a loopback port for one test (for apps with their own theme registry)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __aenter__(self) -> Client:
        from tornado.httpclient import AsyncHTTPClient
        from tornado.httpserver import HTTPServer

        from cms import db as database

        self.server = HTTPServer(self.app)
        port = database.free_port()
        self.server.listen(port, "127.0.0.1")
        self.http = AsyncHTTPClient(force_instance=True)
        return Client(port, self.http)

    async def __aexit__(self, *exc) -> None:
        self.http.close()
        self.server.stop()
        await self.server.close_all_connections()


def test_every_form_in_a_theme_that_posts_carries_the_xsrf_field():
    """Search forms are GET; any POST form a theme adds must include the XSRF token."""
    forms = 0
    for path in THEMES_DIR.glob("*/templates/**/*.html"):
        for form in re.findall(r"<form\b.*?</form>", path.read_text(), re.S | re.I):
            forms += 1
            if re.search(r'method="post"', form, re.I):
                assert "{% module xsrf_form_html() %}" in form, path
            else:
                assert re.search(r'method="get"', form, re.I), path
    assert forms >= 4


def visible_text(html: str) -> str:
    """What a sighted reader sees of a fragment: no screen-reader-only text, no tags."""
    html = re.sub(r'<span class="visually-hidden">.*?</span>', "", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace("&middot;", "·")


@pytest.mark.parametrize("theme", THEMES)
async def test_post_meta_separates_the_reading_time_from_the_tags(world, client, theme):
    store = await themed_site(world, theme)
    name = store.site["name"]
    metas = []
    for path in ("/posts/first-steps", "/", "/tags/notes"):
        body = (await client.get(name, path)).body.decode()
        metas += [m for m in re.findall(r'<p class="post-meta">(.*?)</p>', body, flags=re.S) if 'rel="tag"' in m]
    assert metas, "no post meta with tags in %s" % theme
    for meta in metas:
        assert re.search(r"min read · #", visible_text(meta)), visible_text(meta)
