"""Defuse the Markdown constructs that cost Python-Markdown quadratic time.

Python-Markdown looks for the end of every ``[`` (a link or image text) by
scanning forward to its matching ``]``, and for the end of every ``](`` by
scanning to its matching ``)``; CPython's ``html.parser`` (which Markdown
runs over the whole text for raw HTML) scans forward from every ``<tag`` to
its ``>``. When there is no match, each scan runs to the end of the text, so
``"[" * 8000`` took 12 s, ``"[a](" * 5000`` 13 s and ``"![" * 10000`` 37 s
(issue 9).

`tame` finds those openers in one linear pass and escapes the ones that
cannot be matched, which is how Markdown shows them anyway: an unmatched
``[`` renders as ``[`` whether escaped or not; a ``(`` after ``]`` that no
``)`` closes is not a link either; a ``<`` with no ``>`` after it is text.
Brackets nested deeper than `MAX_NESTING` are escaped too (each level adds a
scan over the same text), and so are the markers of list items nested deeper
than `MAX_LIST_INDENT` (each level parses the lines below it again). Text
without such openers, which is every ordinary post, is returned unchanged. Code (fenced, indented, and inline
spans) is never touched, since an escape there would show.

Markdown's inline pass has a second cost: each construct it finds (an
escape, a link, an emphasis) rebuilds the text of its paragraph, so one
paragraph with m constructs in n characters costs about m * n. `MarkupLimit`
(a Markdown extension) refuses, with `TooMuchMarkup` and a message, a
paragraph past `MAX_MARKUP_COST` (tens of thousands of marks in one
paragraph, which no ordinary post has: split into paragraphs, the same text
renders), and a text with more than `MAX_CONSTRUCTS` marks in all.

What this leaves (a code span or an indented code block full of ``<a``,
quotes nested thousands deep) is bounded by the render pool's time
budget (`cms.render_pool`), and deep nesting ends in a clear RecursionError.
"""

from __future__ import annotations

import bisect
import re
import xml.etree.ElementTree as etree

import markdown
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

MAX_NESTING = 16
# Bytes Markdown's inline pass may copy for one paragraph (about 1 s): "[" * 8000
# or "![" * 10000 pass once escaped; 40 000 escapes in one paragraph do not.
MAX_MARKUP_COST = 2_000_000_000
# Constructs in the whole text: each costs the inline pass some 50 µs of Python,
# so 100 000 take seconds. An ordinary 500 KB post has a few tens of thousands.
MAX_CONSTRUCTS = 100_000
PLACEHOLDER = 14  # characters Markdown puts in the text for each construct it finds

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"\s*(?:[-*+]|\d+[.)])\s")
_DEEP_ITEM = re.compile(r"([ \t]*)([-*+]|\d+[.)])(?=\s)")
MAX_LIST_INDENT = 64  # columns: 16 levels of 4-space lists, 32 of 2-space ones
_BACKTICKS = re.compile(r"`+")
_SPECIAL = re.compile(r"\\.|[\[\]()]|<(?=[A-Za-z/!?])", re.S)


def tame(source: str) -> str:
    """``source`` with the unmatched openers escaped; unchanged when there are none."""
    last_gt = source.rfind(">")
    out: list[str] = []
    chunk: list[str] = []
    offset = 0  # of the chunk's first line in ``source``
    position = 0
    fence: str | None = None
    in_list = False

    def flush() -> None:
        nonlocal chunk
        if chunk:
            out.append(_tame_block("\n".join(chunk), offset, last_gt))
            chunk = []

    for line in source.split("\n"):
        start, position = position, position + len(line) + 1
        if fence is not None:  # inside fenced code: verbatim
            out.append(line)
            if line.strip().startswith(fence) and set(line.strip()) == {fence[0]}:
                fence = None
            continue
        opened = _FENCE.match(line)
        if opened:
            flush()
            fence = opened.group(1)
            out.append(line)
            continue
        if not line.strip():
            flush()
            out.append(line)
            continue
        indented = line.startswith(("    ", "\t"))
        if indented and not chunk and not in_list:  # an indented code block
            out.append(line)
            continue
        if not chunk:
            offset = start
            if not indented:
                in_list = bool(_LIST_ITEM.match(line))
        elif _LIST_ITEM.match(line):
            in_list = True
        chunk.append(_shallow(line) if in_list else line)
    flush()
    return "\n".join(out)


def _shallow(line: str) -> str:
    """A list item indented past `MAX_LIST_INDENT` loses its marker: it goes on the item above.

    Each level of nesting makes Markdown parse the deeper lines again (400
    levels took 5 s; 600 end in a RecursionError).
    """
    item = _DEEP_ITEM.match(line)
    if item is None or len(item.group(1).expandtabs(4)) <= MAX_LIST_INDENT:
        return line
    marker = item.group(2)
    escaped = marker[:-1] + "\\" + marker[-1] if marker[0].isdigit() else "\\" + marker
    return item.group(1) + escaped + line[item.end():]


def _code_spans(text: str) -> list[tuple[int, int]]:
    """Where the inline code spans of a block are: a run of backticks to the next run as long."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text)]
    by_length: dict[int, list[int]] = {}
    for index, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(index)
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(runs):
        start, end = runs[index]
        if start and text[start - 1] == "\\":
            index += 1
            continue
        same = by_length[end - start]
        following = bisect.bisect_right(same, index)
        if following < len(same):
            close = same[following]
            spans.append((start, runs[close][1]))
            index = close + 1
        else:
            index += 1
    return spans


def _tame_block(text: str, offset: int, last_gt: int) -> str:
    """Escape the unmatched openers of one block of text (see the module docstring)."""
    escapes: dict[int, str] = {}  # position -> what goes before (or replaces, for "<") it
    brackets: list[int] = []  # "[" still open
    pairs: list[tuple[int, int]] = []  # (position, +1 for a "[" or -1 for its "]"), matched ones only
    parens: list[int] = []
    link_parens: set[int] = set()  # "(" right after a "]": a link's destination
    closed_parens: set[int] = set()
    spans = _code_spans(text)
    span = 0
    for match in _SPECIAL.finditer(text):
        at = match.start()
        while span < len(spans) and spans[span][1] <= at:
            span += 1
        if span < len(spans) and spans[span][0] <= at:
            continue  # inside a code span
        char = match.group()
        if char == "[":
            brackets.append(at)
        elif char == "]":
            if brackets:
                pairs.append((brackets.pop(), at))
        elif char == "(":
            parens.append(at)
            if at and text[at - 1] == "]":
                link_parens.add(at)
        elif char == ")":
            if parens:
                closed_parens.add(parens.pop())
        elif char == "<" and offset + at > last_gt:
            escapes[at] = "&lt;"
    for at in brackets:  # never closed
        escapes[at] = "\\"
    for at in link_parens - closed_parens:
        escapes[at] = "\\"
    # Matched pairs nested too deep: both brackets (taking a pair out leaves the others matched).
    depth = 0
    for at, step in sorted([(o, 1) for o, _ in pairs] + [(c, -1) for _, c in pairs]):
        if step == 1:
            depth += 1
            if depth > MAX_NESTING:
                escapes[at] = "\\"
        else:
            if depth > MAX_NESTING:
                escapes[at] = "\\"
            depth -= 1
    if not escapes:
        return text
    pieces: list[str] = []
    previous = 0
    for at in sorted(escapes):
        pieces.append(text[previous:at])
        if escapes[at] == "&lt;":
            pieces.append("&lt;")
            previous = at + 1
        else:
            pieces.append(escapes[at])
            previous = at
    pieces.append(text[previous:])
    return "".join(pieces)


class TooMuchMarkup(ValueError):
    """A paragraph with more markup than Markdown can render in time; the message is for the author."""


def constructs(text: str) -> int:
    """About how many constructs Markdown's inline pass finds in ``text`` (each rebuilds it)."""
    return (
        text.count("\\") + text.count("[") - text.count("\\[") + text.count("](") + text.count("`") // 2
        + text.count("*") + text.count("_") + text.count("&") + text.count("<")
    )


class _MarkupLimitProcessor(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        total = 0
        for element in root.iter():
            for text in (element.text, element.tail):
                if not text or isinstance(text, AtomicString):
                    continue
                found = constructs(text)
                total += found
                if found * (len(text) + PLACEHOLDER * found) > MAX_MARKUP_COST:
                    raise TooMuchMarkup(
                        "one paragraph has too much markup to render (%d characters); "
                        "split it into shorter paragraphs" % len(text)
                    )
        if total > MAX_CONSTRUCTS:
            raise TooMuchMarkup("this text has too much markup to render (links, emphasis, escapes...)")


class MarkupLimit(markdown.Extension):
    """Refuse a paragraph whose inline pass would cost more than `MAX_MARKUP_COST`."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_MarkupLimitProcessor(md), "markup_limit", 21)  # just before "inline"
