"""Per-site storage quota: ``CMS_SITE_QUOTA_MB`` (1 GB by default) or the site's own
from the console, counted over every rendition, enforced on upload with a 413 that
says used/limit, and nothing stored; other sites are not affected.
"""

from __future__ import annotations

import json

import pytest

from cms.images.process import process
from cms.store.errors import OverQuota
from tests import images
from tests.admin_session import signed_in
from tests.http.test_media import upload

MB = 1024 * 1024


@pytest.fixture
async def two_sites(world, client):
    """alpha and beta, each with its owner signed in."""
    found = {}
    for name in ("alpha", "beta"):
        store = await world.site(name)
        owner = await world.member(store, "owner")
        found[name] = store, await signed_in(client, name, owner)
    return found


async def stored(db, store) -> tuple[int, int, dict]:
    """(media items, GridFS files, usage) of a site, read from the database."""
    items = await db.media_items.count_documents({"site_id": store.site_id})
    files = len([f async for f in db["media.files"].find({"metadata.site_id": store.site_id}, {"_id": 1})])
    return items, files, await store.media.stored()


async def fill(db, store, used: int) -> None:
    """The site has stored ``used`` bytes already (as many uploads would have counted)."""
    await db.sites.update_one({"_id": store.site_id}, {"$set": {"usage.media_bytes": used, "usage.media_files": 3}})


async def test_a_site_at_its_quota_cannot_upload_and_another_site_can(two_sites, world, db):
    (alpha, alpha_session), (beta, beta_session) = two_sites["alpha"], two_sites["beta"]
    await world.sites.set_quota(alpha.site_id, 2)
    await fill(db, alpha, 2 * MB)
    before = await stored(db, alpha)

    refused = await upload(alpha_session, [("photo.jpg", images.jpeg(), "image/jpeg")])
    assert refused.code == 413
    assert json.loads(refused.body)["error"].startswith("Not enough storage left on this site: 2 MB used of 2 MB.")
    assert await stored(db, alpha) == before

    accepted = await upload(beta_session, [("photo.jpg", images.jpeg(), "image/jpeg")])
    assert accepted.code == 201, accepted.body
    items, files, usage = await stored(db, beta)
    assert items == 1 and files >= 2 and usage["media_files"] == files


async def test_an_upload_that_does_not_fit_is_refused_after_processing_and_leaves_nothing(two_sites, world, db):
    alpha, session = two_sites["alpha"]
    await world.sites.set_quota(alpha.site_id, 1)
    await fill(db, alpha, MB - 100)
    before = await stored(db, alpha)

    refused = await upload(session, [("photo.jpg", images.jpeg(), "image/jpeg")], accept_json=False)
    assert refused.code == 413
    assert b"Not enough storage left on this site: 1024.0 KB" not in refused.body  # (megabytes, not KB)
    assert b"1.0 MB used of 1 MB, and this upload needs" in refused.body
    assert await stored(db, alpha) == before


async def test_storage_counts_every_rendition_and_the_default_quota_comes_from_settings(two_sites, settings, db):
    alpha, session = two_sites["alpha"]
    response = await upload(session, [("photo.jpg", images.jpeg(), "image/jpeg")])
    assert response.code == 201
    item = await db.media_items.find_one({"site_id": alpha.site_id})
    grid = [f async for f in db["media.files"].find({"metadata.site_id": alpha.site_id}, {"length": 1})]
    usage = await alpha.media.stored()
    assert usage["media_bytes"] == item["bytes"] == sum(f["length"] for f in grid) and len(grid) > 1

    page = await session.get("/admin/media")
    assert b"of 1024 MB stored" in page.body  # CMS_SITE_QUOTA_MB's default: 1 GB
    settings.site_quota_mb = 3
    page = await session.get("/admin/media")
    assert b"of 3 MB stored" in page.body


async def test_the_last_room_goes_to_one_upload_and_the_next_is_refused(world, db):
    store = await world.site("gamma")
    owner = await world.member(store, "owner")
    processed = [process(images.jpeg(colour=colour)) for colour in ("red", "blue")]
    size = sum(f.length for f in processed[0].files)
    await fill(db, store, MB - size - 10)  # room for the first, not for both
    first = await store.media.add(processed[0], "red.jpg", owner["_id"], quota_bytes=MB)
    assert first[1] is True
    with pytest.raises(OverQuota):
        await store.media.add(processed[1], "blue.jpg", owner["_id"], quota_bytes=MB)
    items, _, usage = await stored(db, store)
    assert items == 1 and usage["media_bytes"] == MB - 10


@pytest.mark.parametrize("quota", [0, -5, 10**9, "12"])
async def test_a_bad_quota_is_refused_and_changes_nothing(world, quota):
    store = await world.site("delta")
    with pytest.raises(Exception, match="whole number of MB"):
        await world.sites.set_quota(store.site_id, quota)
    assert "quota_mb" not in await world.sites.by_id(store.site_id)
