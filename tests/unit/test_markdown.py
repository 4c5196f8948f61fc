"""Markdown rendering: the features authors use, and the HTML readers must never get."""

import pytest

from cms.config import REPO_ROOT
from cms.text.markdown import render, sanitize


def test_headings_get_anchors_and_a_table_of_contents():
    result = render("# Title\n\n## First part\n\ntext\n\n## Second part\n\nmore")
    assert '<h2 id="first-part">First part</h2>' in result.html
    assert 'href="#second-part"' in result.toc


def test_fenced_code_is_highlighted_with_css_classes_not_inline_styles():
    html = render("```python\ndef f():\n    return 1\n```").html
    assert '<div class="highlight">' in html
    assert '<span class="k">def</span>' in html
    assert "style=" not in html


def test_tables_keep_their_alignment():
    html = render("| a | b |\n|---|--:|\n| 1 | 2 |").html
    assert "<table>" in html and '<td align="right">2</td>' in html


def test_footnotes_link_both_ways():
    html = render("A claim.[^1]\n\n[^1]: The source.").html
    assert 'href="#fn:1"' in html and 'id="fn:1"' in html and 'href="#fnref:1"' in html


@pytest.mark.parametrize(
    "source, forbidden",
    [
        ("<script>alert(1)</script>", "<script"),
        ("<script>alert(1)</script>", "alert(1)"),
        ('<img src="x.png" onerror="alert(1)">', "onerror"),
        ('<a href="javascript:alert(1)">x</a>', "javascript:"),
        ("[x](javascript:alert(1))", "javascript:"),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "data:"),
        ('<img src="data:image/png;base64,AAAA">', "data:"),
        ('<iframe src="https://example.com"></iframe>', "<iframe"),
        ('<span style="position:fixed">x</span>', "style="),
        ("<object data='x.swf'></object>", "<object"),
        ('<form action="/x"><input name="a"></form>', "<form"),
        ('<svg onload="alert(1)"></svg>', "onload"),
    ],
)
def test_dangerous_html_is_removed(source, forbidden):
    assert forbidden not in render(source).html.lower()


def test_safe_links_survive_with_noopener():
    html = render("[site](https://example.com/page)").html
    assert '<a href="https://example.com/page" rel="noopener noreferrer">site</a>' in html


def test_sanitize_keeps_allowed_markup():
    assert sanitize("<p><em>hi</em> <code>x</code></p>") == "<p><em>hi</em> <code>x</code></p>"


def test_excerpt_is_plain_text_and_short():
    source = "# Heading\n\n" + "**Bold** words <b>and</b> more & stuff. " * 30
    result = render(source)
    assert "<" not in result.excerpt and "**" not in result.excerpt
    assert result.excerpt.startswith("Bold words and more & stuff.")  # no heading run into it
    assert result.excerpt.endswith("\u2026")
    assert len(result.excerpt.split()) <= 41


def test_custom_excerpt_wins_and_is_plain_text():
    assert render("Body text", custom_excerpt="<b>Short</b> summary").excerpt == "Short summary"


def test_footnotes_stay_out_of_the_excerpt():
    assert "source" not in render("Claim.[^1]\n\n[^1]: The source.").excerpt


def test_reading_time_grows_with_length():
    assert render("word " * 100).reading_minutes == 1
    assert render("word " * 1000).reading_minutes == 5


# --- issue 9: the guard against quadratic inputs changes nothing in ordinary text ---

ORDINARY = '''# A tour [with brackets] in a title

Text with a [link](https://example.org/ "Its (title)"), an ![image](/media/a.png),
a [reference][ref], a [shortcut] and a [link with [nested] brackets](https://example.org/a_(b)).
A footnote.[^note] Some *emphasis*, **strong**, `code with [ and (` and <https://example.org/x>.
An <abbr title="x">abbr</abbr> tag, 3 < 4 and 5 > 2, a \\[literal bracket\\] and (parentheses).

[ref]: https://example.org/ref
[shortcut]: https://example.org/short
[^note]: The note, with a [link](https://example.org/).

- a list item with [a link](https://example.org/)
    - nested, with ``a `tick` span``

> a quote with [brackets] and (parens

    indented code: [[[ ((( <a <a

```python
fenced = "[[[" + "((( <a <a"
```

| a [x] | b |
|---|---|
| [y](https://example.org/) | (z |
'''


def test_the_guard_leaves_ordinary_markdown_as_it_is():
    from cms.text.guard import tame

    assert tame(ORDINARY) == ORDINARY
    for path in sorted((REPO_ROOT / "cms" / "seed_content").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        assert tame(text) == text, path.name
    html = render(ORDINARY).html
    assert '<a href="https://example.org/a_(b)" rel="noopener noreferrer">link with [nested] brackets</a>' in html
    assert "<code>code with [ and (</code>" in html and "[literal bracket]" in html


def unguarded(source: str) -> str:
    """What Python-Markdown itself makes of ``source``, without `tame`."""
    from cms.text.markdown import _markdown

    return sanitize(_markdown().convert(source))


@pytest.mark.parametrize("unit", ["[", "[a](", "![", "[a][", "[^", "<a ", "<http://", "[a](b) [", "[a] (("])
def test_unmatched_openers_render_as_markdown_renders_them(unit):
    """A short run shows what Markdown does; the guard's escapes give the same page."""
    source = unit * 40
    assert render(source).html == unguarded(source)


@pytest.mark.parametrize("source", ["[" * 8000, "[a](" * 5000, "![" * 10000])
def test_the_inputs_that_took_seconds_render_as_their_text(source):
    assert render(source).html == "<p>%s</p>" % source.replace("<", "&lt;")


def test_code_keeps_its_brackets_and_angles_verbatim():
    html = render("`[[[ <a` and\n\n```\n[[[ ((( <a <a\n```\n\n    [[[ <b <b\n").html
    assert "<code>[[[ &lt;a</code>" in html
    assert "[[[ ((( &lt;a &lt;a" in html and "[[[ &lt;b &lt;b" in html
    assert "\\" not in html


def test_a_paragraph_with_too_much_markup_is_refused_with_a_message():
    from cms.text.guard import TooMuchMarkup

    with pytest.raises(TooMuchMarkup, match="split it into shorter paragraphs"):
        render("*a* " * 10000)
    # The same marks in paragraphs of ordinary length render.
    html = render(("*a* " * 25 + "\n\n") * 400).html
    assert html.count("<em>a</em>") == 10000
    with pytest.raises(TooMuchMarkup, match="too much markup"):
        render(("*a* " * 25 + "\n\n") * 4100)


def test_brackets_nested_deeper_than_the_limit_render_as_markdown_renders_them():
    for source in ("[" * 40 + "]" * 40, "[a [b [c] d] e](f)", "[" * 20 + "]" * 20 + "(f)"):
        assert render(source).html == unguarded(source)


def test_lists_nested_past_the_limit_go_on_in_the_deepest_item():
    """Each level made Markdown parse the lines below it again: 400 levels took 5 s, 600 crashed."""
    deep = "".join("  " * level + "- item %d\n" % level for level in range(600))
    html = render(deep).html
    assert html.count("<ul>") == 17  # Markdown nests every 4 columns: 64 columns, and the top level
    assert all("item %d" % level in html for level in range(600))
    ordinary = "".join("    " * level + "- item %d\n" % level for level in range(6))
    assert render(ordinary).html == unguarded(ordinary)


# --- excerpts from paragraphs only (issue 14): what a list card and a meta description show


def test_excerpt_leaves_headings_out():
    result = render("Markdown keeps you writing.\n\n## Emphasis and links\n\nUse *italics* and **bold**.")
    assert result.excerpt == "Markdown keeps you writing. Use italics and bold."


def test_excerpt_leaves_code_blocks_and_table_cells_out():
    source = ("Fenced code is highlighted.\n\n```python\nimport asyncio\n\nasync def fetch_all():\n    pass\n```\n\n"
              "| Syntax | Renders as |\n|---|---|\n| `# Title` | a heading |\n\nA shell session reads well.")
    excerpt = render(source).excerpt
    assert excerpt == "Fenced code is highlighted. A shell session reads well."
    for leaked in ("import", "asyncio", "fetch_all", "Syntax", "Renders", "heading"):
        assert leaked not in excerpt


def test_excerpt_leaves_lists_out_when_there_are_paragraphs():
    source = "- first step\n- second step\n\nThe steps above are all.\n\n1. one\n2. two"
    assert render(source).excerpt == "The steps above are all."


def test_a_post_of_only_a_list_gets_its_items_as_sentences():
    result = render("## Plan\n\n- Install Python\n- Run the *app*\n    - Nested detail\n- Done!")
    assert result.excerpt == "Install Python. Run the app. Nested detail. Done!"


def test_a_post_of_only_headings_and_code_has_an_empty_excerpt_not_code():
    assert render("## Title\n\n```\nx = 1\n```").excerpt == ""


def test_excerpt_of_the_demo_posts_reads_as_sentences():
    from cms.config import REPO_ROOT

    for name, leaked in [("02-markdown-tour.md", "Emphasis and links"), ("03-code-highlighting.md", "import asyncio")]:
        source = (REPO_ROOT / "cms" / "seed_content" / name).read_text().split("\n\n", 1)[1]
        excerpt = render(source).excerpt
        assert excerpt and leaked not in excerpt, excerpt


def test_code_blocks_take_keyboard_focus_and_authors_cannot_set_tabindex():
    html = render("```python\nimport asyncio\n```\n\n    indented = True\n\n<pre tabindex=\"7\">raw</pre>\n").html
    assert html.count("<pre") == 3
    assert html.count('<pre tabindex="0"') == 3
    assert 'tabindex="7"' not in html
