"""`Throttle`: a limit on failed password attempts, per site, shared by every process.

Each failure is a document (site_id, key, at) that a TTL index removes after
the window; a key is over its limit when it has too many failures inside the
window. Keys name what is being guessed at without storing it: the e-mail
typed (hashed), the client address, or an account whose current password is
asked for. A success clears the key's failures.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from cms.store.ids import new_id
from cms.store.scoped import Scoped

WINDOW = dt.timedelta(minutes=15)
# "invited": wrong passwords typed on invitation pages for an e-mail, counted
# platform-wide (`Throttle(db, PLATFORM)`): an inviter controls their own sites,
# so a per-site count would grow with every site they run.
# "reset" / "reset-ip": password reset links asked for, per address (platform-wide) and per
# client (per site): every request counts, since each one sends an e-mail.
# "signup-ip" / "signup-email": accounts asked for on the platform's /signup, per client and per
# address (platform-wide): every attempt counts, since each one may send an e-mail.
LIMITS = {"email": 10, "ip": 50, "account": 10, "invited": 10, "reset": 5, "reset-ip": 30,
          "signup-ip": 10, "signup-email": 3}


def key_for(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()[:32]
    return "%s:%s" % (kind, digest)


class Throttle:
    def __init__(self, db, site_id: Any) -> None:
        self._failures = Scoped(db.sign_in_failures, site_id, affects_pages=False)

    async def blocked(self, keys: list[str]) -> bool:
        """True when any key has reached its limit inside the window."""
        since = dt.datetime.now(dt.timezone.utc) - WINDOW
        for key in keys:
            limit = LIMITS[key.split(":", 1)[0]]
            if await self._failures.count_documents({"key": key, "at": {"$gt": since}}) >= limit:
                return True
        return False

    async def failed(self, keys: list[str]) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        for key in keys:
            await self._failures.insert_one({"_id": new_id(), "key": key, "at": now})

    async def succeeded(self, key: str) -> None:
        await self._failures.delete_many({"key": key})
