"""Reading Ghost exports (cms/importers/ghost.py): html first, lexical or mobiledoc where html is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cms.importers import ImportFailed
from cms.importers.ghost import Ghost
from cms.text.markdown import render

FIXTURES = Path(__file__).parent.parent / "fixtures" / "import"


def read(name: str) -> tuple[Ghost, dict]:
    source = Ghost(FIXTURES / name)
    source.prepare()
    return source, {entry.slug: entry for entry in source.entries()}


def test_people_and_posts_of_a_ghost_5_export():
    source, entries = read("ghost-5.json")
    assert [(a.key, a.email) for a in source.authors] == [("1", "ana@harbour.example"),
                                                         ("6650a1f2c3b4a50001a1d002", "rui@harbour.example")]
    assert source.total == 6
    welcome = entries["welcome"]
    assert (welcome.kind, welcome.status, welcome.author) == ("post", "published", "1")
    assert welcome.tags == ["Harbour", "Tides Times"]  # the internal #import-2024 is dropped
    assert any("internal tags dropped: #import-2024" in w for w in welcome.warnings)
    assert (welcome.featured.url, welcome.featured.alt, welcome.featured.caption) == (
        "__GHOST_URL__/content/images/2024/05/harbour.jpg", "Boats at low tide", "Photo: Ana")
    assert welcome.custom_excerpt == "Where it all starts." and welcome.sticky
    assert welcome.old_paths == ["/welcome/"]
    assert any("meta title" in w for w in welcome.warnings)
    assert entries["about"].kind == "page"


def test_html_is_the_source_when_there_is_one():
    _, entries = read("ghost-5.json")
    markdown = entries["welcome"].markdown
    assert markdown.startswith("Tide tables and **coffee**.")
    assert "<figcaption><span>Low tide</span></figcaption>" in markdown  # style attribute gone
    assert "- ![Nets](__GHOST_URL__/content/images/2024/05/net.png)" in markdown  # gallery: a list of images
    assert "[Tides today](https://tides.example/today)" in markdown  # bookmark card: a link
    assert "track()" not in markdown and "```python\nprint(\"hi\")\n```" in markdown
    assert "https://tides.example/thumb.jpg" not in entries["welcome"].images


def test_statuses_scheduled_members_only_and_newsletters():
    _, entries = read("ghost-5.json")
    assert entries["next-weeks-sail"].status == "published" and entries["next-weeks-sail"].published_at.year == 2037
    assert entries["next-weeks-sail"].custom_excerpt == "Sailing next week"  # from its meta description
    assert entries["members-logbook"].status == "draft"
    assert any("members only" in w for w in entries["members-logbook"].warnings)
    assert entries["may-newsletter"].status == "draft"
    assert entries["only-lexical"].status == "draft" and entries["only-lexical"].published_at is None


def test_lexical_is_converted_when_html_is_missing():
    _, entries = read("ghost-5.json")
    entry = entries["only-lexical"]
    assert entry.markdown == ("## Notes\n\nA [link](https://example.org/) and `code`\n\n"
                              "| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nx = 1\ny = 2\n```\n")
    assert any("callout" in w for w in entry.warnings)
    assert "<table>" in render(entry.markdown).html


def test_mobiledoc_only_export():
    source, entries = read("ghost-4-mobiledoc.json")
    entry = entries["from-the-old-blog"]
    markdown = entry.markdown
    assert markdown.startswith("Old post from [Ghost](https://ghost.org) 4 with **bold** and  \n*a soft return*")
    assert '<figure><img alt="The dock" src="__GHOST_URL__/content/images/2021/03/dock.jpg">' \
           "<figcaption>Morning <em>fog</em></figcaption></figure>" in markdown
    assert "Some **markdown** card\n\n1. one\n2. two" in markdown  # a Markdown card, verbatim
    assert '<td colspan="2">Merged</td>' in markdown and "```bash\nls -la\n```" in markdown
    assert "<https://twitter.com/ghost/status/1>" in markdown
    assert any("paywall" in w for w in entry.warnings)
    broken = entries["broken-doc"]
    assert broken.markdown == "" and any("could not be read" in w for w in broken.warnings)


@pytest.mark.parametrize("content, message", [
    (b"<?xml version='1.0'?><rss/>", "not JSON"),
    (b'{"db": [{"meta": {}, "data": {"users": []}}]}', "not a Ghost export"),
    (b'[1, 2, 3]', "not a Ghost export"),
    (b'{"db": [{"meta": {"version": "0.11.14"}, "data": {"posts": []}}]}', "not supported"),
    (json.dumps({"db": [{"data": {"posts": []}}]}).encode()[:-5], "not JSON"),
])
def test_wrong_files_say_what_they_are_not(tmp_path, content, message):
    path = tmp_path / "export.json"
    path.write_bytes(content)
    with pytest.raises(ImportFailed, match=message):
        Ghost(path).prepare()
