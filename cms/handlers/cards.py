"""Images a site draws itself: share cards of posts and the site's touch icon.

``/cards/<post id>-<version>.png`` is the share image of a post or page
without a featured image (`cms.text.structured.share_image` links it); the
version in the URL makes each one immutable, so browsers and crawlers keep it
for a year, and an old version answers 302 to the current one.
``/apple-touch-icon.png`` is the site's logo on a 180×180 square (or its
initial). Both are drawn in the image pool (`cms.images.cards`) and kept in
this process, a few hundred at most. `site_logo` gives the logo's size to
reader pages (``og:image``, JSON-LD, ``width``/``height`` on the ``<img>``).
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import logging
from typing import Any

import tornado.web

from cms.handlers.base import SiteHandler
from cms.images import cards
from cms.images import pool as images_pool
from cms.images.process import Rejected

log = logging.getLogger(__name__)

KEEP = 300  # drawn images kept per process
KEEP_LOGOS = 5000
_drawn: collections.OrderedDict[Any, bytes] = collections.OrderedDict()
_logos: dict[Any, dict | None] = {}


def _keep(key: Any, body: bytes) -> None:
    _drawn[key] = body
    while len(_drawn) > KEEP:
        _drawn.popitem(last=False)


async def site_logo(handler: SiteHandler) -> dict | None:
    """``{"url", "width", "height", "alt"}`` of the site's logo (a theme setting naming a
    media file), or None. A media file never changes under its URL, so its size is kept."""
    settings = handler.theme.settings_for(handler.site) if handler.theme else {}
    url = settings.get("logo")
    if not url or not isinstance(url, str):
        return None
    key = (handler.site["_id"], url)
    if key not in _logos:
        item = (await handler.store.media.by_urls([url])).get(url)
        found = next((f for f in item["files"] if f["url"] == url), None) if item else None
        if len(_logos) > KEEP_LOGOS:
            _logos.clear()
        _logos[key] = {"url": url, "width": found["width"], "height": found["height"]} if found else {"url": url}
    logo = _logos[key]
    return {**logo, "alt": handler.site.get("title", "")} if logo else None


class DrawnImageHandler(SiteHandler):
    cacheable = False  # kept here, as bytes, not as a page

    async def send_png(self, key: Any, draw: Any, *args: Any, immutable: bool) -> None:
        body = _drawn.get(key)
        if body is None:
            try:
                body = await images_pool.pool.run(draw, *args)
            except Rejected:  # the pool is full: come back in a minute
                raise tornado.web.HTTPError(503) from None
            _keep(key, body)
        self.set_header("Content-Type", "image/png")
        self.set_header("Cache-Control", "public, max-age=31536000, immutable" if immutable
                        else "public, max-age=86400")
        self.set_header("Etag", '"%s"' % hashlib.sha256(body).hexdigest()[:32])
        if self.check_etag_header():
            self.set_status(304)
            return
        self.write(body)


class CardHandler(DrawnImageHandler):
    """``/cards/<post id>-<version>.png``: the share card of one version of a visible post or page."""

    async def get(self, post_id: str, version: str) -> None:
        post = await self.store.posts.get(post_id)
        now = dt.datetime.now(dt.timezone.utc)
        if post is None or post.get("status") != "published" or post["published_at"] > now:
            raise tornado.web.HTTPError(404)
        if int(version) != post.get("version", 1):
            self.redirect("/cards/%s-%d.png" % (post_id, post.get("version", 1)))
            return
        accent = (self.theme.settings_for(self.site) if self.theme else {}).get("accent_color")
        key = ("card", self.site["_id"], post_id, post.get("version", 1), accent, self.site.get("title"))
        await self.send_png(key, cards.draw_card, post["title"], self.site.get("title", ""), accent, immutable=True)


class TouchIconHandler(DrawnImageHandler):
    """``/apple-touch-icon.png``: the site's logo on a 180×180 square (iOS home screens, some readers)."""

    async def get(self) -> None:
        logo = await site_logo(self)
        accent = (self.theme.settings_for(self.site) if self.theme else {}).get("accent_color")
        key = ("icon", self.site["_id"], logo and logo["url"], accent, self.site.get("title"))
        data = None
        if key not in _drawn and logo and logo["url"].startswith("/media/"):
            stored = await self.store.media.open(logo["url"][len("/media/"):])
            data = await stored.read() if stored is not None else None
        await self.send_png(key, cards.draw_touch_icon, data, self.site.get("title", ""), accent, immutable=False)
