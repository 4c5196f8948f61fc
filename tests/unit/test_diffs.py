"""Word-level diffs of a post's text (History and the conflict view)."""

from __future__ import annotations

import re

from cms.text.diffs import diff_html


def changed(html: str) -> tuple[list[str], list[str]]:
    """What the diff marks removed and added, as a reader of the page sees it."""
    return re.findall(r"<del>(.*?)</del>", html, re.S), re.findall(r"<ins>(.*?)</ins>", html, re.S)


def test_a_one_word_change_marks_that_word_only():
    old = "The quick brown fox jumps over the lazy dog, twice a day."
    new = "The quick red fox jumps over the lazy dog, twice a day."
    html = diff_html(old, new)
    assert changed(html) == (["brown"], ["red"])
    assert "The quick " in html and " fox jumps over the lazy dog, twice a day." in html


def test_no_hunk_markers_or_plus_minus_signs():
    old = "\n".join("line %d" % n for n in range(40))
    new = old.replace("line 5", "line five").replace("line 30", "line thirty")
    html = diff_html(old, new)
    assert "@@" not in html and "diff-mark" not in html
    assert changed(html) == (["5", "30"], ["five", "thirty"])
    # the long unchanged run between the changes is summed up, not printed
    assert "line 17" not in html and re.search(r"\d+ unchanged lines", html)


def test_added_and_removed_paragraphs_are_whole():
    html = diff_html("First.\n\nSecond.", "First.\n\nSecond.\n\nThird, new.")
    assert changed(html) == ([], ["\nThird, new."]) or changed(html) == ([], ["Third, new."])
    html = diff_html("First.\n\nGone now.\n\nLast.", "First.\n\nLast.")
    assert "Gone now." in "".join(changed(html)[0]) and changed(html)[1] == []


def test_text_is_escaped():
    html = diff_html("<b>x</b>", "<b>y</b> & <script>")
    assert "<b>" not in html and "<script>" not in html and "&lt;script&gt;" in html


def test_unchanged_text_says_so():
    assert "No differences." in diff_html("same", "same")


def test_merge_blocks_pair_the_paragraphs_that_differ_and_keep_the_rest_once():
    from cms.text.diffs import merge_blocks

    theirs = "Intro by them.\n\nShared middle.\n\nEnding.\n\nTheir new last words."
    mine = "Intro.\n\nShared middle.\n\nEnding, mine.\r\n"
    blocks = merge_blocks(theirs, mine)
    assert blocks == [
        {"theirs": "Intro by them.", "mine": "Intro.", "choice": "mine"},
        {"same": "Shared middle."},
        {"theirs": "Ending.\n\nTheir new last words.", "mine": "Ending, mine.", "choice": "mine"},
    ]
    only_theirs = merge_blocks("A.\n\nB.", "A.")
    assert only_theirs == [{"same": "A."}, {"theirs": "B.", "mine": "", "choice": "theirs"}]
    assert merge_blocks("", "") == []
