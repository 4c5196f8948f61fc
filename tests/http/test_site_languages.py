"""A site's language over HTTP: its theme's words and dates, whoever reads it.

The page speaks the SITE's language (never the reader's Accept-Language), kept
pages never cross from one site to another, and the settings' picker offers
only the languages there are catalogues for.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from cms.store import Sites
from tests.admin_session import signed_in

MARCH = dt.datetime(2026, 3, 5, 10, 0, tzinfo=dt.timezone.utc)
LONG = " ".join(["word"] * 1100)  # five minutes of reading (cms/text/markdown.py: 220 words a minute)


async def two_posts(world, store):
    author = await world.member(store)
    await world.post(store, author, "Erster", published_at=MARCH)
    await world.post(store, author, "Zweiter", LONG, published_at=MARCH + dt.timedelta(days=1))
    await Sites(world.db).update_theme(store.site["_id"], store.site.get("theme", "journal"), {"posts_per_page": 1})
    return author


@pytest.mark.parametrize("theme", ["journal", "magazine", "dusk"])
async def test_a_german_site_reads_in_german_with_german_dates(client, world, theme):
    store = await world.site("heft", language="de", theme=theme)
    await two_posts(world, store)
    home = (await client.get("heft", "/")).body.decode()
    assert '<html lang="de" dir="ltr">' in home
    assert "5 Min. Lesezeit" in home and "6. März 2026" in home
    assert "min read" not in home and "March" not in home
    assert "Ältere" in home and "Seite 1 von 2" in home  # the pagination
    older = (await client.get("heft", "/?page=2")).body.decode()
    assert "Neuere" in older and "1 Min. Lesezeit" in older and "5. März 2026" in older
    post = (await client.get("heft", "/posts/erster")).body.decode()
    assert "Neuere" in post and "Zum Inhalt springen" in post and "Einen Kommentar schreiben" in post
    missing = await client.get("heft", "/posts/nirgends")
    assert missing.code == 404 and "Die gesuchte Seite ist nicht hier." in missing.body.decode()
    found = (await client.get("heft", "/search?q=Zweiter")).body.decode()
    assert "1 Ergebnis für „Zweiter“" in found


async def test_a_japanese_sites_post_date_is_japanese_in_its_time_zone(client, world):
    store = await world.site("nikki", language="ja", timezone="Asia/Tokyo")
    author = await world.member(store)
    await world.post(store, author, "夜", published_at=dt.datetime(2026, 3, 5, 23, 30, tzinfo=dt.timezone.utc))
    await world.post(store, author, "長い", LONG, published_at=MARCH)
    page = (await client.get("nikki", "/posts/ye")).body.decode()
    assert "2026年3月6日" in page  # 08:30 on the 6th in Tokyo
    assert "1分で読めます" in page
    home = (await client.get("nikki", "/")).body.decode()
    assert "5分で読めます" in home and "min read" not in home


async def test_english_says_1_min_read_and_5_min_read(client, world):
    store = await world.site("plain")
    author = await world.member(store)
    await world.post(store, author, "Short", published_at=MARCH)
    await world.post(store, author, "Long", LONG, published_at=MARCH)
    home = (await client.get("plain", "/")).body.decode()
    assert "1 min read" in home and "5 min read" in home and "5 March 2026" in home


async def test_the_page_is_the_sites_language_whatever_the_reader_asks_for_and_never_anothers(client, world):
    german = await world.site("heft", language="de")
    french = await world.site("carnet", language="fr")
    for store in (german, french):
        await world.post(store, await world.member(store), "Post", published_at=MARCH)
    for _ in range(2):  # rendered, then answered from the page cache
        for accept in ("ja", "fr-FR,fr;q=0.9", "de"):
            heft = (await client.get("heft", "/", headers={"Accept-Language": accept})).body.decode()
            carnet = (await client.get("carnet", "/", headers={"Accept-Language": accept})).body.decode()
            assert "Min. Lesezeit" in heft and "5. März 2026" in heft and "min de lecture" not in heft
            assert "1 min de lecture" in carnet and "5 mars 2026" in carnet and "Lesezeit" not in carnet


async def test_rtl_sites_stay_right_to_left_in_their_own_words(client, world):
    store = await world.site("madwana", language="ar")
    await world.post(store, await world.member(store), "تدوينة", published_at=MARCH)
    home = (await client.get("madwana", "/")).body.decode()
    assert '<html lang="ar" dir="rtl">' in home and "دقيقة قراءة واحدة" in home and "مارس" in home


async def test_the_new_posts_banner_carries_its_words_in_each_plural_form(client, world):
    store = await world.site("heft", language="de")
    await world.post(store, await world.member(store), "Post", published_at=MARCH)
    home = (await client.get("heft", "/")).body.decode()
    assert 'data-text-one="%(count)d neuer Beitrag: anzeigen"' in home
    assert 'data-text-other="%(count)d neue Beiträge: anzeigen"' in home


async def test_the_picker_offers_the_languages_in_their_own_names_and_switches_the_pages(client, world, db):
    alpha = await world.site("alpha", title="Alpha")
    beta = await world.site("beta", language="fr")
    admin = await world.member(alpha, "admin")
    await world.post(alpha, admin, "Post", published_at=MARCH)
    await world.post(beta, await world.member(beta), "Post", published_at=MARCH)
    assert "1 min read" in (await client.get("alpha", "/")).body.decode()
    session = await signed_in(client, "alpha", admin)
    page = (await session.get("/admin/settings")).body.decode()
    options = re.findall(r'<option value="([a-z]+)" lang="[a-z]+" ?(selected)?>([^<]+)</option>', page)
    assert [(code, name) for code, _, name in options][:5] == [
        ("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español"), ("ja", "日本語")]
    assert [code for code, selected, _ in options if selected] == ["en"]
    assert 'type="text" name="language"' not in page

    saved = await session.post("/admin/settings", {"title": "Alpha", "tagline": "", "timezone": "UTC",
                                                   "language": "es"})
    assert saved.code == 303
    home = (await client.get("alpha", "/")).body.decode()
    assert '<html lang="es"' in home and "1 min de lectura" in home and "5 de marzo de 2026" in home
    assert "1 min de lecture" in (await client.get("beta", "/")).body.decode()  # another site: its own
    settings = (await session.get("/admin/settings")).body.decode()
    assert re.search(r'<option value="es" lang="es" selected>Español</option>', settings)


@pytest.mark.parametrize("language", ["xx", "de-AT", "pt-BR", "<script>", "", "en" * 200])
async def test_the_picker_refuses_an_unknown_language_with_a_message_and_changes_nothing(client, world, db,
                                                                                       language):
    alpha = await world.site("alpha", title="Alpha", language="de")
    admin = await world.member(alpha, "admin")
    session = await signed_in(client, "alpha", admin)
    refused = await session.post("/admin/settings", {"title": "Changed", "tagline": "", "timezone": "UTC",
                                                     "language": language})
    assert refused.code == 400
    body = refused.body.decode()
    assert "unknown language" in body and "Deutsch (de)" in body and "<script>" not in body
    assert re.search(r'<option value="de" lang="de" selected>Deutsch</option>', body)  # still what it speaks
    site = await Sites(db).by_name("alpha")
    assert site["language"] == "de" and site["title"] == "Alpha"


async def test_a_new_site_stores_the_nearest_supported_language(world):
    assert (await world.site("wien", language="de-AT")).site["language"] == "de"
    assert (await world.site("lisboa", language="pt-BR")).site["language"] == "en"
    assert (await world.site("tehran", language="fa")).site["language"] == "ar"


async def test_a_comment_sent_on_a_german_site_is_answered_in_german(client, world, app, db):
    import json
    import time

    from cms.handlers.comments import form_token
    from tests.admin_session import Session

    store = await world.site("heft", language="de")
    post = await world.post(store, await world.member(store), "Hallo")
    session = Session(client, "heft")
    await session.get("/comments/form?post=%s" % post["_id"])
    form = {"post": post["_id"], "started": form_token(app, post["_id"], time.time() - 60), "parent": "",
            "homepage": "", "name": "Ada", "email": "ada@example.org", "website": "", "text": "Schön."}
    sent = await session.post("/comments", form, headers={"Accept": "application/json"})
    assert sent.code == 200 and json.loads(sent.body)["message"] == "Ihr Kommentar wartet auf Freischaltung."
    quick = {**form, "started": form_token(app, post["_id"], time.time())}
    refused = await session.post("/comments", quick, headers={"Accept": "application/json"})
    assert refused.code == 400 and "Sie es erneut" in json.loads(refused.body)["error"]
    await Sites(db).set_comment_settings(store.site_id, {"mode": "off", "close_after_days": 0})
    closed = await session.post("/comments", form)
    assert closed.code == 403 and "Kommentare zu diesem Beitrag sind geschlossen." in closed.body.decode()
    assert await db.comments.count_documents({"site_id": store.site_id}) == 1  # the refused ones stored nothing


async def test_the_magazine_phone_menu_button_is_named_in_the_sites_language(client, world):
    await world.site("heft", language="de", theme="magazine")
    home = (await client.get("heft", "/")).body.decode()
    assert 'data-menu="Menü"' in home  # navigation.js names its button with it
