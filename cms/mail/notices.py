"""Notices to a site's owners: the platform telling the people responsible for a site
that something happened there (a new comment waiting, a domain verified...).

One call, `notify_owners`; callers say what happened in plain text. Each
owner gets their own message (no address sees the others'), about that site
only (``site_id`` on every message), and only owners whose address is
confirmed: a notice must not go to an address nobody proved.
"""

from __future__ import annotations

import logging
from typing import Any

from cms.store import Members
from cms.store.users import is_confirmed

log = logging.getLogger(__name__)


async def notify_owners(db: Any, mail: Any, site: dict, subject: str, text: str, kind: str = "notice",
                        headers: dict[str, str] | None = None) -> int:
    """Queue ``subject``/``text`` for every owner of ``site``; the number of messages queued."""
    owners = [row["user"] for row in await Members(db, site["_id"]).list() if row["role"] == "owner"]
    sent = 0
    for owner in owners:
        if not is_confirmed(owner):
            continue
        await mail.send(owner["email"], "[%s] %s" % (site.get("title") or site["name"], subject), text,
                        kind=kind, site_id=site["_id"], headers=headers)
        sent += 1
    log.info("notice %r to %d owner(s) of %s", kind, sent, site["name"])
    return sent
