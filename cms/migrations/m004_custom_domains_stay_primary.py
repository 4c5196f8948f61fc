"""Sites that had custom domains before primary addresses existed keep being read there.

Until now every host of a site served its own copy of each page; now one
address is primary and the others answer 301 to it (`cms.tenancy.primary_host`).
A site whose operator had given it custom domains was read at them, so the
first of its domains (they were kept sorted) becomes its primary address,
rather than every reader being sent to ``<name>.<base domain>``. Its owner can
change that at ``/admin/domains``. Idempotent: only sites with domains and no
``primary_domain`` (nor a ``domains_rev``, i.e. never edited since) are written.
"""

from __future__ import annotations


async def up(db) -> None:
    # Platform-wide, as `Sites` reads sites; each write names one site by its _id.
    cursor = db.sites.find({"primary_domain": {"$exists": False}, "domains_rev": {"$exists": False}},
                           {"domains": 1})
    async for site in cursor:
        domains = site.get("domains") or []
        if domains:
            await db.sites.update_one({"_id": site["_id"], "primary_domain": {"$exists": False}},
                                      {"$set": {"primary_domain": sorted(domains)[0]}})
