"""A site never ends up without an owner, even when owners act at the same moment."""

from __future__ import annotations

import asyncio

import pytest

from cms.store import StoreError


async def two_owners(world):
    store = await world.site("alpha")
    first = await world.member(store, "owner")
    second = await world.member(store, "owner")
    return store, first, second


async def settle(*operations) -> list:
    return await asyncio.gather(*operations, return_exceptions=True)


@pytest.mark.parametrize("attempt", range(3))
async def test_two_owners_demoting_each_other_at_once_leave_an_owner(world, attempt):
    store, first, second = await two_owners(world)
    results = await settle(store.members.set_role(first["_id"], "admin"),
                           store.members.set_role(second["_id"], "admin"))
    assert await store.members.owner_count() >= 1
    assert all(r is None or isinstance(r, StoreError) for r in results)


@pytest.mark.parametrize("attempt", range(3))
async def test_two_owners_removing_each_other_at_once_leave_an_owner(world, attempt):
    store, first, second = await two_owners(world)
    await settle(store.members.remove(first["_id"]), store.members.remove(second["_id"]))
    assert await store.members.owner_count() >= 1


async def test_a_refused_removal_leaves_the_membership_as_it_was(world):
    store, first, second = await two_owners(world)
    await settle(store.members.remove(first["_id"]), store.members.remove(second["_id"]))
    for person in (first, second):
        role = await store.members.role_of(person["_id"])
        assert role in (None, "owner")
