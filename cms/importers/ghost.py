"""Ghost's JSON export (Ghost 5 and 6; the ``db[0].data`` tables of Labs -> Export).

A post's body is its ``html`` (what Ghost itself shows). Only where it is
missing is the editor's document converted: ``lexical`` (Ghost 5+) or
``mobiledoc`` (Ghost 1-4, and posts never opened since), each turned into HTML
for their common parts -- paragraphs, headings, lists, quotes, links, images,
galleries, code, Markdown and HTML cards, embeds and bookmarks as links --
and every other card named in the report.

The export is one JSON document whose tables refer to each other (posts,
then tags, then posts_tags...), so it is read whole; its size is bounded by
the upload limit (``CMS_MAX_IMPORT_MB``) or, on the command line, by the
machine. Internal tags (``#name``, ``visibility: internal``) are dropped:
the platform has no hidden tags. Posts for members or paid members only
become drafts (everything published here is public), as do email-only
newsletters (``sent``).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path
from typing import Any, Iterator

from cms.importers.common import Author, Entry, Image, ImportFailed, Skipped, Source, clean_tag
from cms.importers.convert import relative_links, to_markdown
from cms.text.markdown import plain_text

_CARD_MARK = "GHOSTCARDMARKDOWN%dEND"
# Lexical's text format bits (lexical/LexicalConstants.ts)
_FORMATS = ((16, "code"), (1, "strong"), (2, "em"), (4, "s"), (8, "u"), (32, "sub"), (64, "sup"))


def _time(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        if isinstance(value, (int, float)):
            return dt.datetime.fromtimestamp(value / 1000, dt.timezone.utc)
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


class _Document:
    """One post's lexical or mobiledoc as HTML; Markdown cards kept aside, verbatim."""

    def __init__(self) -> None:
        self.markdown_cards: list[str] = []
        self.warnings: list[str] = []

    def markdown_card(self, text: str) -> str:
        self.markdown_cards.append(text or "")
        return "<p>%s</p>" % (_CARD_MARK % (len(self.markdown_cards) - 1))

    def image(self, src: str, alt: str = "", caption: str = "") -> str:
        img = '<img src="%s" alt="%s">' % (html.escape(src or ""), html.escape(alt or ""))
        if caption and plain_text(caption):
            return "<figure>%s<figcaption>%s</figcaption></figure>" % (img, caption)
        return "<p>%s</p>" % img

    def gallery(self, images: list[dict]) -> str:
        return '<ul class="gallery">%s</ul>' % "".join(
            '<li><img src="%s" alt="%s"></li>' % (html.escape(i.get("src", "")), html.escape(i.get("alt") or ""))
            for i in images if isinstance(i, dict))

    def card(self, name: str, payload: dict) -> str:
        """The common cards of both editors (their payloads share names)."""
        payload = payload if isinstance(payload, dict) else {}
        if name == "markdown":
            return self.markdown_card(payload.get("markdown", ""))
        if name == "html":
            return payload.get("html", "")
        if name == "image":
            return self.image(payload.get("src", ""), payload.get("alt", ""), payload.get("caption", ""))
        if name == "gallery":
            return self.gallery(payload.get("images") or [])
        if name in ("code", "codeblock"):
            language = re.sub(r"[^\w+-]", "", payload.get("language") or "")
            return '<pre><code%s>%s</code></pre>' % (' class="language-%s"' % language if language else "",
                                                     html.escape(payload.get("code", "")))
        if name in ("hr", "horizontalrule"):
            return "<hr>"
        if name in ("embed", "bookmark", "video", "audio", "file"):
            url = payload.get("url") or payload.get("src") or ""
            title = (payload.get("metadata") or {}).get("title") or payload.get("title") or url
            if not url:
                self.warnings.append("a %s card without an address was left out" % name)
                return ""
            self.warnings.append("%s card shown as a link: %s" % (name, url[:120]))
            return '<p><a href="%s">%s</a></p>' % (html.escape(url), html.escape(title))
        self.warnings.append("Ghost card %r is not converted: left out" % name)
        return ""

    def finish(self, produced_html: str) -> tuple[str, list[str], list[str]]:
        converted = to_markdown(produced_html)
        markdown = converted.markdown
        for n, card in enumerate(self.markdown_cards):
            markdown = markdown.replace(_CARD_MARK % n, card.strip())
        return markdown, converted.images, self.warnings + converted.warnings


class Lexical(_Document):
    def convert(self, source: str) -> str:
        document = json.loads(source)
        return "".join(self.node(child) for child in (document.get("root") or {}).get("children") or [])

    def children(self, node: dict) -> str:
        return "".join(self.node(child) for child in node.get("children") or [] if isinstance(child, dict))

    def node(self, node: dict) -> str:
        kind = node.get("type")
        if kind in ("text", "extended-text"):
            text = html.escape(node.get("text", ""))
            for bit, tag in _FORMATS:
                if int(node.get("format") or 0) & bit:
                    text = "<%s>%s</%s>" % (tag, text, tag)
            return text
        if kind == "linebreak":
            return "<br>"
        if kind == "link" or kind == "autolink":
            return '<a href="%s">%s</a>' % (html.escape(node.get("url", "")), self.children(node))
        if kind == "paragraph":
            return "<p>%s</p>" % self.children(node)
        if kind in ("heading", "extended-heading"):
            tag = node.get("tag") if re.fullmatch(r"h[1-6]", str(node.get("tag"))) else "h2"
            return "<%s>%s</%s>" % (tag, self.children(node), tag)
        if kind in ("quote", "extended-quote", "aside"):
            return "<blockquote>%s</blockquote>" % self.children(node)
        if kind == "list":
            tag = "ol" if node.get("listType") == "number" else "ul"
            return "<%s>%s</%s>" % (tag, self.children(node), tag)
        if kind == "listitem":
            return "<li>%s</li>" % self.children(node)
        return self.card(str(kind), node)


class Mobiledoc(_Document):
    def convert(self, source: str) -> str:
        document = json.loads(source)
        self.markups = document.get("markups") or []
        self.cards = document.get("cards") or []
        self.atoms = document.get("atoms") or []
        return "".join(self.section(section) for section in document.get("sections") or [])

    def markers(self, markers: list) -> str:
        out, open_tags = [], []
        for marker in markers:
            kind, opens, closes, value = (list(marker) + [0, [], 0, ""])[:4]
            for index in opens or []:
                tag, attributes = (list(self.markups[index]) + [[]])[:2] if index < len(self.markups) else ("span", [])
                attributes = dict(zip(attributes[::2], attributes[1::2]))
                tag = tag.lower() if tag.lower() in ("a", "b", "strong", "em", "i", "s", "u", "code", "sub", "sup") else "span"
                href = ' href="%s"' % html.escape(attributes.get("href", "")) if tag == "a" else ""
                out.append("<%s%s>" % (tag, href))
                open_tags.append(tag)
            if kind == 1:  # an atom: its text value
                atom = self.atoms[value] if isinstance(value, int) and value < len(self.atoms) else ["", ""]
                out.append("<br>" if atom[0] == "soft-return" else html.escape(str(atom[1])))
            else:
                out.append(html.escape(str(value)))
            for _ in range(int(closes or 0)):
                if open_tags:
                    out.append("</%s>" % open_tags.pop())
        out.extend("</%s>" % tag for tag in reversed(open_tags))
        return "".join(out)

    def section(self, section: list) -> str:
        kind = section[0] if section else None
        if kind == 1:  # markup section: p, h1-h6, blockquote, aside
            tag = str(section[1]).lower()
            tag = tag if re.fullmatch(r"p|h[1-6]|blockquote", tag) else "blockquote" if tag == "aside" else "p"
            return "<%s>%s</%s>" % (tag, self.markers(section[2]), tag)
        if kind == 3:  # list section
            tag = "ol" if str(section[1]).lower() == "ol" else "ul"
            return "<%s>%s</%s>" % (tag, "".join("<li>%s</li>" % self.markers(item) for item in section[2]), tag)
        if kind == 10:  # card section
            index = section[1]
            if isinstance(index, int) and index < len(self.cards):
                name, payload = (list(self.cards[index]) + [{}])[:2]
                return self.card(str(name), payload)
        if kind == 2:  # image section
            return self.image(str(section[1]))
        return ""


class Ghost(Source):
    name = "ghost"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.authors: list[Author] = []
        self.total = 0
        self._data: dict = {}

    def prepare(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                document = json.load(handle)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ImportFailed("the file is not JSON (a Ghost export is the .json file of Labs -> Export): %s"
                               % error) from None
        except OSError as error:
            raise ImportFailed("cannot read %s: %s" % (self.path.name, error.strerror or error)) from None
        if isinstance(document, dict) and isinstance(document.get("db"), list) and document["db"]:
            document = document["db"][0]
        data = document.get("data") if isinstance(document, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("posts"), list):
            raise ImportFailed("this JSON is not a Ghost export: it has no db[0].data.posts")
        version = str((document.get("meta") or {}).get("version", ""))
        if version and not re.match(r"^[1-6]\.", version):
            raise ImportFailed("Ghost %s exports are not supported (Ghost 1 to 6 are)" % version)
        self._data = data
        users = {u.get("id"): u for u in data.get("users") or [] if isinstance(u, dict)}
        self.authors = [Author(key=str(user_id), email=(u.get("email") or "").strip(), name=u.get("name") or "")
                        for user_id, u in users.items()]
        self.total = len(data["posts"])

    def _table(self, name: str) -> list[dict]:
        return [row for row in self._data.get(name) or [] if isinstance(row, dict)]

    def entries(self) -> Iterator[Entry | Skipped]:
        tags = {t.get("id"): t for t in self._table("tags")}
        meta = {m.get("post_id"): m for m in self._table("posts_meta")}
        post_tags: dict[str, list[tuple[int, str]]] = {}
        for row in self._table("posts_tags"):
            post_tags.setdefault(row.get("post_id"), []).append((int(row.get("sort_order") or 0), row.get("tag_id")))
        post_authors: dict[str, list[tuple[int, str]]] = {}
        for row in self._table("posts_authors"):
            post_authors.setdefault(row.get("post_id"), []).append(
                (int(row.get("sort_order") or 0), str(row.get("author_id"))))
        for post in self._data["posts"]:
            if not isinstance(post, dict):
                continue
            yield self._entry(post, tags, meta.get(post.get("id")) or {}, sorted(post_tags.get(post.get("id"), [])),
                              sorted(post_authors.get(post.get("id"), [])))

    def _entry(self, post: dict, tags: dict, meta: dict, tag_ids: list, author_ids: list) -> Entry | Skipped:
        source_id = str(post.get("id") or "")
        title = " ".join(str(post.get("title") or "").split())
        kind = post.get("type") or "post"
        if kind not in ("post", "page"):
            return Skipped(source_id, title, "Ghost %r items are not imported" % kind, str(kind))
        warnings: list[str] = []
        markdown, images = self._body(post, warnings)
        markdown = relative_links(markdown, "__GHOST_URL__")  # Ghost's own address, as its exports write it
        status = post.get("status")
        published_at = _time(post.get("published_at"))
        state = "draft"
        if status == "published":
            state = "published"
        elif status == "scheduled":
            if published_at and published_at > dt.datetime.now(dt.timezone.utc):
                state = "published"
            else:
                warnings.append("was scheduled for a time now past: imported as a draft")
        elif status == "sent":
            warnings.append("was an email-only newsletter: imported as a draft")
        elif status != "draft":
            warnings.append("unknown status %r: imported as a draft" % status)
        visibility = post.get("visibility") or "public"
        if state == "published" and visibility != "public":
            state = "draft"
            warnings.append("was for %s only: imported as a draft (everything published here is public)"
                            % ("members" if visibility == "members" else "paid members"))
        names, dropped = [], []
        for _, tag_id in tag_ids:
            tag = tags.get(tag_id)
            if tag is None:
                continue
            if tag.get("visibility") == "internal" or str(tag.get("name", "")).startswith("#"):
                dropped.append(tag.get("name", ""))
                continue
            name = clean_tag(str(tag.get("name") or ""))
            if name and name.lower() not in [n.lower() for n in names]:
                names.append(name)
        if dropped:
            warnings.append("internal tags dropped: %s" % ", ".join(dropped))
        featured = None
        if post.get("feature_image"):
            featured = Image(post["feature_image"], meta.get("feature_image_alt") or "",
                             plain_text(meta.get("feature_image_caption") or ""))
        excerpt = post.get("custom_excerpt") or ""
        if not excerpt and meta.get("meta_description"):
            excerpt = meta["meta_description"]
            warnings.append("its meta description is the custom excerpt here (it serves as the page's description)")
        if meta.get("meta_title") and meta["meta_title"] != title:
            warnings.append("meta title %r not kept: pages here are titled by the post's title" % meta["meta_title"][:80])
        if len(author_ids) > 1:
            warnings.append("%d authors in Ghost: the first is the author here" % len(author_ids))
        slug = str(post.get("slug") or "")
        return Entry(
            source_id=source_id, kind=kind, title=title, slug=slug, markdown=markdown, status=state,
            published_at=published_at if state == "published" else None,
            author=author_ids[0][1] if author_ids else str(post.get("author_id") or "") or None,
            tags=names, custom_excerpt=plain_text(excerpt), images=images, featured=featured,
            old_paths=["/%s/" % slug] if slug else [], warnings=list(dict.fromkeys(warnings)),
            sticky=bool(post.get("featured")),
        )

    def _body(self, post: dict, warnings: list[str]) -> tuple[str, list[str]]:
        if post.get("html"):
            converted = to_markdown(post["html"])
            warnings.extend(converted.warnings)
            return converted.markdown, converted.images
        for field, reader in (("lexical", Lexical), ("mobiledoc", Mobiledoc)):
            if post.get(field):
                document = reader()
                try:
                    produced = document.convert(post[field])
                except (ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
                    warnings.append("its %s could not be read (%s): imported without a body" % (field, error))
                    return "", []
                markdown, images, found = document.finish(produced)
                warnings.append("no html in the export: converted from its %s" % field)
                warnings.extend(found)
                return markdown, images
        return "", []

