"""Word-level diffs of a post's text, for History and the conflict view.

A Markdown paragraph is one line, so a line diff marks a whole paragraph for a
one-word change. Here lines are matched first (cheap, and it keeps moved
paragraphs apart), then the words of each changed run of lines, so only the
words that differ are marked: ``<del>`` for what went, ``<ins>`` for what
came. Long unchanged runs are summed up ("12 unchanged lines") instead of
unified-diff ``@@`` markers. difflib does this well enough; no library is
needed for it.
"""

from __future__ import annotations

import difflib
import html
import re

# Words, runs of white space, and each other character alone: "don't" is three
# tokens, so punctuation changes are marked without the word around them.
TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
CONTEXT = 2  # unchanged lines shown around a change
# Word-diffing two huge changed runs is quadratic; past this, show them whole.
MAX_TOKEN_PAIRS = 4_000_000
# Below this likeness two runs are a rewrite: marking the few shared words
# ("the", commas) would only make both unreadable.
REWRITE = 0.3


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _row(kind: str, inner: str) -> str:
    return '<div class="diff-%s">%s</div>' % (kind, inner or "&nbsp;")


def words_html(old: str, new: str) -> str:
    """``old`` changed into ``new`` as one run of text, changed words in ``<del>``/``<ins>``."""
    a, b = TOKEN.findall(old), TOKEN.findall(new)
    whole = "%s%s" % ("<del>%s</del>" % _escape(old) if old else "", "<ins>%s</ins>" % _escape(new) if new else "")
    if not a or not b or len(a) * len(b) > MAX_TOKEN_PAIRS:
        return whole
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < REWRITE:
        return whole
    parts = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            parts.append(_escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append("<del>%s</del>" % _escape("".join(a[i1:i2])))
        if j2 > j1:
            parts.append("<ins>%s</ins>" % _escape("".join(b[j1:j2])))
    return "".join(parts)


def diff_html(old: str, new: str, context: int = CONTEXT) -> str:
    """The changes from ``old`` to ``new`` as escaped HTML rows for the admin's diff views."""
    a, b = old.splitlines(), new.splitlines()
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    if all(tag == "equal" for tag, *_ in opcodes):
        return _row("ctx", "No differences.")
    rows = []
    for n, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag != "equal":
            rows.append(_row("change", words_html("\n".join(a[i1:i2]), "\n".join(b[j1:j2]))))
            continue
        lines = a[i1:i2]
        head = lines[:context] if n > 0 else []
        tail = lines[-context:] if n < len(opcodes) - 1 else []
        skipped = len(lines) - len(head) - len(tail)
        if skipped <= 1:  # a "1 unchanged line" note is no shorter than the line
            head, tail, skipped = lines, [], 0
        rows.extend(_row("ctx", _escape(line)) for line in head)
        if skipped:
            rows.append(_row("skip", "⋯ %d unchanged line%s" % (skipped, "" if skipped == 1 else "s")))
        rows.extend(_row("ctx", _escape(line)) for line in tail)
    return "\n".join(rows)


PARAGRAPH_BREAK = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


def paragraphs(text: str) -> list[str]:
    """Markdown's blocks: the text between blank lines (newlines as a textarea has them)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    return [part.strip("\n") for part in PARAGRAPH_BREAK.split(text)] if text.strip() else []


def merge_blocks(theirs: str, mine: str) -> list[dict[str, str]]:
    """Two versions paragraph by paragraph, for the conflict view's per-paragraph choice.

    A run both share is ``{"same": text}``; a run where they differ is
    ``{"theirs", "mine", "choice"}``, the choice made in advance being mine
    (the editor holds it), or theirs where mine has nothing there. Joined with a
    blank line between blocks, the chosen texts are the merged post.
    """
    a, b = paragraphs(theirs), paragraphs(mine)
    blocks: list[dict[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            blocks.append({"same": "\n\n".join(a[i1:i2])})
            continue
        block = {"theirs": "\n\n".join(a[i1:i2]), "mine": "\n\n".join(b[j1:j2])}
        block["choice"] = "mine" if block["mine"] else "theirs"
        blocks.append(block)
    return blocks
