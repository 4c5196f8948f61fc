"""Revisions: every save of a post or page kept as one numbered version.

A revision is written after each successful save, keyed by (site, post,
version) -- unique, so a version is recorded once. Restoring a revision is an
ordinary save of its text, which makes a new version; nothing is overwritten.
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
from typing import Any

import pymongo

from cms.store.ids import new_id
from cms.store.scoped import Scoped

KEPT_FIELDS = ("title", "slug", "markdown", "tags", "custom_excerpt", "status", "published_at")


class Revisions:
    def __init__(self, db, site_id: Any) -> None:
        self._revisions = Scoped(db.revisions, site_id, affects_pages=False)

    async def record(self, post: dict, saved_by: Any) -> dict:
        revision = {
            "_id": new_id(),
            "post_id": post["_id"],
            "version": post["version"],
            "saved_by": saved_by,
            "saved_at": dt.datetime.now(dt.timezone.utc),
            **{field: post.get(field) for field in KEPT_FIELDS},
        }
        try:
            await self._revisions.insert_one(revision)
        except pymongo.errors.DuplicateKeyError:  # recorded already (a retried request)
            pass
        return revision

    async def list(self, post_id: Any, limit: int = 200) -> list[dict]:
        cursor = self._revisions.find({"post_id": post_id}, {"markdown": 0}).sort("version", -1).limit(limit)
        return [r async for r in cursor]

    async def get(self, post_id: Any, version: int) -> dict | None:
        return await self._revisions.find_one({"post_id": post_id, "version": version})


def diff_lines(old: str, new: str) -> list[tuple[str, str]]:
    """A line diff as ``(kind, text)`` pairs: kind is " ", "+", "-" or "@" (hunk)."""
    lines: list[tuple[str, str]] = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=3):
        if line.startswith(("---", "+++")):
            continue
        kind = line[:1] if line[:1] in "+-@" else " "
        lines.append((kind, line[1:] if kind != "@" else line))
    return lines


def diff_html(old: str, new: str) -> str:
    """The diff as escaped HTML rows for the admin's diff view."""
    rows = []
    classes = {"+": "add", "-": "del", "@": "hunk", " ": "ctx"}
    for kind, text in diff_lines(old, new):
        rows.append('<div class="diff-%s"><span class="diff-mark">%s</span>%s</div>'
                    % (classes[kind], html.escape(kind.strip()), html.escape(text) or "&nbsp;"))
    return "\n".join(rows) or '<div class="diff-ctx">No differences.</div>'
