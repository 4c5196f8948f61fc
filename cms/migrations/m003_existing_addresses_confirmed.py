"""Accounts made before address confirmation existed count as confirmed.

An account made with a password through a link (an invitation, a sign-up)
now starts unconfirmed and signs in only once the link sent to its address
is opened (`cms.accounts`). Accounts from before were made by operators
(``user create``, the demo) or by invitations accepted under the old rules:
they keep working, so each gets ``email_confirmed: true``. Idempotent: only
accounts without the field are written.
"""

from __future__ import annotations


async def up(db) -> None:
    # Platform-wide, as `Users` reads people: an account belongs to no one site.
    await db.users.update_many({"email_confirmed": {"$exists": False}}, {"$set": {"email_confirmed": True}})
