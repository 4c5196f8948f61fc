"""The unsubscribe token: which subscriber of which site, signed with the cookie keys.

Every newsletter carries a link with it. It is signed like a cookie (Tornado's
signed values, so a key rotation keeps old links working) rather than stored:
nothing to look up, nothing to leak from the database. It names the site as
well as the subscriber, so it is refused on any other site's host.
"""

from __future__ import annotations

from typing import Any

import tornado.web

NAME = "unsubscribe"
MAX_AGE_DAYS = 3650  # an old newsletter's link still works: unsubscribing must never expire
MAX_TOKEN = 400


def unsubscribe_token(settings: dict, site_id: str, subscriber_id: str) -> str:
    """The token of ``subscriber_id`` of ``site_id``; ``settings`` are the application's."""
    value = "%s|%s" % (site_id, subscriber_id)
    return tornado.web.create_signed_value(settings["cookie_secret"], NAME, value,
                                           key_version=settings.get("key_version")).decode("ascii")


def subscriber_of(settings: dict, site_id: Any, token: str) -> str | None:
    """The subscriber id a token names on ``site_id``; None if forged, mangled or another site's."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        return None
    value = tornado.web.decode_signed_value(settings["cookie_secret"], NAME, token, max_age_days=MAX_AGE_DAYS,
                                            min_version=2)
    if value is None:
        return None
    token_site, _, subscriber_id = value.decode("ascii", "replace").partition("|")
    return subscriber_id if token_site == site_id and subscriber_id else None
