"""Revisions: every save of a post or page kept as one numbered version.

A revision is keyed by (site, post, version) -- unique, so a version is
recorded once. It is written *before* the post gets that version, as the first
step of a save (cms/store/saving.py): so a revision may exist for a version the
post never reached (a save that crashed or lost a race). The history therefore
shows versions up to the post's own only, and the post's current version from
the post itself when its revision does not match it (``save_id`` differs).
Restoring a revision is an ordinary save of its text, which makes a new
version; nothing is overwritten.
"""

from __future__ import annotations

from typing import Any

import pymongo

from cms.store.scoped import Scoped

# Every field of a post an author sets, so History can bring any of them back.
KEPT_FIELDS = ("title", "slug", "markdown", "tags", "custom_excerpt", "status", "published_at", "featured_image",
               "author_id", "comments_closed")


def revision_of(post: dict) -> dict:
    """The revision recording ``post`` as it is (its version, text and who saved it when)."""
    return {
        "post_id": post["_id"],
        "version": post["version"],
        "save_id": post.get("save_id"),
        "saved_by": post.get("updated_by") or post.get("author_id"),
        "saved_at": post.get("updated_at"),
        **{field: post.get(field) for field in KEPT_FIELDS},
    }


class Revisions:
    def __init__(self, db, site_id: Any) -> None:
        self._revisions = Scoped(db.revisions, site_id, affects_pages=False)

    async def prepare(self, post: dict, session: Any = None) -> None:
        """Write the revision of ``post``, replacing one left for the same version (a stray)."""
        key = {"post_id": post["_id"], "version": post["version"]}
        for attempt in (1, 2):
            try:
                await self._revisions.replace_one(key, revision_of(post), upsert=True, session=session)
                return
            except pymongo.errors.DuplicateKeyError:
                # Two upserts of one version at once: the other inserted it, replace it now.
                if attempt == 2:
                    raise

    async def forget(self, post: dict) -> None:
        """Remove the revision `prepare` wrote for ``post`` when its save was refused."""
        await self._revisions.delete_one({"post_id": post["_id"], "version": post["version"],
                                          "save_id": post.get("save_id")})

    async def settle(self, post: dict, session: Any = None) -> None:
        """Make the revision of the post's current version match the post.

        It may be missing (written by code before revisions came first) or
        another save's (a racing save that lost overwrote it with its own).
        """
        found = await self._revisions.find_one({"post_id": post["_id"], "version": post["version"]},
                                               {"save_id": 1}, session=session)
        if found is None or found.get("save_id") != post.get("save_id"):
            await self.prepare(post, session=session)

    async def list(self, post_id: Any, limit: int = 200, current: dict | None = None) -> list[dict]:
        """The revisions of a post, newest first (without their text).

        With ``current`` (the post as stored now), only the versions it has
        reached, and its own version as the post shows it.
        """
        filter: dict[str, Any] = {"post_id": post_id}
        if current is not None:
            filter["version"] = {"$lte": current["version"]}
        cursor = self._revisions.find(filter, {"markdown": 0}).sort("version", -1).limit(limit)
        revisions = [r async for r in cursor]
        if current is not None:
            top = revisions[0] if revisions else None
            if top is None or top["version"] != current["version"] or top.get("save_id") != current.get("save_id"):
                mine = revision_of(current)
                del mine["markdown"]
                revisions = [mine] + [r for r in revisions if r["version"] != current["version"]]
        return revisions

    async def get(self, post_id: Any, version: int, current: dict | None = None) -> dict | None:
        """One revision; with ``current``, none past its version, and its own version as it is."""
        if current is not None:
            if version > current["version"]:
                return None
            if version == current["version"]:
                found = await self._revisions.find_one({"post_id": post_id, "version": version})
                if found is None or found.get("save_id") != current.get("save_id"):
                    return revision_of(current)
                return found
        return await self._revisions.find_one({"post_id": post_id, "version": version})

