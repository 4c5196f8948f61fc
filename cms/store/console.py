"""What the operators' console reads: the platform across its tenants.

Every other store is bound to one site; the console's job is to look over
all of them (which sites there are, whose they are, how much they hold), so
its queries are platform-wide by design. They only *read*: what the console
changes goes through the stores that own the data (`Sites.suspend`,
`Sites.set_quota`, `Sites.delete`, `Users.set_disabled`).

Lists are paginated and look up their extra columns (owner, posts, last
activity) for the rows of one page only, in one query per column.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from cms.store.pages import Page

PER_PAGE = 25
MAX_QUERY = 100


def _pattern(query: str) -> dict:
    """A case-insensitive substring match of what the operator typed (never a regex of theirs)."""
    return {"$regex": re.escape(query.strip()[:MAX_QUERY]), "$options": "i"}


def as_datetime(value: Any) -> dt.datetime | None:
    """A datetime from an aggregation's ``$max``/``$min`` of dates.

    MongoDB answers a datetime; nx-27017 answers its extended-JSON text
    (``'{"$date": "2026-11-26T11:31:56.497000"}'``, pinned in
    tests/http/test_embedded_database.py). This is the one place that reads both.
    """
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, str) and value.startswith("{"):
        try:
            text = json.loads(value)["$date"]
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=dt.timezone.utc)
        except (ValueError, KeyError, TypeError):
            return None
    return None


class Console:
    """Platform-wide reads for operators."""

    def __init__(self, db) -> None:
        self.db = db

    # --- sites ------------------------------------------------------------------------

    async def sites(self, query: str = "", number: int = 1, per_page: int = PER_PAGE) -> Page:
        """Sites, newest first; ``query`` matches the name, the title or a custom domain.

        Each row is the site document plus ``owner`` (a user or None), ``posts``
        (posts and pages), ``last_activity`` (the latest save, else the creation)
        and ``storage`` (media bytes, every rendition counted).
        """
        filter: dict[str, Any] = {}
        if query.strip():
            pattern = _pattern(query)
            filter["$or"] = [{"name": pattern}, {"title": pattern}, {"domains": pattern}]
        total = await self.db.sites.count_documents(filter)
        cursor = self.db.sites.find(filter).sort([("created_at", -1), ("_id", -1)]) \
            .skip((number - 1) * per_page).limit(per_page)
        sites = [site async for site in cursor]
        await self._describe(sites)
        return Page(sites, number, per_page, total)

    async def _describe(self, sites: list[dict]) -> None:
        ids = [site["_id"] for site in sites]
        if not ids:
            return
        owners: dict[Any, Any] = {}
        async for membership in self.db.memberships.find({"site_id": {"$in": ids}, "role": "owner"}):
            owners.setdefault(membership["site_id"], membership["user_id"])
        people = {user["_id"]: user async for user in self.db.users.find(
            {"_id": {"$in": list(set(owners.values()))}}, {"email": 1, "name": 1})}
        posts: dict[Any, tuple[int, Any]] = {}
        async for row in self.db.posts.aggregate([
            {"$match": {"site_id": {"$in": ids}}},
            {"$group": {"_id": "$site_id", "n": {"$sum": 1}, "last": {"$max": "$updated_at"}}},
        ]):
            posts[row["_id"]] = (row["n"], as_datetime(row["last"]))
        for site in sites:
            count, last = posts.get(site["_id"], (0, None))
            site["owner"] = people.get(owners.get(site["_id"]))
            site["posts"] = count
            site["last_activity"] = last or site.get("created_at")
            site["storage"] = int((site.get("usage") or {}).get("media_bytes", 0))

    async def site(self, site_id: Any) -> dict | None:
        """One site with the same extra columns as `sites`, whatever its status."""
        if not isinstance(site_id, str):
            return None
        site = await self.db.sites.find_one({"_id": site_id})
        if site is not None:
            await self._describe([site])
        return site

    # --- accounts -------------------------------------------------------------------------

    async def accounts(self, query: str = "", number: int = 1, per_page: int = PER_PAGE) -> Page:
        """Accounts, newest first; ``query`` matches the e-mail, the name or the username.
        Each row has ``sites``: how many sites the person is a member of."""
        filter: dict[str, Any] = {}
        if query.strip():
            pattern = _pattern(query)
            filter["$or"] = [{"email": pattern}, {"name": pattern}, {"username": pattern}]
        total = await self.db.users.count_documents(filter)
        cursor = self.db.users.find(filter, {"password_hash": 0}).sort([("created_at", -1), ("_id", -1)]) \
            .skip((number - 1) * per_page).limit(per_page)
        users = [user async for user in cursor]
        counts = {row["_id"]: row["n"] async for row in self.db.memberships.aggregate([
            {"$match": {"user_id": {"$in": [user["_id"] for user in users]}}},
            {"$group": {"_id": "$user_id", "n": {"$sum": 1}}},
        ])} if users else {}
        for user in users:
            user["sites"] = counts.get(user["_id"], 0)
        return Page(users, number, per_page, total)

    async def account(self, user_id: Any) -> dict | None:
        if not isinstance(user_id, str):
            return None
        return await self.db.users.find_one({"_id": user_id}, {"password_hash": 0})

    async def sites_of(self, user_id: Any) -> list[tuple[dict, str]]:
        """The sites a person is a member of, with their role there, by site name."""
        roles = {m["site_id"]: m["role"] async for m in self.db.memberships.find({"user_id": user_id})}
        sites = [site async for site in self.db.sites.find({"_id": {"$in": list(roles)}})]
        return sorted(((site, roles[site["_id"]]) for site in sites), key=lambda pair: pair[0]["name"])

    # --- the platform's numbers ------------------------------------------------------------

    async def numbers(self, now: dt.datetime | None = None) -> dict[str, int]:
        """Sites (and how many suspended), accounts, posts, media bytes, sign-ups in the last 7 days,
        comments (and how many await moderation)."""
        now = now or dt.datetime.now(dt.timezone.utc)
        media = [row async for row in self.db.sites.aggregate(
            [{"$group": {"_id": None, "bytes": {"$sum": "$usage.media_bytes"}}}])]
        return {
            "sites": await self.db.sites.count_documents({}),
            "suspended": await self.db.sites.count_documents({"suspended": {"$exists": True}}),
            "accounts": await self.db.users.count_documents({}),
            "posts": await self.db.posts.count_documents({"type": "post"}),
            # ``or 0``: nx-27017's $sum over documents without the field is None, MongoDB's 0.
            "media_bytes": int(media[0]["bytes"] or 0) if media else 0,
            "signups_7d": await self.db.users.count_documents({"created_at": {"$gte": now - dt.timedelta(days=7)}}),
            # readers' comments of every site (cms/store/comments.py), and those awaiting moderation
            "comments": await self.db.comments.count_documents({}),
            "comments_pending": await self.db.comments.count_documents({"status": "pending"}),
        }
