"""Memberships: who belongs to one site, and in which role."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pymongo

from cms.store.errors import Duplicate, Invalid
from cms.store.scoped import Scoped

# Ordered from most to least powerful.
ROLES = ("owner", "admin", "editor", "author", "contributor")


class Members:
    def __init__(self, db, site_id: Any) -> None:
        self._memberships = Scoped(db.memberships, site_id)
        self._users = db.users

    async def add(self, user_id: Any, role: str) -> dict:
        if role not in ROLES:
            raise Invalid("unknown role %r (one of: %s)" % (role, ", ".join(ROLES)))
        membership = {"user_id": user_id, "role": role, "created_at": dt.datetime.now(dt.timezone.utc)}
        try:
            await self._memberships.insert_one(membership)
        except pymongo.errors.DuplicateKeyError:
            raise Duplicate("that user is already a member of this site") from None
        return membership

    async def role_of(self, user_id: Any) -> str | None:
        membership = await self._memberships.find_one({"user_id": user_id})
        return membership["role"] if membership else None

    async def user_by_username(self, username: str) -> dict | None:
        """The member with that username; a non-member is as good as unknown."""
        user = await self._users.find_one({"username": username})
        if user and await self.role_of(user["_id"]):
            return user
        return None

    async def user_ids(self) -> list[Any]:
        return [m["user_id"] async for m in self._memberships.find({}, {"user_id": 1})]

    async def owner(self) -> dict | None:
        membership = await self._memberships.find_one({"role": "owner"})
        return await self._users.find_one({"_id": membership["user_id"]}) if membership else None
