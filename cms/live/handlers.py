"""``/live`` (a WebSocket) and ``/live.json`` (its polling fallback) on every site host.

A reader's page names the channels it follows in the address:
``/live?channel=posts`` (home, tag and author pages) or
``/live?channel=post:<id>`` (a post page). Channels are this site's only: a
post id of another site, or one readers cannot see, is a 404 like its page.
The socket carries nothing of who the reader is (no cookie is read) and only
ever sends; what it receives is refused past a few bytes.

Messages, JSON: ``{"subscribed": [channels], "seq": N}`` once, then one per
event (`cms.store.events.public`): ``{"seq", "channel", "kind": "published",
"id", "title", "url", "tags", "author"}`` or ``{"seq", "channel", "kind":
"comment", "post", "id"}``.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
from typing import Any

import tornado.iostream
import tornado.web
import tornado.websocket
from tornado.routing import URLSpec

from cms.handlers.base import BaseHandler
from cms.httperrors import Refusal
from cms.store.events import aware, public, utcnow

log = logging.getLogger(__name__)

POST_CHANNEL = re.compile(r"post:([0-9a-f]{24})")
MAX_CHANNELS = 4
MAX_MESSAGE = 256  # bytes a reader may send (nothing is expected but a keepalive)
PING_INTERVAL = 25.0  # seconds: under the idle timeouts of routers and proxies
PING_TIMEOUT = 20.0  # no longer than the interval: Tornado logs a warning and uses the interval otherwise
POLL_EVERY = 30  # seconds between two polls of the fallback, as the page is told
JSON_MAX_AGE = 5  # seconds the fallback's answer may be kept by caches


class LiveChannels(BaseHandler):
    """What both doors share: the site, and the channels asked for, checked."""

    async def prepare(self) -> None:
        await super().prepare()
        if self.site is None or self.is_platform:
            raise tornado.web.HTTPError(404)
        self.channels = await self.checked_channels(self.get_query_arguments("channel"))

    async def checked_channels(self, asked: list[str]) -> list[str]:
        if not asked:
            raise Refusal(400, "Name a channel: ?channel=posts or ?channel=post:<id>.")
        if len(asked) > MAX_CHANNELS:
            raise Refusal(400, "At most %d channels at once." % MAX_CHANNELS)
        channels = []
        for channel in dict.fromkeys(asked):
            if channel == "posts":
                channels.append(channel)
                continue
            match = POST_CHANNEL.fullmatch(channel)
            if match is None:
                raise Refusal(400, "Unknown channel: use posts or post:<id>.")
            post = await self.store.posts.get(match.group(1), type="post")
            if post is None or post.get("status") != "published" or aware(post["published_at"]) > utcnow():
                raise tornado.web.HTTPError(404)  # another site's, a draft's: not here
            channels.append(channel)
        return channels


class LiveSocket(tornado.websocket.WebSocketHandler, LiveChannels):
    """One reader's socket: sends this site's events of the channels it named."""

    address = ""
    _admitted = False
    _subscribed = False

    @property
    def hub(self):
        return self.application.live

    @property
    def ping_interval(self) -> float:
        return PING_INTERVAL

    @property
    def ping_timeout(self) -> float:
        return PING_TIMEOUT

    @property
    def max_message_size(self) -> int:
        return MAX_MESSAGE

    def check_origin(self, origin: str) -> bool:
        # A page of this very site host only: another site's page (or any other) cannot
        # hold a reader's socket here. (Clients that send no Origin are not browsers.)
        return urllib.parse.urlparse(origin).netloc.lower() == self.request.host.lower()

    async def get(self, *args: Any, **kwargs: Any) -> None:
        self.address = self.request.remote_ip or ""
        if not self.hub.admit(self.address):
            raise Refusal(429, "Too many live connections from your address.")
        self._admitted = True
        try:
            await super().get(*args, **kwargs)
        finally:
            if self.ws_connection is None:  # refused before the upgrade (a bad origin)
                self._forget()

    async def open(self, *args: Any, **kwargs: Any) -> None:
        self._subscribed = True
        seq = await self.hub.subscribe(self.site["_id"], self.channels, self)
        if self.ws_connection is None:  # closed while subscribing
            self._forget()
            return
        self.send(json.dumps({"subscribed": self.channels, "seq": seq}))

    def send(self, message: str, frame: bytes | None = None) -> None:
        """Send ``message``; with ``frame`` (its bytes on the wire, `cms.live.frames`), straight
        to the socket's stream: no encoding, framing or Task per socket, as ``write_message``
        makes. This socket negotiates no compression (``get_compression_options`` is None), so
        the frame is what ``write_message`` would have written."""
        connection = self.ws_connection
        try:
            if frame is None or connection is None or connection.stream is None or connection.is_closing():
                self.write_message(message)
            else:
                connection.stream.write(frame)  # its Future is never awaited: IOStream consumes its error
        except (tornado.websocket.WebSocketClosedError, tornado.iostream.StreamClosedError):
            self._forget()

    def on_message(self, message: str | bytes) -> None:
        pass  # readers have nothing to say; size is bounded by max_message_size

    def on_close(self) -> None:
        self._forget()

    def _forget(self) -> None:
        if self._subscribed:
            self._subscribed = False
            self.hub.unsubscribe(self.site["_id"], self.channels, self)
        if self._admitted:
            self._admitted = False
            self.hub.release(self.address)


class LiveJSON(LiveChannels):
    """The fallback where WebSockets are blocked: events after ``since``, kept briefly by caches."""

    async def get(self) -> None:
        since = self.get_query_argument("since", "")
        if since and not (since.isdigit() and len(since) <= 12):
            raise Refusal(400, "since must be the seq of an event (a whole number).")
        known = self.application.live.settled(self.site["_id"])
        if since and known is not None and int(since) >= known:
            found, seq = [], int(since)  # nothing newer, as this process's poll knows: no query
        else:
            store = self.store.events
            seq = await store.settled()  # never past a scheduled post not out yet
            found = await store.since(int(since), self.channels) if since else []
            seq = max([seq, int(since or 0)] + [e["seq"] for e in found if e["seq"] <= seq])
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "public, max-age=%d" % JSON_MAX_AGE)
        self.finish(json.dumps({"seq": seq, "events": [public(e) for e in found], "poll": POLL_EVERY}))


def live_routes() -> list[URLSpec]:
    return [
        URLSpec(r"/live", LiveSocket, name="live"),
        URLSpec(r"/live\.json", LiveJSON, name="live-json"),
    ]

