"""Each site's free-text language becomes the nearest language its theme speaks.

The language was a free-text code (``de-AT``, ``pt-BR``, ``fa``) that only set
``<html lang>``; now it picks the catalogue of the theme's words and the way
dates are written, from a list (`cms.i18n.LANGUAGES`, the settings' picker).
A site keeps its language where it is supported (``de-AT`` is ``de``); a
right-to-left one keeps its direction and script (``yi`` is ``he``, ``fa``
``ar``); any other becomes English, as its theme spoke until now. Idempotent:
only sites whose language is not a supported code are written.
"""

from __future__ import annotations

import logging

from cms.i18n import LANGUAGES, nearest

log = logging.getLogger(__name__)


async def up(db) -> None:
    # Platform-wide, as `Sites` reads sites; each write names one site by its _id.
    cursor = db.sites.find({"language": {"$nin": list(LANGUAGES)}}, {"name": 1, "language": 1})
    async for site in cursor:
        language = nearest(site.get("language"))
        await db.sites.update_one({"_id": site["_id"], "language": site.get("language")},
                                  {"$set": {"language": language}})
        log.info("site %s: language %r is now %s", site.get("name"), site.get("language"), language)
