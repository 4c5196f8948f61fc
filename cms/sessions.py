"""Sign-in sessions: the cookie on one side, the server's record on the other.

The cookie carries a random session id, signed with the cookie secret; the
server keeps the session (cms/store/sessions.py: the id's hash, person, site,
times, device). So signing out ends the session itself, not only the
browser's copy of the cookie, and a person can see and end their sessions on
the account page. The cookie is HttpOnly, SameSite=Lax, and Secure when the
request came over https (``request.protocol``, which the app rewrites from
``X-Forwarded-Proto`` behind a trusted proxy). A session is good only on the
site it was made on, and only while the person's ``session_version`` is the
one it was made with ("sign out everywhere" and a new password move it on).
The platform's own host (the bare base domain) has sessions too, under
`PLATFORM`: "Your sites", and the handovers to each site (cms/store/handovers.py).

Every way of signing in (password, Google, accepting an invitation) calls
`start`; only handlers that act for a signed-in person call `load` (reader
pages never do: they are shared by everyone through the page cache).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from cms.httperrors import Refusal
from cms.store import Sessions, Users
from cms.store.changes import PLATFORM
from cms.store.sessions import IDLE

log = logging.getLogger(__name__)

COOKIE = "cms_session"
MAX_AGE_DAYS = IDLE.days  # the cookie lives as long as the server keeps an idle session
DISABLED = "This account has been disabled by the platform's operators."


def scope_of(handler: Any) -> Any:
    """Where a session of this request lives: the site's id, or `PLATFORM` on the
    platform's own host (the bare base domain), or None (an unknown host)."""
    if handler.site is not None:
        return handler.site["_id"]
    return PLATFORM if getattr(handler, "is_platform", False) else None


async def start(handler: Any, user: dict, parent: Any = None) -> dict:
    """Sign ``user`` in on the handler's site (or the platform): a new session and its cookie.

    A session this browser had here ends: a new sign-in never reuses an id
    (no session fixation), and leaves no orphan in the account page's list.
    ``parent``: the platform session that handed this sign-in over to a site.
    An account the platform's operators disabled gets no session (a 403 that says so).
    """
    if user.get("disabled"):  # (1 rather than True on nx-27017: read as a truth value)
        log.info("refused a sign-in of the disabled account %s", user["_id"])
        raise Refusal(403, DISABLED)
    store = Sessions(handler.db, scope_of(handler))
    if getattr(handler, "session", None) is not None:
        await store.replace(handler.session)
    token, session = await store.start(user, device_of(handler.request.headers.get("User-Agent", "")), parent)
    handler.set_signed_cookie(
        COOKIE,
        token,
        expires_days=MAX_AGE_DAYS,
        httponly=True,
        samesite="Lax",
        secure=handler.request.protocol == "https",
    )
    handler.session = session
    return session


async def end(handler: Any) -> None:
    """Sign out here: the session ends on the server, and the browser forgets the cookie."""
    token = _token(handler)
    if token and scope_of(handler) is not None:
        await Sessions(handler.db, scope_of(handler)).end(token)
    handler.clear_cookie(COOKIE)
    handler.session = None


async def load(handler: Any) -> tuple[dict | None, dict | None]:
    """The signed-in user of this request on this site and their session, or (None, None)."""
    token = _token(handler)
    if not token or scope_of(handler) is None:
        return None, None
    store = Sessions(handler.db, scope_of(handler))
    session = await store.find(token)
    if session is None:
        return None, None
    user = await Users(handler.db).by_id(session["user_id"])
    if user is None or user.get("session_version", 1) != session.get("version") or user.get("disabled"):
        return None, None
    if session.get("parent") is not None and not await Sessions(handler.db, PLATFORM).alive(session["parent"]):
        # Handed over by a platform session that is over (signed out, or idle too long):
        # platform sign-out deletes such sessions, and this covers one made meanwhile.
        return None, None
    await store.touch(session)
    return user, session


def _token(handler: Any) -> str | None:
    raw = handler.get_signed_cookie(COOKIE, max_age_days=MAX_AGE_DAYS)
    try:
        return raw.decode("ascii") if raw else None
    except UnicodeDecodeError:
        log.info("ignoring a malformed session cookie")
        return None


# --- what the account page calls a device ------------------------------------------------

_BROWSERS = [  # the first that matches; order matters (Edge and Opera also say Chrome, Chrome says Safari)
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/|\bOpera\b")),
    ("Firefox", re.compile(r"\bFirefox/|\bFxiOS/")),
    ("Chrome", re.compile(r"\b(?:Headless)?Chrome/|\bCriOS/|\bChromium/")),
    ("Safari", re.compile(r"\bVersion/[\d.]+.*\bSafari/")),
    ("curl", re.compile(r"^curl/")),
]
_SYSTEMS = [
    ("iPhone", re.compile(r"\biPhone\b")),
    ("iPad", re.compile(r"\biPad\b")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("Linux", re.compile(r"\bLinux\b")),
]


def device_of(user_agent: str) -> str:
    """A short, readable summary of a User-Agent: "Firefox on Linux", "Safari on iPhone"."""
    user_agent = (user_agent or "")[:500]
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), None)
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), None)
    if browser and system:
        return "%s on %s" % (browser, system)
    return browser or (system and "A browser on %s" % system) or "An unknown browser"
