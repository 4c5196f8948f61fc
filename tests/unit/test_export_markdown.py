"""Posts as Markdown files with YAML front matter, laid out for Hugo (Jekyll and Eleventy alike)."""

from __future__ import annotations

import datetime as dt
import zipfile

import yaml

from cms.export import write_format
from tests.export_site import MEDIA_URL, rich_site


def read_markdown(text: str) -> tuple[dict, str]:
    assert text.startswith("---\n")
    matter, body = text[4:].split("\n---\n\n", 1)
    return yaml.safe_load(matter), body


async def test_every_post_and_page_is_a_markdown_file_a_static_site_generator_reads(world, db, tmp_path):
    rich = await rich_site(world, tmp_path)
    store = rich["store"]
    await world.post(store, rich["author"], 'Quotes: "yes", colons: and # hashes', "Body\n---\nnot front matter",
                     tags=["a: b", "- dash"])
    path = tmp_path / "site.zip"
    counts = await write_format(store, "markdown", path)
    assert counts["posts"] == 5
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        files = {name: archive.read(name).decode() for name in names if name.endswith(".md")}
    assert set(files) == {"content/posts/harbour-notes.md", "content/posts/half-written.md",
                          "content/posts/next-week.md", "content/about.md",
                          "content/posts/quotes-yes-colons-and-hashes.md"}

    matter, body = read_markdown(files["content/posts/harbour-notes.md"])
    harbour = await store.posts.get_visible("post", "harbour-notes")
    assert body == harbour["markdown"] + "\n"
    assert matter["title"] == "Harbour notes, revised" and matter["slug"] == "harbour-notes"
    assert dt.datetime.fromisoformat(matter["date"]) == dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.timezone.utc)
    assert matter["draft"] is False and matter["tags"] == ["Travel", "Sea"] and matter["author"] == "Au Thor"
    assert matter["excerpt"] == "A morning at the harbour."
    assert matter["featured_image"] == harbour["featured_image"]["url"]
    assert matter["featured_image_alt"] == "The harbour" and matter["featured_image_caption"] == "At dawn"

    assert read_markdown(files["content/posts/half-written.md"])[0]["draft"] is True
    scheduled = read_markdown(files["content/posts/next-week.md"])[0]
    assert scheduled["draft"] is False and dt.datetime.fromisoformat(scheduled["date"]) > dt.datetime.now(dt.timezone.utc)
    assert read_markdown(files["content/about.md"])[0]["title"] == "About us"
    odd, odd_body = read_markdown(files["content/posts/quotes-yes-colons-and-hashes.md"])
    assert odd["title"] == 'Quotes: "yes", colons: and # hashes' and odd["tags"] == ["a: b", "- dash"]
    assert odd_body == "Body\n---\nnot front matter\n"

    # Every image the Markdown shows is in the zip where a generator serves it (static/ is the site root).
    shown = set(MEDIA_URL.findall(harbour["markdown"])) | {matter["featured_image"]}
    assert shown and all("static" + url in names for url in shown)


async def test_the_markdown_zip_holds_nothing_of_another_site(world, db, tmp_path):
    rich = await rich_site(world, tmp_path)
    other = await world.site("other")
    stranger = await world.member(other, "owner", email="stranger@example.com", name="MARKER-x91")
    await world.post(other, stranger, "MARKER-TITLE-x91", "MARKER-BODY-x91")
    path = tmp_path / "site.zip"
    await write_format(rich["store"], "markdown", path)
    with zipfile.ZipFile(path) as archive:
        everything = b"".join(archive.read(n) + n.encode() for n in archive.namelist())
    assert b"x91" not in everything and b"x91" not in path.read_bytes()
