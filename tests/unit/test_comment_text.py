"""The comments' Markdown subset (cms/text/comments.py): emphasis, links that search
engines do not follow, code; everything else is plain text, nothing scripted survives."""

from __future__ import annotations

import pytest

from cms.text.comments import MAX_LENGTH, CommentTextError, render


def test_emphasis_code_and_links_render_with_nofollow_ugc():
    html = render("I *really* like `x = 1` and **this**: [the docs](https://example.org/docs)")
    assert "<em>really</em>" in html and "<strong>this</strong>" in html and "<code>x = 1</code>" in html
    assert '<a href="https://example.org/docs" rel="nofollow ugc noopener noreferrer">the docs</a>' in html


def test_a_fenced_code_block_stays_code():
    html = render("Try:\n\n```\n<b>not bold</b>\n```")
    assert "<pre><code>" in html and "&lt;b&gt;not bold&lt;/b&gt;" in html


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>hello",
    "[click](javascript:alert(1))",
    '<img src=x onerror="alert(1)">',
    "<a href='https://x.org' onclick='alert(1)'>x</a>",
    "[x](data:text/html,<script>alert(1)</script>)",
    '<iframe src="https://evil.example"></iframe>',
])
def test_nothing_scripted_survives(text):
    html = render(text)
    for bad in ("<script", "javascript:", "onerror", "onclick", "<img", "<iframe", "data:"):
        assert bad not in html.lower(), html


def test_headings_images_and_tables_are_not_part_of_the_subset():
    html = render("# Big\n\n![a](https://x.org/a.png)\n\n| a |\n|---|\n| b |")
    assert "<h1" not in html and "<img" not in html and "<table" not in html
    assert "Big" in html


def test_empty_and_oversized_text_is_refused_with_a_message():
    with pytest.raises(CommentTextError, match="empty"):
        render("   \n ")
    with pytest.raises(CommentTextError, match="%d" % MAX_LENGTH):
        render("a" * (MAX_LENGTH + 1))
