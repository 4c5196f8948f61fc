"""The Markdown subset of readers' comments: emphasis, links, code.

Comments are written by anyone, so they get less than posts: no headings,
images, tables or raw HTML -- what survives is an allow-list of a handful of
tags, sanitised by nh3 as posts are (`cms.text.markdown`). Links carry
``rel="nofollow ugc"`` so a comment cannot lend the site's standing to a
spammer's page. Comments are short (`MAX_LENGTH`), so they render here, in the
request, without the render pool; `tame` and `MarkupLimit` still bound what
pathological text costs.
"""

from __future__ import annotations

import re

import markdown as md
import nh3

from cms.text.guard import MarkupLimit, TooMuchMarkup, tame

MAX_LENGTH = 5000
TAGS = {"p", "br", "em", "strong", "code", "pre", "a", "blockquote"}
ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto"}
_LINK = re.compile(r"https?://", re.IGNORECASE)


class CommentTextError(ValueError):
    """The text cannot be a comment; the message says why, for the commenter."""


def _markdown() -> md.Markdown:
    return md.Markdown(extensions=["fenced_code", "sane_lists", MarkupLimit()], output_format="html")


def links_in(text: str) -> int:
    """How many web addresses the text names (linked or bare): spam's tell."""
    return len(_LINK.findall(text))


def render(text: str) -> str:
    """The sanitised HTML of a comment's text; `CommentTextError` when it is empty or too long."""
    if not text or not text.strip():
        raise CommentTextError("the comment is empty")
    if len(text) > MAX_LENGTH:
        raise CommentTextError("the comment is too long: at most %d characters" % MAX_LENGTH)
    try:
        raw = _markdown().convert(tame(text))
    except (TooMuchMarkup, RecursionError) as error:
        raise CommentTextError(str(error) or "the comment has too much markup") from None
    return nh3.clean(raw, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="nofollow ugc noopener noreferrer", strip_comments=True).strip()
