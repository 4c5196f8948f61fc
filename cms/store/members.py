"""Memberships: who belongs to one site, and in which role."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pymongo

from cms.store.errors import Duplicate, Invalid, NotFound
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

    async def list(self) -> list[dict]:
        """Every membership with its user, most powerful role first, then by name."""
        memberships = [m async for m in self._memberships.find({})]
        users = {u["_id"]: u async for u in self._users.find({"_id": {"$in": [m["user_id"] for m in memberships]}})}
        rows = [{**m, "user": users[m["user_id"]]} for m in memberships if m["user_id"] in users]
        return sorted(rows, key=lambda r: (ROLES.index(r["role"]), r["user"]["name"].lower()))

    async def owner_count(self) -> int:
        return await self._memberships.count_documents({"role": "owner"})

    async def set_role(self, user_id: Any, role: str) -> None:
        """Change a member's role. The last owner cannot stop being one (`Invalid`)."""
        if role not in ROLES:
            raise Invalid("unknown role %r (one of: %s)" % (role, ", ".join(ROLES)))
        current = await self.role_of(user_id)
        if current is None:
            raise NotFound("no such member")
        if current == "owner" and role != "owner" and await self.owner_count() <= 1:
            raise Invalid("the site's only owner cannot be demoted: transfer ownership first")
        await self._memberships.update_one({"user_id": user_id}, {"$set": {"role": role}})
        if current == "owner" and role != "owner" and not await self.owner_count():
            # Another owner stepped down at the same moment: undo ours, so the
            # site keeps an owner (the check above and the write are not one step).
            await self._memberships.update_one({"user_id": user_id}, {"$set": {"role": "owner"}})
            raise Invalid("the site's only owner cannot be demoted: transfer ownership first")

    async def remove(self, user_id: Any) -> None:
        """End a membership. The last owner cannot be removed (`Invalid`)."""
        current = await self.role_of(user_id)
        if current is None:
            raise NotFound("no such member")
        if current == "owner" and await self.owner_count() <= 1:
            raise Invalid("the site's only owner cannot be removed: transfer ownership first")
        membership = await self._memberships.find_one_and_delete({"user_id": user_id})
        if membership and current == "owner" and not await self.owner_count():
            # Another owner left at the same moment: put ours back (see set_role).
            await self._memberships.insert_one(membership)
            raise Invalid("the site's only owner cannot be removed: transfer ownership first")

    async def transfer_ownership(self, from_user_id: Any, to_user_id: Any) -> None:
        """Make another member the owner; the previous owner stays on as an admin.

        The new owner is promoted first, so the site is never without one.
        """
        if from_user_id == to_user_id:
            raise Invalid("you own this site already")
        if await self.role_of(to_user_id) is None:
            raise NotFound("ownership can only go to a member of this site")
        await self._memberships.update_one({"user_id": to_user_id}, {"$set": {"role": "owner"}})
        await self._memberships.update_one({"user_id": from_user_id, "role": "owner"}, {"$set": {"role": "admin"}})
