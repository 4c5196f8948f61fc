"""Writing in any language: posts, tags and authors in every script get an address
readers reach, typed tags are never dropped, and right-to-left sites say so."""

import asyncio
import json
import re
from urllib.parse import quote

import pytest
from tornado.websocket import websocket_connect

from tests.admin_session import form, post_id_of, signed_in
from tests.http.test_admin_revisions import ws_request

SCRIPTS = [
    ("Привет мир", "privet-mir"),  # Cyrillic
    ("Καλημέρα κόσμε", "kalimera-kosme"),  # Greek
    ("مرحبا بالعالم", "mrhb-bl-lm"),  # Arabic
    ("שלום עולם", "slvm-vlm"),  # Hebrew
    ("你好世界", "ni-hao-shi-jie"),  # Chinese
    ("東京の夏", "dong-jing-no-xia"),  # Japanese
    ("🎉🎉", "tada-tada"),  # emoji
]


async def raw_get(client, site: str, path: bytes) -> tuple[int, bytes]:
    """A request line with raw UTF-8 bytes in the path, as curl sends it (browsers percent-encode)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    writer.write(b"GET %s HTTP/1.1\r\nHost: %s.localhost:%d\r\nConnection: close\r\n\r\n"
                 % (path, site.encode(), client.port))
    await writer.drain()
    answer = await reader.read()
    writer.close()
    head = answer.split(b"\r\n\r\n", 1)[0]
    return int(head.split()[1]), head


async def test_titles_in_every_script_get_their_own_slug_and_page(world, client):
    store = await world.site("blog")
    owner = await world.member(store, "owner")
    session = await signed_in(client, "blog", owner)
    for title, slug in SCRIPTS:
        saved = await session.post("/admin/posts/new", form(title=title, markdown="Text.", state="published"))
        post = await store.posts.get(post_id_of(saved))
        assert post["slug"] == slug
        page = await client.get("blog", "/posts/" + slug)
        assert page.code == 200 and title.encode() in page.body
    assert all(not p["slug"].startswith("untitled") for p in (await store.posts.admin_list("post")).items)


async def test_emoji_titles_are_named_not_numbered(world, client):
    store = await world.site("blog")
    owner = await world.member(store, "owner")
    slugs = [(await world.post(store, owner, title))["slug"] for title in ("🎉", "🎉🎉", "☕ time")]
    assert slugs == ["tada", "tada-tada", "coffee-time"]


async def test_tags_in_every_script_are_kept_and_have_pages(world, client):
    store = await world.site("blog")
    owner = await world.member(store, "owner")
    session = await signed_in(client, "blog", owner)
    saved = await session.post("/admin/posts/new", form(
        title="Trip", markdown="Text.", state="published", tags="Путешествия, 旅行, Ταξίδι, סיור, 🌍"))
    post = await store.posts.get(post_id_of(saved))
    assert post["tags"] == ["Путешествия", "旅行", "Ταξίδι", "סיור", "🌍"]
    assert post["tag_slugs"] == ["puteshestviya", "lu-xing", "taxidi", "syvr", "earth-africa"]
    for name, slug in zip(post["tags"], post["tag_slugs"]):
        page = await client.get("blog", "/tags/" + slug)
        assert page.code == 200 and name.encode() in page.body and b"Trip" in page.body
    article = (await client.get("blog", "/posts/trip")).body
    assert b'href="/tags/puteshestviya"' in article and "#Путешествия".encode() in article


async def test_a_tag_with_no_letters_is_refused_with_a_message_and_nothing_saved(world, client):
    store = await world.site("blog")
    owner = await world.member(store, "owner")
    session = await signed_in(client, "blog", owner)
    refused = await session.post("/admin/posts/new", form(title="Odd", markdown="Text.", tags="good, !!!"))
    assert refused.code == 400
    assert "the tag &#x27;!!!&#x27;" in refused.body.decode() or "the tag '!!!'" in refused.body.decode()
    assert (await store.posts.admin_list("post")).total == 0


async def test_two_tags_with_one_address_are_refused_not_merged(world, client):
    store = await world.site("blog")
    owner = await world.member(store, "owner")
    session = await signed_in(client, "blog", owner)
    refused = await session.post("/admin/posts/new", form(title="Langs", markdown="Text.", tags="C, C++"))
    assert refused.code == 400 and b"/tags/c" in refused.body
    assert (await store.posts.admin_list("post")).total == 0
    # The same tag typed twice in two cases is one tag, as before.
    saved = await session.post("/admin/posts/new", form(title="Again", markdown="Text.", tags="Путешествия, ПУТЕШЕСТВИЯ"))
    assert (await store.posts.get(post_id_of(saved)))["tags"] == ["Путешествия"]


@pytest.mark.parametrize("typed", ["Путешествия", "ПУТЕШЕСТВИЯ", "путешествия", "Puteshestviya"])
async def test_a_tag_typed_in_its_own_script_leads_to_its_page(world, client, typed):
    store = await world.site("blog")
    owner = await world.member(store, "owner")
    await world.post(store, owner, "Trip", tags=["Путешествия"])
    encoded = await client.get("blog", "/tags/" + quote(typed))
    assert encoded.code == 301 and encoded.headers["Location"] == "/tags/puteshestviya"
    code, head = await raw_get(client, "blog", ("/tags/" + typed).encode())
    assert code == 301 and b"Location: /tags/puteshestviya\r\n" in head


async def test_greek_and_japanese_typed_addresses_lead_to_post_and_tag(world, client):
    store = await world.site("blog")
    owner = await world.member(store, "owner")
    await world.post(store, owner, "Καλημέρα κόσμε", tags=["旅行"])
    post = await client.get("blog", "/posts/" + quote("ΚΑΛΗΜΈΡΑ-ΚΌΣΜΕ"))
    assert post.code == 301 and post.headers["Location"] == "/posts/kalimera-kosme"
    tag = await client.get("blog", "/tags/" + quote("旅行"))
    assert tag.code == 301 and tag.headers["Location"] == "/tags/lu-xing"
    assert (await client.get("blog", "/posts/" + quote("Нет-такого"))).code == 404


async def test_a_tag_of_site_a_does_not_exist_on_site_b(world, client):
    alpha = await world.site("alpha")
    await world.site("beta")
    owner = await world.member(alpha, "owner")
    await world.post(alpha, owner, "Trip", tags=["Путешествия"])
    assert (await client.get("alpha", "/tags/puteshestviya")).code == 200
    assert (await client.get("beta", "/tags/puteshestviya")).code == 404
    assert (await client.get("beta", "/tags/" + quote("Путешествия"))).code == 404


async def test_authors_with_names_in_any_script(world, client):
    store = await world.site("blog")
    owner = await world.member(store, "owner", username="ivan", name="Иван Петров")
    await world.post(store, owner, "Привет мир")
    page = await client.get("blog", "/authors/ivan")
    assert page.code == 200 and "Иван Петров".encode() in page.body
    typed = await client.get("blog", "/authors/" + quote("Иван"))
    assert typed.code == 301 and typed.headers["Location"] == "/authors/ivan"
    session = await signed_in(client, "blog", owner)
    account = await session.get("/admin/account")
    assert account.code == 200


async def test_a_username_in_another_script_is_refused_with_an_ascii_suggestion(world, client):
    store = await world.site("blog")
    owner = await world.member(store, "owner", username="ivan")
    with pytest.raises(Exception, match="for example 'mariya'"):
        await world.users.update_profile(owner["_id"], name="Мария", username="Мария", bio="")
    assert (await world.users.by_id(owner["_id"]))["username"] == "ivan"
    made = await world.users.create("мария@example.com", "correct horse battery")
    assert made["username"] == "mariya"


async def test_bad_percent_encoding_is_a_clear_400(world, client):
    store = await world.site("blog")
    owner = await world.member(store, "owner")
    await world.post(store, owner, "Trip", tags=["Путешествия"])
    response = await client.get("blog", "/tags/%FF%FE")
    assert response.code == 400 and b"500" not in response.body


async def test_feeds_and_sitemap_carry_ascii_addresses_of_unicode_posts(world, client):
    store = await world.site("blog")
    owner = await world.member(store, "owner")
    await world.post(store, owner, "Привет мир", tags=["Путешествия"])
    sitemap = (await client.get("blog", "/sitemap-posts-1.xml")).body.decode()
    assert "/posts/privet-mir</loc>" in sitemap
    feed = (await client.get("blog", "/feed.xml")).body.decode()
    assert "/posts/privet-mir" in feed and "Привет мир" in feed


# A site's language is one the themes speak (cms.i18n): "he-IL" is stored as "he".
@pytest.mark.parametrize(("language", "stored", "direction"),
                         [("ar", "ar", "rtl"), ("he-IL", "he", "rtl"), ("en", "en", "ltr")])
@pytest.mark.parametrize("theme", ["journal", "magazine", "dusk"])
async def test_right_to_left_languages_set_dir_on_html(world, client, language, stored, direction, theme):
    store = await world.site("blog", language=language, theme=theme)
    owner = await world.member(store, "owner")
    await world.post(store, owner, "Привет мир")
    for path in ("/", "/posts/privet-mir", "/nowhere"):
        body = (await client.get("blog", path)).body.decode()
        assert '<html lang="%s" dir="%s">' % (stored, direction) in body, path


async def test_a_title_with_no_letters_gets_a_short_id_slug_not_untitled(world, client):
    store = await world.site("blog")
    owner = await world.member(store, "owner")
    first, second = [await world.post(store, owner, title) for title in ("!!!", "…")]
    assert re.fullmatch(r"post-[0-9a-f]{8}", first["slug"]) and re.fullmatch(r"post-[0-9a-f]{8}", second["slug"])
    assert first["slug"] != second["slug"]
    assert (await client.get("blog", "/posts/" + second["slug"])).code == 200


async def test_the_live_preview_says_why_a_tag_is_refused_and_keeps_answering(world, client):
    store = await world.site("blog")
    owner = await world.member(store, "owner")
    session = await signed_in(client, "blog", owner)
    socket = await websocket_connect(ws_request(client, session))
    try:
        async def preview(tags: str) -> dict:
            socket.write_message(json.dumps({"seq": 1, "title": "Trip", "markdown": "x", "tags": tags}))
            return json.loads(await asyncio.wait_for(socket.read_message(), 20))  # no answer at all: a failure

        refused = await preview("Путешествия, !!!")
        assert "the tag '!!!' has no letter" in refused["error"]
        shown = await preview("Путешествия, 旅行")
        assert "error" not in shown and 'href="/tags/lu-xing"' in shown["html"]
    finally:
        socket.close()
