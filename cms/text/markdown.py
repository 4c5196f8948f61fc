"""Markdown to safe HTML, plus the plain-text excerpt and reading time.

Rendering happens once, on save (in a worker process, `cms.render_pool`); the
stored HTML is what readers get. Every
rendering passes through `sanitize`, an allow-list (nh3), so nothing an author
types can run script in a reader's browser.
"""

from __future__ import annotations

import dataclasses
import html
import math
import re

import markdown as md
import nh3

from cms.text.excerpt import prose
from cms.text.guard import MarkupLimit, tame

WORDS_PER_MINUTE = 230
EXCERPT_WORDS = 40

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt",
    "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "s", "small", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "loading"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}

# --- media: responsive images of the site's own /media/ files -----------------
# cms/images/markup.py emits <picture><source srcset sizes type><img srcset sizes>
# for /media/ URLs at save time; a srcset survives sanitising only when every
# candidate is such a same-host /media/ path (see `_media_attribute_filter`).
ALLOWED_TAGS |= {"picture", "source"}
ALLOWED_ATTRIBUTES["img"] = ALLOWED_ATTRIBUTES["img"] | {"srcset", "sizes", "decoding"}
ALLOWED_ATTRIBUTES["source"] = {"srcset", "sizes", "type"}


def _media_attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    from cms.images.markup import safe_sizes, safe_srcset

    if attribute == "srcset":
        return safe_srcset(value)
    if attribute == "sizes":
        return safe_sizes(value)
    if tag == "source" and attribute == "type":
        return value if value in ("image/webp", "image/jpeg", "image/png", "image/gif") else None
    return value
# --- end media -----------------------------------------------------------------


@dataclasses.dataclass
class Rendered:
    html: str
    toc: str
    excerpt: str
    reading_minutes: int
    words: int


def _markdown() -> md.Markdown:
    return md.Markdown(
        extensions=["fenced_code", "tables", "footnotes", "toc", "codehilite", "sane_lists", "smarty", MarkupLimit()],
        extension_configs={
            # Classes only (no inline styles): the theme ships the Pygments CSS.
            "codehilite": {"css_class": "highlight", "guess_lang": False},
            "toc": {"permalink": False, "toc_depth": "2-4"},
            # An align attribute survives sanitising; a style attribute does not.
            "tables": {"use_align_attribute": True},
            "footnotes": {"BACKLINK_TEXT": "\u21a9\ufe0e"},
        },
        output_format="html",
    )


def sanitize(raw_html: str) -> str:
    """Keep only the allow-listed tags, attributes and URL schemes."""
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        attribute_filter=_media_attribute_filter,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


# A code block scrolls sideways when its lines are long; keyboard users can scroll it
# only if it takes focus (WCAG 2.1.1, axe's scrollable-region-focusable). The
# attribute is added after sanitising, so no author-supplied tabindex survives.
_PRE_OPEN = re.compile(r"<pre(?=[\s>])(?![^>]*\btabindex=)")


def focusable_code(safe_html: str) -> str:
    """Sanitised HTML with every ``<pre>`` reachable by the Tab key."""
    return _PRE_OPEN.sub('<pre tabindex="0"', safe_html)


def plain_text(fragment: str) -> str:
    """The text of an HTML fragment, whitespace folded."""
    text = nh3.clean(fragment, tags=set())
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def excerpt_of(text: str, words: int = EXCERPT_WORDS) -> str:
    parts = text.split()
    if len(parts) <= words:
        return " ".join(parts)
    return " ".join(parts[:words]).rstrip(",.;:") + "\u2026"


def render(source: str, custom_excerpt: str | None = None) -> Rendered:
    """Render Markdown to sanitised HTML with a table of contents and an excerpt.

    `cms.text.guard` first escapes the openers that would cost Markdown
    quadratic time; a paragraph with too much markup raises `TooMuchMarkup`.
    Call it through `cms.render_pool` from the web process: it is still pure
    Python and may take seconds on a long text.
    """
    converter = _markdown()
    body = focusable_code(sanitize(converter.convert(tame(source))))
    toc = sanitize(getattr(converter, "toc", ""))
    # Footnotes are not part of the opening text a reader sees in a list.
    text = plain_text(re.sub(r'<div class="footnote">.*?</div>', "", body, flags=re.S))
    word_count = len(text.split())
    # Paragraphs only: headings, tables and code read as nonsense run into one sentence.
    excerpt = plain_text(custom_excerpt) if custom_excerpt else excerpt_of(prose(body))
    return Rendered(
        html=body,
        toc=toc,
        excerpt=excerpt,
        reading_minutes=max(1, math.ceil(word_count / WORDS_PER_MINUTE)),
        words=word_count,
    )
