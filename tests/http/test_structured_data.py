"""Issue 15.9: the JSON-LD of every reader page type, checked against schema.org's
vocabulary (tests/fixtures/schema_org_vocabulary.json says where it comes from)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cms.images.process import process
from tests import images

VOCABULARY = json.loads((Path(__file__).parents[1] / "fixtures" / "schema_org_vocabulary.json").read_text())["types"]


def allowed(type_name: str) -> set[str]:
    found = set(VOCABULARY[type_name]["properties"])
    for parent in VOCABULARY[type_name]["parents"]:
        found |= allowed(parent)
    return found


def nodes(value):
    """Every typed node of a JSON-LD document, nested ones included."""
    if isinstance(value, dict):
        if "@type" in value:
            yield value
        for child in value.values():
            yield from nodes(child)
    elif isinstance(value, list):
        for child in value:
            yield from nodes(child)


def json_ld(body: bytes) -> dict:
    blocks = re.findall(rb'<script type="application/ld\+json">(.*?)</script>', body, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def check_vocabulary(document: dict) -> list[dict]:
    assert document["@context"] == "https://schema.org"
    found = list(nodes(document))
    for node in found:
        assert node["@type"] in VOCABULARY, node["@type"]
        # "query-input": the Actions shorthand for the input of "query" (see the fixture).
        keys = {key.removesuffix("-input") for key in node if not key.startswith("@")}
        unknown = keys - allowed(node["@type"])
        assert not unknown, (node["@type"], unknown)
    return found


def by_type(found: list[dict], type_name: str) -> list[dict]:
    return [node for node in found if node["@type"] == type_name]


async def site(world, logo=True):
    store = await world.site("blog", title="The Blog", tagline="Notes on things")
    ada = await world.member(store, "owner", name="Ada", username="ada", bio="Writes.")
    if logo:
        item, _ = await store.media.add(process(images.jpeg(400, 200)), "logo.jpg", ada["_id"])
        await world.sites.update_theme(store.site_id, "journal", {"logo": item["files"][0]["url"]})
    cover, _ = await store.media.add(process(images.jpeg(800, 600, "blue")), "cover.jpg", ada["_id"])
    await world.post(store, ada, "Pictured", tags=["News"], featured_image={"url": cover["files"][0]["url"],
                                                                           "alt": "A blue field"})
    await world.post(store, ada, "About", type="page", markdown="About us.")
    return store


async def test_every_page_type_uses_its_own_type_and_only_schema_org_terms(world, client):
    await site(world)
    root = "http://blog.localhost:%d" % client.port
    expected = {"/": "WebSite", "/posts/pictured": "BlogPosting", "/about": "WebPage", "/tags/news": "CollectionPage",
                "/authors/ada": "ProfilePage", "/search?q=pictured": "SearchResultsPage"}
    for path, main_type in expected.items():
        answer = await client.get("blog", path)
        assert answer.code == 200, path
        found = check_vocabulary(json_ld(answer.body))
        main = found[0]
        assert main["@type"] == main_type, path
        assert main["url"] == root + path.split("?")[0], path
        if path != "/":
            crumbs = by_type(found, "BreadcrumbList")
            assert len(crumbs) == 1, path
            items = crumbs[0]["itemListElement"]
            assert [i["position"] for i in items] == list(range(1, len(items) + 1))
            assert items[0]["item"] == root + "/" and items[-1]["item"] == root + path.split("?")[0]
        assert "The Blog" in json.dumps(main) or main_type == "WebSite"


async def test_a_post_has_sized_images_and_a_publisher_logo(world, client):
    await site(world)
    found = check_vocabulary(json_ld((await client.get("blog", "/posts/pictured")).body))
    post = found[0]
    assert post["headline"] == "Pictured" and post["author"]["name"] == "Ada"
    assert post["datePublished"].endswith("Z") and post["dateModified"].endswith("Z")
    image = post["image"]
    assert image["@type"] == "ImageObject" and image["url"].startswith("http://blog.localhost")
    assert image["width"] == 800 and image["height"] == 600 and image["caption"] == "A blue field"
    logo = post["publisher"]["logo"]
    assert post["publisher"]["@type"] == "Organization" and post["publisher"]["name"] == "The Blog"
    assert logo["@type"] == "ImageObject" and (logo["width"], logo["height"]) == (400, 200)


async def test_pages_tags_and_authors_no_longer_claim_to_be_the_website(world, client):
    await site(world, logo=False)
    for path in ("/about", "/tags/news", "/authors/ada"):
        found = check_vocabulary(json_ld((await client.get("blog", path)).body))
        assert found[0]["@type"] != "WebSite"
        assert "logo" not in json.dumps(found)  # no logo set: none claimed
    profile = json_ld((await client.get("blog", "/authors/ada")).body)
    main = next(nodes(profile))
    assert main["mainEntity"]["@type"] == "Person" and main["mainEntity"]["name"] == "Ada"
