"""``/admin/live?post=<id>&tab=<id>``: the editor's live channel (issue 12).

An open editor tab holds this WebSocket. Through it, the author learns who
else has the same post open ("Ana is also editing") and that someone saved a
newer version, at once, before a save of theirs would meet the conflict view.

Unlike the readers' ``/live`` (`cms.live.handlers`), this is the admin: the
socket is opened with the session cookie of a signed-in member of this site
who may edit that post (the same rights as its editor page), from a page of
this very host, and the session is checked again at every heartbeat. Its
events go on the post's ``admin:post:<id>`` channel of this site only, which
a reader's socket can never name, so nothing here reaches a reader or
another site.

Presence lives in the database (`cms.store.presence`), events in the site's
event log (`cms.store.events`), read by each process's `Hub` poll: the two
editors are seldom on the same process.

Where WebSockets are blocked, the page beats by ``POST /admin/live/beat``
instead (`EditorsPoll`) and is answered what the socket would have pushed
since its last beat: the same rights, an admin POST's XSRF check, no cache.

Messages to the page, JSON:
``{"kind": "hello", "beat": seconds}`` once; ``{"kind": "editors", "editors":
[{"name", "you"}]}`` (the others with the post open; ``you``: yourself in
another tab) whenever that changes; ``{"kind": "saved", "version", "by",
"you"}`` when another tab saves the post. The page sends ``beat`` every
``beat`` seconds; anything else (or more than a few bytes) closes the socket.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import urllib.parse
from typing import Any, Awaitable

import pymongo.errors
import tornado.web
import tornado.websocket
from tornado.routing import URLSpec

from cms import sessions
from cms.handlers.admin import AdminBase, requires
from cms.httperrors import Refusal
from cms.store import events
from cms.store.presence import BEAT
from cms.supervisor import is_unavailable

log = logging.getLogger(__name__)

POST_ID = re.compile(r"[0-9a-f]{24}")
TAB = re.compile(r"[0-9A-Za-z_-]{8,32}")
MAX_MESSAGE = 64  # bytes the page may send: "beat"
PING_INTERVAL = 25.0  # seconds: under the idle timeouts of routers and proxies
PING_TIMEOUT = 20.0  # Tornado wants it no longer than the interval


class EditorsSocket(AdminBase, tornado.websocket.WebSocketHandler):
    """One open editor tab of one post."""

    post_id = ""
    tab = ""
    me = ""  # the signed-in person's id, as the socket opened
    _open = False
    _subscribed = False
    _told: list | None = None  # the list of editors this page was last sent

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
        return urllib.parse.urlparse(origin).netloc.lower() == self.request.host.lower()

    @requires("contributor")
    async def get(self, *args: Any, **kwargs: Any) -> None:
        post_id, tab = self.get_query_argument("post", ""), self.get_query_argument("tab", "")
        if not POST_ID.fullmatch(post_id) or not TAB.fullmatch(tab):
            raise Refusal(400, "Name the post and the tab: ?post=<id>&tab=<8 to 32 letters or digits>.")
        post = await self.store.posts.get(post_id)
        if post is None:
            raise tornado.web.HTTPError(404)  # another site's post is just as missing
        if not self.can_edit(post):
            raise tornado.web.HTTPError(403)
        self.post_id, self.tab, self.me = post_id, tab, self.current_user["_id"]
        await tornado.websocket.WebSocketHandler.get(self, *args, **kwargs)

    async def open(self, *args: Any, **kwargs: Any) -> None:
        self._open = True
        self.channel = events.admin_channel(self.post_id)
        await self.hub.subscribe(self.site["_id"], [self.channel], self)
        self._subscribed = True
        if not self._open:  # closed while subscribing: on_close found nothing to undo yet
            self._forget()
            return
        self.write_json({"kind": "hello", "beat": BEAT})
        await self.here()
        await events.editors_changed(self.db, self.site["_id"], self.post_id)
        await self.tell_editors()

    async def here(self) -> None:
        """Count this tab as open now -- unless it closed meanwhile (then it must not linger)."""
        await self.store.presence.beat(self.post_id, self.tab, self.current_user)
        if not self._open:
            await self.store.presence.leave(self.tab)

    # --- from the page ---------------------------------------------------------------

    def on_message(self, message: str | bytes) -> None:
        if message != "beat":
            self.close(1003, "only beats are expected")
            return
        self.spawn(self.beat())

    async def beat(self) -> None:
        """The tab is still open: say so, check the session still holds, look who else is here."""
        user, _ = await sessions.load(self)
        # Tornado keeps the first current_user: this one replaces it, so the rights are today's.
        self.current_user = user
        self.role = await self.store.members.role_of(user["_id"]) if user else None
        post = await self.store.posts.get(self.post_id)
        if user is None or user["_id"] != self.me or self.role is None or post is None or not self.can_edit(post):
            log.info("editor socket of %s closed: signed out or no longer allowed", self.post_id)
            self.close(4003, "signed out")
            return
        await self.here()
        await self.tell_editors()

    # --- from the hub (events of this post's admin channel) ------------------------------

    def send(self, message: str, frame: bytes | None = None) -> None:
        """An event of the post's channel (``frame`` is for readers' sockets: this one answers its own)."""
        event = json.loads(message)
        if event["kind"] == "editors":
            self.spawn(self.tell_editors())
        elif event["kind"] == "saved" and event.get("tab") != self.tab:
            self.write_json({"kind": "saved", "version": event["version"], "by": event["by"],
                             "you": event["by_id"] == self.me})

    async def tell_editors(self) -> None:
        """Send the page who else has the post open, when that changed: one line a person."""
        editors = others(await self.store.presence.here(self.post_id), self.tab, self.me)
        if editors != self._told:
            self._told = editors
            self.write_json({"kind": "editors", "editors": editors})

    # --- plumbing --------------------------------------------------------------------------

    def write_json(self, data: dict) -> None:
        if not self._open:
            return
        try:
            self.write_message(json.dumps(data))
        except tornado.websocket.WebSocketClosedError:
            pass

    def spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        task.add_done_callback(self._report)

    @staticmethod
    def _report(task: asyncio.Future) -> None:
        error = None if task.cancelled() else task.exception()
        if error is None:
            return
        if is_unavailable(error) or isinstance(error, pymongo.errors.InvalidOperation):
            # The database away, or this process stopping (its client closed): presence expires by itself.
            log.info("editor socket: presence not written: %s", error)
        else:
            log.warning("editor socket: %s", error, exc_info=error)

    def on_close(self) -> None:
        self._open = False
        self._forget()

    def _forget(self) -> None:
        if self._subscribed:
            self._subscribed = False
            self.hub.unsubscribe(self.site["_id"], [self.channel], self)
            self.spawn(self.left())

    async def left(self) -> None:
        await self.store.presence.leave(self.tab)
        await events.editors_changed(self.db, self.site["_id"], self.post_id)


def others(tabs: list[dict], tab: str, me: Any) -> list[dict]:
    """Who else has the post open, seen from ``tab`` of ``me``: one line a person
    (``you``: ``me`` in another tab)."""
    seen: dict[Any, dict] = {}
    for open_tab in tabs:
        if open_tab["tab"] != tab:
            seen.setdefault(open_tab["user_id"], {"name": open_tab["name"], "you": open_tab["user_id"] == me})
    return list(seen.values())


class EditorsPoll(AdminBase):
    """``POST /admin/live/beat``: the editor's channel where WebSockets are blocked.

    The page posts its beat (``post``, ``tab``, and ``since``: the last event seq it
    was answered) every `BEAT` seconds and is answered ``{"beat", "seq", "editors",
    "saved": [{"version", "by", "you"}]}``: who else has the post open, and the saves
    of other tabs since. Same rights as the socket; per person, so never kept."""

    @requires("contributor")
    async def post(self) -> None:
        post_id, tab = self.get_body_argument("post", ""), self.get_body_argument("tab", "")
        since = self.get_body_argument("since", "")
        if not POST_ID.fullmatch(post_id) or not TAB.fullmatch(tab) or not (
                since == "" or (since.isdigit() and len(since) <= 12)):
            raise Refusal(400, "Send post=<id>, tab=<8 to 32 letters or digits> and since=<a seq> (a whole number).")
        post = await self.store.posts.get(post_id)
        if post is None:
            raise tornado.web.HTTPError(404)  # another site's post is just as missing
        if not self.can_edit(post):
            raise tornado.web.HTTPError(403)
        presence, me = self.store.presence, self.current_user["_id"]
        new = tab not in {t["tab"] for t in await presence.here(post_id)}
        await presence.beat(post_id, tab, self.current_user)
        if new:  # the others look again (on their sockets, or at their next beat)
            await events.editors_changed(self.db, self.site["_id"], post_id)
        log_of_site = self.store.events
        seq = await log_of_site.settled()
        found = await log_of_site.since(int(since), [events.admin_channel(post_id)]) if since else []
        saved = [{"version": e["data"]["version"], "by": e["data"]["by"], "you": e["data"]["by_id"] == str(me)}
                 for e in found if e["kind"] == "saved" and e["data"].get("tab") != tab]
        self.set_header("Cache-Control", "no-store")
        self.write({"beat": BEAT, "seq": max([seq, int(since or 0)] + [e["seq"] for e in found]),
                    "editors": others(await presence.here(post_id), tab, me), "saved": saved})


def admin_live_routes() -> list[URLSpec]:
    return [URLSpec(r"/admin/live", EditorsSocket, name="admin-live"),
            URLSpec(r"/admin/live/beat", EditorsPoll, name="admin-live-beat")]
