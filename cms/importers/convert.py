"""HTML from other platforms to the Markdown authors edit here.

Conversion is `markdownify` (MIT licensed, built on BeautifulSoup) rather than
`html2text` (GPL-3.0, and a converter one can only configure, not extend):
markdownify lets one method per tag decide what that tag becomes, which is
what WordPress's markup needs (figures with captions, galleries, embeds).

WordPress stores HTML with block comments (``<!-- wp:paragraph -->``) and
shortcodes (``[caption]``, ``[gallery]``, ``[embed]``); classic-editor posts
have no ``<p>`` at all (WordPress adds them when it shows the post, "autop").
`wordpress_html` turns all that into plain HTML first; `to_markdown` then
converts it:

* an image with a caption becomes a ``<figure>`` with ``<figcaption>``: Markdown
  has no caption, and both tags pass the renderer's sanitiser (cms/text/markdown.py);
* a gallery becomes a list of images;
* an embed, iframe, video or audio becomes a link to what it showed (the
  platform shows no third-party frames);
* what Markdown cannot say (a table with merged cells) is kept as HTML,
  sanitised with the renderer's own allow-list;
* what cannot be kept at all (scripts, forms, dynamic blocks) is dropped, with a warning.

Every function here is pure and CPU-bound: importers call it off the event loop.
"""

from __future__ import annotations

import dataclasses
import html
import re
from typing import Callable

from bs4 import BeautifulSoup, Comment, Tag
from markdownify import MarkdownConverter

from cms.text.markdown import sanitize

_BLOCK_COMMENT = re.compile(r"<!--\s*(/?)wp:([a-z0-9/-]+)(\s+\{.*?\})?\s*(/?)-->", re.S)
_MORE = re.compile(r"<!--\s*(more|nextpage|noteaser)\b.*?-->", re.S)
_SHORTCODE = re.compile(r"\[(\[?)([a-zA-Z_][\w-]*)(?![\w-])([^\]\/]*(?:\/(?!\])[^\]\/]*)*?)(?:(\/)\]|\](?:([^\[]*(?:\[(?!\/\2\])[^\[]*)*)\[\/\2\])?)(\]?)")
_ATTRIBUTE = re.compile(r'([\w-]+)\s*=\s*"([^"]*)"|([\w-]+)\s*=\s*\'([^\']*)\'|([\w-]+)\s*=\s*([^\s\'"]+)')
_BLOCK_TAGS = ("address|article|aside|blockquote|details|div|dl|fieldset|figcaption|figure|footer|form|h[1-6]|"
               "header|hr|li|main|nav|ol|p|pre|section|table|ul|tbody|thead|tfoot|tr|td|th|dd|dt|caption|"
               "select|option|style|script|iframe|video|audio|map|area|math|svg")
_STARTS_BLOCK = re.compile(r"^\s*</?(?:%s)\b" % _BLOCK_TAGS, re.I)
_ENDS_BLOCK = re.compile(r"</?(?:%s)\b[^>]*>\s*$" % _BLOCK_TAGS, re.I)
_PRE = re.compile(r"<pre\b.*?</pre>", re.S | re.I)
# Blocks WordPress renders from data when a page is shown: no HTML of them is in the export.
_HARMLESS_BLOCKS = {"more", "nextpage", "separator", "spacer"}
DROPPED_TAGS = ("script", "style", "form", "input", "button", "select", "textarea", "object", "embed", "noscript",
                "svg", "canvas", "template")


@dataclasses.dataclass
class Converted:
    markdown: str
    images: list[str]  # image URLs in the order they appear (to import and replace)
    warnings: list[str]


def _attributes(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text or ""):
        name = match.group(1) or match.group(3) or match.group(5)
        value = match.group(2) if match.group(1) else match.group(4) if match.group(3) else match.group(6)
        found[name.lower()] = html.unescape(value)
    return found


def expand_shortcodes(text: str, attachment_url: Callable[[str], str | None], warnings: list[str]) -> str:
    """WordPress's core shortcodes as HTML; others are left as they are, with a warning."""

    def replace(match: re.Match) -> str:
        if match.group(1) == "[" and match.group(6) == "]":
            return match.group(0)[1:-1]  # [[escaped]] shortcode: WordPress prints it as text
        name, attrs, inner = match.group(2).lower(), _attributes(match.group(3)), match.group(5) or ""
        if name in ("caption", "wp_caption"):
            caption = attrs.get("caption", "")
            body = inner
            found = re.match(r"\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)$", inner, re.S | re.I)
            if found:
                body, caption = found.group(1), caption or found.group(2).strip()
            return "<figure>%s<figcaption>%s</figcaption></figure>" % (body, caption)
        if name == "gallery":
            ids = [i.strip() for i in attrs.get("ids", attrs.get("include", "")).split(",") if i.strip()]
            urls = [url for url in (attachment_url(i) for i in ids) if url]
            if len(urls) < len(ids):
                warnings.append("gallery: %d of %d images are not attachments in this export"
                                % (len(ids) - len(urls), len(ids)))
            if not ids:
                warnings.append("a [gallery] without ids (the post's attached images) was left out")
            return '<ul class="gallery">%s</ul>' % "".join('<li><img src="%s" alt=""></li>' % html.escape(u)
                                                          for u in urls)
        if name in ("embed", "video", "audio", "playlist"):
            url = inner.strip() or attrs.get("src") or attrs.get("mp4") or attrs.get("mp3") or ""
            if not url:
                warnings.append("[%s] without a URL was left out" % name)
                return ""
            return '<p><a href="%s">%s</a></p>' % (html.escape(url), html.escape(url))
        warnings.append("shortcode [%s] is not converted: kept as text" % name)
        return match.group(0)

    return _SHORTCODE.sub(replace, text)


def autop(text: str) -> str:
    """WordPress's ``wpautop`` in short: blank-line-separated text becomes paragraphs,
    single line breaks ``<br>``; blocks that are HTML already, and ``<pre>``, stay as they are."""
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group(0))
        return "\x00%d\x00" % (len(kept) - 1)

    text = _PRE.sub(keep, text.replace("\r\n", "\n").replace("\r", "\n"))
    # Block tags on their own line are their own chunk.
    text = re.sub(r"(<(?:%s)\b[^>]*>)" % _BLOCK_TAGS, r"\n\n\1", text, flags=re.I)
    text = re.sub(r"(</(?:%s)>)" % _BLOCK_TAGS, r"\1\n\n", text, flags=re.I)
    chunks = []
    for chunk in re.split(r"\n\s*\n", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        if _STARTS_BLOCK.match(chunk) or _ENDS_BLOCK.search(chunk) or re.fullmatch(r"\x00\d+\x00", chunk):
            chunks.append(chunk)
        else:
            chunks.append("<p>%s</p>" % re.sub(r"\s*\n\s*", "<br>\n", chunk))
    joined = "\n".join(chunks)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], joined)


def wordpress_html(content: str, attachment_url: Callable[[str], str | None], warnings: list[str]) -> str:
    """A WordPress post's stored content as plain HTML (blocks, shortcodes and autop resolved)."""
    has_blocks = "<!-- wp:" in content

    def block(match: re.Match) -> str:
        closing, name, self_closing = match.group(1), match.group(2), match.group(4)
        name = name.split("/")[-1] if name.startswith("core/") else name
        if self_closing and not closing and name not in _HARMLESS_BLOCKS:
            warnings.append("dynamic block wp:%s has no HTML in the export: left out" % name)
        return "\n"

    content = _BLOCK_COMMENT.sub(block, content)
    content = _MORE.sub("\n", content)
    content = expand_shortcodes(content, attachment_url, warnings)
    if not has_blocks:
        content = autop(content)
    return content


class _Converter(MarkdownConverter):
    """markdownify with WordPress's figures, galleries and embeds, and HTML kept where Markdown falls short."""

    def __init__(self, images: list[str], warnings: list[str], **options) -> None:
        super().__init__(**options)
        self.images = images
        self.warnings = warnings

    def _image(self, el: Tag) -> tuple[str, str]:
        src = (el.get("src") or el.get("data-src") or "").strip()
        if src and src not in self.images:
            self.images.append(src)
        return src, " ".join((el.get("alt") or "").split())

    def convert_img(self, el, text, parent_tags):
        if el.find_parent(class_="kg-bookmark-card") is not None:
            return ""  # the icon and thumbnail of a Ghost link preview: the link is what counts
        src, alt = self._image(el)
        if not src:
            return ""
        return "![%s](%s)" % (alt.replace("[", "").replace("]", ""), src.replace(" ", "%20").replace(")", "%29"))

    def _kept(self, el: Tag) -> str:
        for img in el.find_all("img"):
            self._image(img)
        for tag in el.find_all(True):
            if tag.name == "img":
                for name in ("srcset", "sizes"):  # the copies WordPress made; ours come on save
                    tag.attrs.pop(name, None)
        kept = sanitize(str(el)).strip()
        kept = re.sub(r"\n\s*\n", "\n", kept)  # a blank line would end the HTML block in Markdown
        return "\n\n%s\n\n" % kept

    def convert_figure(self, el, text, parent_tags):
        classes = el.get("class") or []
        if "kg-bookmark-card" in classes:  # Ghost's link preview: its title, linked
            link = el.find("a")
            title = el.find(class_="kg-bookmark-title")
            url = link.get("href", "") if link is not None else ""
            label = " ".join((title or link or el).get_text(" ").split()) if url else ""
            return "\n\n[%s](%s)\n\n" % (label.replace("[", "").replace("]", "") or url, url) if url else ""
        images = el.find_all("img")
        if "wp-block-gallery" in classes or len(images) > 1:
            return self._gallery(images)
        if any(c.startswith("wp-block-embed") for c in classes) or el.find(["iframe", "video", "audio"]):
            return self._embed(el)
        caption = el.find("figcaption")
        if images and caption is not None and caption.get_text(strip=True):
            figure = BeautifulSoup("<figure></figure>", "html.parser").figure
            link = images[0].find_parent("a")
            figure.append(_copy(link if link is not None and link in el.descendants else images[0]))
            figure.append(_copy(caption))
            return self._kept(figure)
        return "\n\n%s\n\n" % text.strip() if text.strip() else ""

    def convert_ul(self, el, text, parent_tags):
        if "gallery" in (el.get("class") or []) or "blocks-gallery-grid" in (el.get("class") or []):
            return self._gallery(el.find_all("img"))
        return super().convert_ul(el, text, parent_tags)

    def _gallery(self, images: list[Tag]) -> str:
        lines = []
        for img in images:
            src, alt = self._image(img)
            if src:
                caption = img.find_parent("figure")
                caption = caption.find("figcaption") if caption is not None else None
                line = "- ![%s](%s)" % (alt.replace("[", "").replace("]", ""), src.replace(" ", "%20"))
                if caption is not None and caption.get_text(strip=True):
                    line += " " + " ".join(caption.get_text(" ").split())
                lines.append(line)
        return "\n\n%s\n\n" % "\n".join(lines) if lines else ""

    def _embed(self, el: Tag) -> str:
        frame = el.find(["iframe", "video", "audio", "source"]) if el.name not in ("iframe", "video", "audio") else el
        url = ""
        if frame is not None:
            url = frame.get("src") or ""
            if not url and frame.find("source") is not None:
                url = frame.find("source").get("src") or ""
        if not url:
            found = re.search(r"https?://\S+", el.get_text(" "))
            url = found.group(0) if found else ""
        if not url.startswith(("http://", "https://", "/")):
            self.warnings.append("an embedded %s without an address was left out" % el.name)
            return ""
        self.warnings.append("embedded content shown as a link: %s" % url[:120])
        return "\n\n<%s>\n\n" % url if url.startswith("http") else "\n\n[%s](%s)\n\n" % (url, url)

    convert_iframe = convert_video = convert_audio = lambda self, el, text, parent_tags: self._embed(el)

    def convert_table(self, el, text, parent_tags):
        if el.find(attrs={"colspan": True}) or el.find(attrs={"rowspan": True}) or el.find(["ul", "ol", "table", "pre", "p"]):
            return self._kept(el)
        return super().convert_table(el, text, parent_tags)

    def convert_script(self, el, text, parent_tags):
        if el.name in ("script", "style"):
            self.warnings.append("<%s> left out" % el.name)
        return ""

    def convert_form(self, el, text, parent_tags):
        self.warnings.append("a <%s> was left out" % el.name)
        return ""

    convert_style = convert_script
    convert_object = convert_embed = convert_button = convert_select = convert_textarea = convert_form
    convert_noscript = convert_svg = convert_canvas = convert_template = convert_form

    def convert_input(self, el, text, parent_tags):
        return ""


def _copy(tag: Tag) -> Tag:
    return BeautifulSoup(str(tag), "html.parser").find(tag.name)


def to_markdown(fragment: str) -> Converted:
    """Plain HTML (as `wordpress_html` or Ghost's ``html`` give it) as Markdown, with its images."""
    images: list[str] = []
    warnings: list[str] = []
    soup = BeautifulSoup(fragment or "", "html.parser")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        text = str(comment).strip()
        if text.startswith("kg-card-") or not text:  # Ghost's card markers
            comment.extract()
            continue
        comment.extract()
    converter = _Converter(images, warnings, heading_style="ATX", bullets="-", strong_em_symbol="*",
                           code_language_callback=_code_language, escape_underscores=True, escape_asterisks=True)
    markdown = converter.convert_soup(soup)
    return Converted(tidy(markdown), images, list(dict.fromkeys(warnings)))


def _code_language(el: Tag) -> str | None:
    for tag in [el, *el.find_all("code")]:
        for name in tag.get("class") or []:
            if name.startswith("language-"):
                return name[len("language-"):]
    return None


def tidy(markdown: str) -> str:
    """Markdown as the editor keeps it: no trailing spaces but line breaks', at most one blank line."""
    lines = []
    for line in markdown.replace("\r\n", "\n").split("\n"):
        stripped = line.rstrip()
        lines.append(stripped + "  " if line.endswith("  ") and stripped else stripped)
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n").rstrip() + "\n" if text.strip() else ""


def relative_links(markdown: str, base: str) -> str:
    """Links to the old site's own pages as paths of this one (``https://old.example/2024/05/x/`` ->
    ``/2024/05/x/``), which its redirects then lead to the imported post. Images and uploaded
    files are left alone: the import replaces those it brings, and reports the others."""
    base = base.rstrip("/")
    if not base:
        return markdown
    escaped = re.escape(base)
    uploads = r"(?!/(?:wp-content|content/images)/)"
    markdown = re.sub(r"(?<!!)(\[[^\]\n]*\]\()%s%s(/[^)\s]*)?\)" % (escaped, uploads),
                      lambda m: "%s%s)" % (m.group(1), m.group(2) or "/"), markdown)
    return re.sub(r'(<a\b[^>]*\bhref=")%s%s(/[^"]*)?"' % (escaped, uploads),
                  lambda m: '%s%s"' % (m.group(1), m.group(2) or "/"), markdown)


def replace_urls(markdown: str, found: dict[str, str]) -> str:
    """Put the imported images' URLs where their old ones were (Markdown and kept HTML alike)."""
    for old, new in sorted(found.items(), key=lambda item: -len(item[0])):
        for variant in {old, old.replace(" ", "%20").replace(")", "%29"), html.escape(old)}:
            markdown = markdown.replace("](%s" % variant, "](%s" % new).replace('src="%s"' % variant, 'src="%s"' % new)
            markdown = markdown.replace('href="%s"' % variant, 'href="%s"' % new)
    return markdown


__all__ = ["Converted", "autop", "relative_links", "expand_shortcodes", "replace_urls", "to_markdown",
           "wordpress_html"]
