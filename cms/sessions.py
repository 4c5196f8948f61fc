"""Sign-in sessions: one signed cookie per site host.

The cookie carries the user's id, their ``session_version`` and the site's id,
signed with the cookie secret. It is HttpOnly, SameSite=Lax, and Secure when
the request came over https (``request.protocol``, which the app rewrites from
``X-Forwarded-Proto`` behind a trusted proxy). Bumping the user's
``session_version`` (on "sign out everywhere" or a password change) ends every
session at once; a cookie made for one site is worthless on another.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from cms.store import Users

log = logging.getLogger(__name__)

COOKIE = "cms_session"
MAX_AGE_DAYS = 14


def start(handler: Any, user: dict) -> None:
    value = json.dumps({"u": user["_id"], "v": user.get("session_version", 1), "s": handler.site["_id"]})
    handler.set_signed_cookie(
        COOKIE,
        value,
        expires_days=MAX_AGE_DAYS,
        httponly=True,
        samesite="Lax",
        secure=handler.request.protocol == "https",
    )


def end(handler: Any) -> None:
    handler.clear_cookie(COOKIE)


async def load(handler: Any) -> dict | None:
    """The signed-in user of this request on this site, or None."""
    raw = handler.get_signed_cookie(COOKIE, max_age_days=MAX_AGE_DAYS)
    if not raw or handler.site is None:
        return None
    try:
        data = json.loads(raw)
        user_id, version, site_id = data["u"], int(data["v"]), data["s"]
    except (ValueError, KeyError, TypeError):
        log.info("ignoring a malformed session cookie")
        return None
    if site_id != handler.site["_id"] or not isinstance(user_id, str):
        return None
    user = await Users(handler.db).by_id(user_id)
    if user is None or user.get("session_version", 1) != version:
        return None
    return user
