"""WordPress's own export (WXR 1.2, as WordPress 5 and 6 write it), read as a stream.

The file is read twice with ``lxml.etree.iterparse``, each element freed as
soon as it is read, so memory stays flat whatever the file's size: the first
pass checks the whole file (a truncated or malformed file fails here, before
anything is written) and keeps the little that posts refer to (authors,
attachments); the second yields the posts and pages one at a time.

The parser is locked down as `defusedxml` would: it never resolves entities,
loads no DTD, reaches no network, and keeps libxml2's limits
(``huge_tree=False``). On top of that a document with a DOCTYPE is refused
outright: WordPress never writes one, and a DOCTYPE is where XXE and
entity-expansion ("billion laughs") attacks live.

What WordPress has and the platform does not (page hierarchy, sticky posts,
post passwords, private posts) is said in the report, entry by entry.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from lxml import etree

from cms.importers.common import Author, Entry, Image, ImportFailed, Skipped, Source, clean_tag
from cms.importers.convert import relative_links, to_markdown, wordpress_html
from cms.text.markdown import plain_text

WP_NAMESPACE = re.compile(r"^http://wordpress\.org/export/1\.[0-2]/$")
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
NO_DATE = "0000-00-00 00:00:00"
TAXONOMIES = ("category", "post_tag")
_DEFAULT_CATEGORY = "uncategorized"


def _parser_events(path: Path) -> etree.iterparse:
    return etree.iterparse(
        str(path), events=("start", "end"), resolve_entities=False, no_network=True, huge_tree=False,
        load_dtd=False, dtd_validation=False, remove_comments=True, remove_pis=True,
    )


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _date(value: str) -> dt.datetime | None:
    value = (value or "").strip()
    if not value or value.startswith("0000-00-00"):
        return None
    try:
        return dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None


def _path(url: str) -> str | None:
    """The path (and query) of an old permalink, as a redirect's source."""
    parts = urlsplit((url or "").strip())
    if not parts.path and not parts.query:
        return None
    path = parts.path or "/"
    return path + ("?" + parts.query if parts.query else "")


class WordPress(Source):
    name = "wordpress"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.wp = ""  # the export's wp: namespace (1.0, 1.1 or 1.2)
        self.authors: list[Author] = []
        self.attachments: dict[str, dict] = {}
        self.base_url = ""
        self.title = ""
        self.total = 0

    def _wp(self, name: str) -> str:
        return "{%s}%s" % (self.wp, name)

    def _text(self, element: etree._Element, name: str) -> str:
        found = element.find(self._wp(name))
        return (found.text or "") if found is not None else ""

    # --- reading safely ---

    def _elements(self) -> Iterator[tuple[str, etree._Element]]:
        """("end", element) for every element of the channel, freed after use; the checks of this module's docstring."""
        try:
            events = _parser_events(self.path)
            first = True
            for event, element in events:
                if first:
                    first = False
                    docinfo = element.getroottree().docinfo
                    if docinfo.doctype or docinfo.internalDTD is not None:
                        raise ImportFailed("the file declares a DOCTYPE, which a WordPress export never has "
                                           "(it is how XML entity attacks work): refused")
                    if _local(element.tag) != "rss":
                        raise ImportFailed("this is not a WordPress export (WXR): it starts with <%s>, not <rss>"
                                           % _local(element.tag))
                    namespaces = [uri for uri in (element.nsmap or {}).values() if WP_NAMESPACE.match(uri or "")]
                    if not namespaces:
                        raise ImportFailed("this RSS file is not a WordPress export: it has no wp: namespace "
                                           "(http://wordpress.org/export/1.2/)")
                    self.wp = namespaces[0]
                if event == "end":
                    yield event, element
                    parent = element.getparent()
                    if parent is not None and _local(parent.tag) == "channel":
                        element.clear()
                        while element.getprevious() is not None:
                            del parent[0]
        except etree.XMLSyntaxError as error:
            if first:
                raise ImportFailed("the file is not XML: %s" % error) from None
            raise ImportFailed("the file is not complete, well-formed XML (a cut-off download?): %s" % error) from None
        except OSError as error:
            raise ImportFailed("cannot read %s: %s" % (self.path.name, error.strerror or error)) from None
        if first:
            raise ImportFailed("the file is empty")

    def prepare(self) -> None:
        """The first pass: the whole file is checked; authors, attachments and the count are kept."""
        items = 0
        for _, element in self._elements():
            tag, parent = element.tag, element.getparent()
            if parent is None or _local(parent.tag) != "channel":
                continue
            if tag == self._wp("author"):
                login = self._text(element, "author_login")
                self.authors.append(Author(key=login, email=self._text(element, "author_email").strip(),
                                           name=self._text(element, "author_display_name") or login))
            elif tag == self._wp("base_site_url"):
                self.base_url = (element.text or "").strip()
            elif tag == "title" and not self.title:
                self.title = (element.text or "").strip()
            elif tag == "item":
                items += 1
                if self._text(element, "post_type") == "attachment":
                    self._attachment(element)
        if not self.wp:
            raise ImportFailed("this is not a WordPress export")
        self.total = items - len(self.attachments)

    def _attachment(self, item: etree._Element) -> None:
        meta = self._meta(item)
        url = self._text(item, "attachment_url").strip()
        if url:
            self.attachments[self._text(item, "post_id").strip()] = {
                "url": url, "alt": meta.get("_wp_attachment_image_alt", ""),
                "caption": plain_text(item.findtext("{http://wordpress.org/export/1.2/excerpt/}encoded") or ""),
            }

    def _meta(self, item: etree._Element) -> dict[str, str]:
        return {self._text(m, "meta_key"): self._text(m, "meta_value") for m in item.iter(self._wp("postmeta"))}

    def attachment_url(self, attachment_id: str) -> str | None:
        found = self.attachments.get(str(attachment_id).strip())
        return found["url"] if found else None

    # --- the posts ---

    def entries(self) -> Iterator[Entry | Skipped]:
        for _, element in self._elements():
            parent = element.getparent()
            if element.tag == "item" and parent is not None and _local(parent.tag) == "channel":
                kind = self._text(element, "post_type")
                if kind == "attachment":
                    continue
                yield self._entry(element, kind)

    def _entry(self, item: etree._Element, kind: str) -> Entry | Skipped:
        source_id = self._text(item, "post_id").strip()
        title = " ".join((item.findtext("title") or "").split())
        if kind == "nav_menu_item":
            return Skipped(source_id, title, "a menu item: set navigation links on the Theme page", kind)
        if kind not in ("post", "page"):
            return Skipped(source_id, title, "WordPress %r items are not imported" % kind, kind)
        status = self._text(item, "status")
        if status in ("trash", "auto-draft", "inherit"):
            return Skipped(source_id, title, {"trash": "in WordPress's trash", "auto-draft": "an auto-draft, never written",
                                              "inherit": "a revision"}[status], kind)
        warnings: list[str] = []
        published_at = _date(self._text(item, "post_date_gmt")) or _date(self._text(item, "post_date"))
        state = "draft"
        if status == "publish":
            state = "published"
        elif status == "future":
            if published_at and published_at > dt.datetime.now(dt.timezone.utc):
                state = "published"  # stored as published with a time to come: scheduled
            else:
                warnings.append("was scheduled for a time now past: imported as a draft")
        elif status == "private":
            warnings.append("was private: imported as a draft (the platform has no private posts)")
        elif status == "pending":
            warnings.append("was pending review: imported as a draft")
        elif status != "draft":
            warnings.append("unknown status %r: imported as a draft" % status)
        if self._text(item, "post_password"):
            if state == "published":
                state = "draft"
            warnings.append("was password-protected: imported as a draft (the platform has no post passwords)")
        converted_html = wordpress_html(item.findtext(CONTENT) or "", self.attachment_url, warnings)
        converted = to_markdown(converted_html)
        warnings.extend(converted.warnings)
        tags, seen = [], set()
        for category in item.findall("category"):
            if category.get("domain") in TAXONOMIES and category.get("nicename") != _DEFAULT_CATEGORY:
                name = clean_tag(category.text or "")
                if name and name.lower() not in seen:
                    seen.add(name.lower())
                    tags.append(name)
        meta = self._meta(item)
        featured = None
        thumbnail = meta.get("_thumbnail_id", "").strip()
        if thumbnail:
            attachment = self.attachments.get(thumbnail)
            if attachment is None:
                warnings.append("its featured image (attachment %s) is not in the export" % thumbnail)
            else:
                featured = Image(attachment["url"], attachment["alt"], attachment["caption"])
        parent = self._text(item, "post_parent").strip()
        parent = parent if parent not in ("", "0") else None
        if kind == "page" and parent:
            warnings.append("a child page: pages here are not nested, so it is at /<its slug>; "
                            "its old address redirects there")
        old_paths = []
        link_path = _path(item.findtext("link") or "")
        if link_path and link_path != "/":
            old_paths.append(link_path)
        query = "/?page_id=%s" % source_id if kind == "page" else "/?p=%s" % source_id
        if query not in old_paths:
            old_paths.append(query)
        comments, pending, spam = self._comments(item)
        excerpt = plain_text(item.findtext("{http://wordpress.org/export/1.2/excerpt/}encoded") or "")
        return Entry(
            source_id=source_id, kind=kind, title=html.unescape(title), slug=self._text(item, "post_name").strip(),
            markdown=relative_links(converted.markdown, self.base_url), status=state, published_at=published_at if state == "published" else None,
            author=(item.findtext(DC_CREATOR) or "").strip(), tags=tags, custom_excerpt=excerpt,
            images=converted.images, featured=featured, old_paths=old_paths, warnings=list(dict.fromkeys(warnings)),
            sticky=self._text(item, "is_sticky").strip() == "1", parent=parent, comments=comments,
            comments_pending=pending, comments_spam=spam,
        )

    def _comments(self, item: etree._Element) -> tuple[list[dict], int, int]:
        approved, pending, spam = [], 0, 0
        for comment in item.iter(self._wp("comment")):
            state = self._text(comment, "comment_approved").strip()
            if state == "1":
                parent = self._text(comment, "comment_parent").strip()
                approved.append({
                    "source_id": self._text(comment, "comment_id").strip(),
                    "parent_source_id": parent if parent not in ("", "0") else None,
                    "author": self._text(comment, "comment_author")[:200],
                    "email": self._text(comment, "comment_author_email")[:254],
                    "url": self._text(comment, "comment_author_url")[:500],
                    "created": _date(self._text(comment, "comment_date_gmt")) or _date(
                        self._text(comment, "comment_date")),
                    "html": self._text(comment, "comment_content"),
                    "type": self._text(comment, "comment_type") or "comment",
                })
            elif state == "0":
                pending += 1
            else:  # "spam", "trash"
                spam += 1
        return approved, pending, spam
