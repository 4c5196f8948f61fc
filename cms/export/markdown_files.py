"""Posts and pages as Markdown files with YAML front matter, for static site generators.

The zip is laid out the way Hugo reads a site, which Jekyll and Eleventy
take with little change::

    content/posts/<slug>.md     a post (Hugo's default address: /posts/<slug>/, as here)
    content/<slug>.md           a page (/<slug>/)
    static/media/<item>/<file>  every file of the media library, at the path the
                                Markdown already uses (/media/<item>/<file>)

Front matter (YAML, written by PyYAML so every value is quoted as YAML
needs): ``title``, ``slug``, ``date`` (publication time, or creation time
of a draft), ``lastmod``, ``draft`` (true for drafts; a scheduled post is
not a draft, its date is in the future), ``tags``, ``author``, ``excerpt``,
``featured_image`` with ``featured_image_alt`` and ``featured_image_caption``.
The body is the author's Markdown as written.
"""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from typing import Any

import yaml

from cms.export.archive import CHUNK, zip_time
from cms.store import SiteStore
from cms.store.site_data import SiteData

CONTENT = "content/"
STATIC_MEDIA = "static/media/"


def _iso(when: dt.datetime | None) -> str | None:
    return when.astimezone(dt.timezone.utc).isoformat() if when else None


def front_matter(post: dict, author: str | None) -> dict[str, Any]:
    featured = post.get("featured_image") or {}
    matter: dict[str, Any] = {
        "title": post["title"],
        "slug": post["slug"],
        "date": _iso(post.get("published_at") or post.get("created_at")),
        "lastmod": _iso(post.get("updated_at")),
        "draft": post.get("status") != "published",
        "tags": list(post.get("tags") or []),
    }
    if author:
        matter["author"] = author
    excerpt = post.get("custom_excerpt") or post.get("excerpt")
    if excerpt:
        matter["excerpt"] = excerpt
    if featured.get("url"):
        matter["featured_image"] = featured["url"]
        matter["featured_image_alt"] = featured.get("alt") or ""
        if featured.get("caption"):
            matter["featured_image_caption"] = featured["caption"]
    return matter


def markdown_file(post: dict, author: str | None) -> str:
    """One post or page as the text of its ``.md`` file."""
    matter = yaml.safe_dump(front_matter(post, author), sort_keys=False, allow_unicode=True, width=1000)
    body = post.get("markdown", "")
    return "---\n%s---\n\n%s%s" % (matter, body, "" if body.endswith("\n") else "\n")


def path_of(post: dict) -> str:
    return CONTENT + ("posts/%s.md" if post["type"] == "post" else "%s.md") % post["slug"]


async def write_markdown(store: SiteStore, path: str | os.PathLike) -> dict[str, int]:
    """Write the site's posts, pages and media files as a zip at ``path``; how many of each."""
    data = SiteData(store.db, store.site_id)
    authors = {user_id: person.get("name") or person.get("username")
               for user_id, person in (await data.people(await data.referenced_people())).items()}
    counts = {"posts": 0, "media_files": 0}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        async for post in data.posts():
            info = zipfile.ZipInfo(path_of(post), zip_time(post.get("updated_at")))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, markdown_file(post, authors.get(post.get("author_id"))))
            counts["posts"] += 1
        async for item in data.media_items():
            for entry in item.get("files", []):
                source = await store.media.open(entry["name"])
                if source is None:
                    continue
                info = zipfile.ZipInfo(STATIC_MEDIA + entry["name"], zip_time(item.get("created_at")))
                info.compress_type = zipfile.ZIP_STORED
                with archive.open(info, "w", force_zip64=True) as target:
                    while chunk := await source.read(CHUNK):
                        target.write(chunk)
                counts["media_files"] += 1
    return counts
