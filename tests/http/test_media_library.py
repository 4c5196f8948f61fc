"""The media library as the editor and the settings use it (issue 16, point 14).

What the library counts (uploads, not their renditions), the alt text asked at
upload (never made from the file name), the picker's JSON listing, and the
logo and featured image, which must name an existing file of the site's own
library (or an https address elsewhere).
"""

from __future__ import annotations

import html
import json
import re

import pytest

from cms.store import Sites
from tests import images
from tests.admin_session import form, signed_in

MISSING = "/media/%s/%s.png" % ("a" * 24, "b" * 32)


@pytest.fixture
async def alpha(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    return store, owner, await signed_in(client, "alpha", owner)


async def uploaded(session, name: str, data: bytes, alt: str | None = None) -> dict:
    body, content_type = images.multipart([(name, data, "image/" + name.rsplit(".", 1)[-1].replace("jpg", "jpeg"))],
                                          **({"alt": alt} if alt is not None else {}))
    response = await session.fetch("/admin/media", "POST", body=body, headers={
        "Content-Type": content_type, "X-XSRFToken": session.xsrf, "Accept": "application/json"})
    assert response.code in (200, 201), response.body  # 200: the same file again, one item
    return json.loads(response.body)["items"][0]


def usage_line(body: bytes) -> str:
    return re.search(r'id="media-usage">([^<]*)<', body.decode()).group(1)


async def test_the_library_counts_uploads_not_their_renditions(alpha, world, client):
    store, owner, session = alpha
    for number, colour in enumerate(("red", "green", "blue", "white")):  # each: 3 widths, in PNG and WebP
        await uploaded(session, "%s.png" % colour, images.png_transparent(700, 350 + number))
    beta = await world.site("beta")
    await uploaded(await signed_in(client, "beta", await world.member(beta, "owner")), "b.jpg", images.jpeg(50, 50))
    assert (await store.media.stored())["media_files"] > 4  # the renditions still count toward the quota
    line = usage_line((await session.get("/admin/media")).body)
    assert line.startswith("4 images, "), line
    assert usage_line((await session.get("/admin/media?q=red")).body).startswith("4 images, ")  # the library's, not the search's


async def test_one_upload_is_one_image(alpha):
    store, owner, session = alpha
    await uploaded(session, "one.jpg", images.jpeg(40, 40))
    assert usage_line((await session.get("/admin/media")).body).startswith("1 image, ")


async def test_alt_text_comes_from_the_upload_never_from_the_file_name(alpha):
    store, owner, session = alpha
    plain = await uploaded(session, "IMG_4021.jpg", images.jpeg(80, 60, "red"))
    assert plain["alt"] == "" and plain["markdown"] == "![](%s)" % plain["url"]
    assert (await store.media.get(plain["id"]))["alt"] == ""
    described = await uploaded(session, "IMG_4022.jpg", images.jpeg(80, 60, "blue"), alt="  A red [barn]\nat dusk ")
    assert described["alt"] == "A red [barn] at dusk"
    assert described["markdown"] == "![A red barn at dusk](%s)" % described["url"]  # brackets would end the alt
    assert (await store.media.get(described["id"]))["alt"] == "A red [barn] at dusk"


async def test_the_library_form_takes_alt_text_and_a_repeat_upload_only_fills_a_missing_one(alpha):
    store, owner, session = alpha
    body, content_type = images.multipart([("IMG_1.jpg", images.jpeg(70, 50, "red"), "image/jpeg")], alt="A red wall")
    page = await session.fetch("/admin/media?_xsrf=%s" % session.xsrf, "POST", body=body,
                               headers={"Content-Type": content_type})
    assert page.code == 201 and b"IMG_1.jpg" in page.body
    assert [i["alt"] for i in (await store.media.list()).items] == ["A red wall"]
    first = await uploaded(session, "IMG_2.jpg", images.jpeg(70, 50, "blue"))
    assert b"no alt text" in (await session.get("/admin/media")).body
    again = await uploaded(session, "IMG_2.jpg", images.jpeg(70, 50, "blue"), alt="A blue wall")
    assert again["id"] == first["id"] and again["alt"] == "A blue wall"
    third = await uploaded(session, "IMG_2.jpg", images.jpeg(70, 50, "blue"), alt="Something else")
    assert third["alt"] == "A blue wall"  # a repeat upload never rewrites a description


async def test_the_picker_lists_this_sites_images_as_json_with_search(alpha, world, client):
    store, owner, session = alpha
    barn = await uploaded(session, "barn.jpg", images.jpeg(80, 60, "red"), alt="A red barn")
    await uploaded(session, "sea.jpg", images.jpeg(80, 60, "blue"))
    beta = await world.site("beta")
    beta_session = await signed_in(client, "beta", await world.member(beta, "owner"))
    await uploaded(beta_session, "barn-of-beta.jpg", images.jpeg(80, 60, "green"))

    response = await session.get("/admin/media?q=BARN", headers={"Accept": "application/json"})
    assert response.code == 200 and response.headers["Content-Type"].startswith("application/json")
    answer = json.loads(response.body)
    assert [i["filename"] for i in answer["items"]] == ["barn.jpg"] and answer["total"] == 1
    item = answer["items"][0]
    assert item["url"] == barn["url"] and item["alt"] == "A red barn" and item["markdown"] == barn["markdown"]
    assert item["thumbnail"].startswith("/media/%s/" % barn["id"])
    everything = json.loads((await session.get("/admin/media", headers={"Accept": "application/json"})).body)
    assert sorted(i["filename"] for i in everything["items"]) == ["barn.jpg", "sea.jpg"]
    # Contributors do not use the library; a visitor is sent to sign in.
    contributor = await signed_in(client, "alpha", await world.member(store, "contributor"))
    assert (await contributor.get("/admin/media", headers={"Accept": "application/json"})).code == 403


def theme_form(logo: str) -> dict:
    return {"action": "settings", "setting.accent_color": "#112233", "setting.posts_per_page": "6",
            "setting.logo": logo}


async def test_a_logo_must_be_a_file_of_this_sites_library_or_an_https_address(alpha, world, client, db):
    store, owner, session = alpha
    mine = await uploaded(session, "logo.png", images.png_transparent(200, 100))
    beta = await world.site("beta")
    theirs = await uploaded(await signed_in(client, "beta", await world.member(beta, "owner")), "their.png",
                            images.png_transparent(120, 60))
    refused = {
        MISSING: "is not in this site's media library",
        theirs["url"]: "is not in this site's media library",
        "/media/not-a-file.png": "is not in this site's media library",
        "/about": "is not in this site's media library",
        "http://cdn.example.org/logo.png": "https://",
        "ftp://cdn.example.org/logo.png": "https://",
    }
    for logo, words in refused.items():
        response = await session.post("/admin/theme", theme_form(logo))
        message = html.unescape(re.search(r'class="alert error"[^>]*>([^<]*)<', response.body.decode()).group(1))
        assert response.code == 400 and words in message, (logo, message)
        assert not ((await Sites(db).by_name("alpha")).get("theme_settings") or {}).get("logo"), logo
    for logo in (mine["url"], "https://cdn.example.org/logo.png", ""):
        response = await session.post("/admin/theme", theme_form(logo))
        assert response.code == 303, (logo, response.body[-2000:])
        assert (await Sites(db).by_name("alpha"))["theme_settings"]["logo"] == logo


async def test_a_featured_image_must_be_an_existing_file_of_this_sites_library(alpha):
    store, owner, session = alpha
    response = await session.post("/admin/posts/new", form(title="Missing", markdown="x", featured_image=MISSING))
    assert response.code == 400 and "media library" in response.body.decode()
    assert not any((await store.posts.state_counts()).values())
