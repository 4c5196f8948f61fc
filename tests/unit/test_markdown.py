"""Markdown rendering: the features authors use, and the HTML readers must never get."""

import pytest

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
    assert result.excerpt.startswith("Heading Bold words and more & stuff.")
    assert result.excerpt.endswith("\u2026")
    assert len(result.excerpt.split()) <= 41


def test_custom_excerpt_wins_and_is_plain_text():
    assert render("Body text", custom_excerpt="<b>Short</b> summary").excerpt == "Short summary"


def test_footnotes_stay_out_of_the_excerpt():
    assert "source" not in render("Claim.[^1]\n\n[^1]: The source.").excerpt


def test_reading_time_grows_with_length():
    assert render("word " * 100).reading_minutes == 1
    assert render("word " * 1000).reading_minutes == 5
