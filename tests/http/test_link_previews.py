"""Issue 15.8: what a shared link shows -- Open Graph article tags, a sized share image
with its alt text, and an image for every post (its featured image, else a card)."""

from __future__ import annotations

import html.parser
import io

from PIL import Image

from cms.images.process import process
from tests import images


class Meta(html.parser.HTMLParser):
    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.properties: list[tuple[str, str]] = []
        self.feed(body.decode())

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("property") or attrs.get("name")):
            self.properties.append((attrs.get("property") or attrs.get("name"), attrs.get("content", "")))

    def all(self, name):
        return [value for key, value in self.properties if key == name]

    def one(self, name):
        values = self.all(name)
        assert len(values) == 1, (name, values)
        return values[0]


async def test_a_post_has_article_tags_and_a_sized_image_with_alt(world, client):
    store = await world.site("blog", title="The Blog")
    ada = await world.member(store, "owner", name="Ada", username="ada")
    cover, _ = await store.media.add(process(images.jpeg(800, 600)), "cover.jpg", ada["_id"])
    post = await world.post(store, ada, "Pictured", tags=["News", "Python"],
                            featured_image={"url": cover["files"][0]["url"], "alt": "An orange field"})
    meta = Meta((await client.get("blog", "/posts/pictured")).body)
    root = "http://blog.localhost:%d" % client.port
    assert meta.one("og:type") == "article"
    assert meta.one("article:published_time").startswith(post["published_at"].strftime("%Y-%m-%dT%H:%M"))
    assert meta.one("article:modified_time").endswith("Z")
    assert meta.one("article:author") == root + "/authors/ada"
    assert meta.all("article:tag") == ["News", "Python"]
    assert meta.one("og:image").startswith(root + "/media/")
    assert (meta.one("og:image:width"), meta.one("og:image:height")) == ("800", "600")
    assert meta.one("og:image:alt") == "An orange field"
    assert meta.one("twitter:image:alt") == "An orange field"


async def test_a_post_without_an_image_gets_a_card_in_the_sites_colours(world, client):
    store = await world.site("blog", title="The Blog")
    ada = await world.member(store, "owner", name="Ada", username="ada")
    await world.sites.update_theme(store.site_id, "journal", {"accent_color": "#ff0000"})
    await world.post(store, ada, "A title worth sharing")
    meta = Meta((await client.get("blog", "/posts/a-title-worth-sharing")).body)
    root = "http://blog.localhost:%d" % client.port
    card_url = meta.one("og:image")
    assert card_url.startswith(root + "/cards/")
    assert (meta.one("og:image:width"), meta.one("og:image:height")) == ("1200", "630")
    assert meta.one("og:image:alt") == "A title worth sharing"
    card = await client.get("blog", card_url[len(root):])
    assert card.code == 200 and card.headers["Content-Type"] == "image/png"
    assert "max-age" in card.headers["Cache-Control"]
    image = Image.open(io.BytesIO(card.body)).convert("RGB")
    assert image.size == (1200, 630)
    colours = {colour for _, colour in image.getcolors(1200 * 630)}
    assert (255, 0, 0) in colours  # the accent colour
    assert len(colours) > 2  # and text drawn on it


async def test_cards_of_drafts_and_other_sites_are_not_found(world, client):
    one = await world.site("one")
    ada = await world.member(one, "owner")
    draft = await world.post(one, ada, "Secret", status="draft")
    shown = await world.post(one, ada, "Shown")
    await world.site("two")
    assert (await client.get("one", "/cards/%s-%d.png" % (draft["_id"], draft["version"]))).code == 404
    assert (await client.get("two", "/cards/%s-%d.png" % (shown["_id"], shown["version"]))).code == 404
    assert (await client.get("one", "/cards/%s-%d.png" % (shown["_id"], shown["version"]))).code == 200
    stale = await client.get("one", "/cards/%s-%d.png" % (shown["_id"], 99))
    assert stale.code == 302 and stale.headers["Location"] == "/cards/%s-%d.png" % (shown["_id"], shown["version"])


async def test_other_pages_share_the_sites_logo(world, client):
    store = await world.site("blog", title="The Blog")
    ada = await world.member(store, "owner", name="Ada", username="ada")
    logo, _ = await store.media.add(process(images.jpeg(300, 100)), "logo.jpg", ada["_id"])
    await world.sites.update_theme(store.site_id, "journal", {"logo": logo["files"][0]["url"]})
    await world.post(store, ada, "Post", tags=["news"])
    for path in ("/", "/tags/news", "/authors/ada"):
        meta = Meta((await client.get("blog", path)).body)
        assert meta.one("og:image").endswith(logo["files"][0]["url"]), path
        assert (meta.one("og:image:width"), meta.one("og:image:height")) == ("300", "100"), path
