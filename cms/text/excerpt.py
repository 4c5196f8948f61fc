"""The prose of a rendered post, for its excerpt and meta description.

A list card or a search result shows the opening words of a post, and so does
its meta description. Taking the whole text ran headings, table cells and code
into one sentence ("…Emphasis and links Use italics…", "import asyncio async
def fetch_all…"). `prose` keeps the paragraphs at the top of the body only;
a post with none (a list of steps, say) gets its list items and quoted
paragraphs, each as a sentence. Headings, tables, code blocks (``pre``, and
the ``div`` codehilite wraps them in) and footnotes never count.

Pure and stdlib-only: it runs in the render pool's worker (`cms.text.worker`).
"""

from __future__ import annotations

from html.parser import HTMLParser

# Elements that have no end tag: they never open a level.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# What is inside these is never prose: code blocks (codehilite's div), tables, footnotes' div.
NOT_PROSE = {"div", "pre", "table"}
SENTENCE_END = (".", "!", "?", "\u2026", ":", ";")


class _Blocks(HTMLParser):
    """Collects the text of top-level paragraphs, and of other paragraphs and list items."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[list[str]] = []
        self.others: list[list[str]] = []
        self._stack: list[tuple[str, list[str] | None]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in VOID:
            if tag == "br":
                self.handle_data(" ")
            return
        block: list[str] | None = None
        if tag == "p" and not self._stack:
            block = []
            self.paragraphs.append(block)
        elif tag in ("p", "li") and not any(open_tag in NOT_PROSE for open_tag, _ in self._stack):
            block = []
            self.others.append(block)
        self._stack.append((tag, block))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._stack) - 1, -1, -1):
            if self._stack[depth][0] == tag:
                del self._stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        for _, block in reversed(self._stack):
            if block is not None:
                block.append(data)
                return


def _texts(blocks: list[list[str]]) -> list[str]:
    return [text for text in (" ".join("".join(block).split()) for block in blocks) if text]


def prose(body_html: str) -> str:
    """The plain text an excerpt is cut from, whitespace folded ("" when the post has no prose)."""
    parser = _Blocks()
    parser.feed(body_html)
    parser.close()
    paragraphs = _texts(parser.paragraphs)
    if paragraphs:
        return " ".join(paragraphs)
    # List items have no full stop of their own: each ends a sentence here.
    return " ".join(text if text.endswith(SENTENCE_END) else text + "." for text in _texts(parser.others))
