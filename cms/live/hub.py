"""One process's subscribers, and the one poll that brings them their sites' events.

Sockets subscribe per (site, channel). The poll asks the database, in one
query, for the events after the last ``seq`` it saw of each site that has
subscribers here (`cms.store.events.newer`), and hands each to the sockets of
its own site and channel only. An event not yet due (a scheduled post) waits
in memory until its time. An event this very process writes wakes the poll
at once (`cms.store.events.on_written`); other processes' events are read at
its next turn. Polling rather than a change stream: it works the
same on the embedded server, a standalone MongoDB and a replica set, as the
change counters do (`cms.changewatch`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections import defaultdict
from typing import Any, Callable, Protocol

from cms.live.frames import text_frame
from cms.store import events
from cms.supervisor import is_unavailable
from cms.wakeable import woken

log = logging.getLogger(__name__)

INTERVAL = 0.25  # seconds between two polls: another process's event reaches readers within about this
BATCH = 500  # sockets written to between two turns of the event loop
LOUD = 1000  # a fan-out to this many sockets is logged (INFO) with its time
MAX_PER_ADDRESS = 20  # open sockets per client address (tabs of one household behind one NAT)


class Subscriber(Protocol):
    def send(self, message: str, frame: bytes | None = None) -> None:
        """Send ``message``; ``frame`` is its WebSocket frame, made once for every socket."""


class Hub:
    """Who listens to what in this process, and the poll that feeds them."""

    def __init__(self, db: Any, interval: float = INTERVAL) -> None:
        self.db = db
        self.interval = interval
        self.max_per_address = MAX_PER_ADDRESS
        self.polls = 0
        self.delivered = 0  # messages handed to sockets (for tests and the benchmark)
        self._subscribers: dict[tuple[Any, str], set[Subscriber]] = defaultdict(set)
        self._sites: dict[Any, int] = defaultdict(int)  # site -> sockets subscribed to it here
        self._last: dict[Any, int] = {}  # site -> the highest seq seen
        self._pending: list[dict] = []  # seen, not yet due (scheduled posts)
        self._addresses: dict[str, int] = defaultdict(int)
        self._loading: dict[Any, asyncio.Future] = {}  # site -> its first read, shared
        self._task: asyncio.Task | None = None
        self._woken: asyncio.Event | None = None  # set when this process writes an event
        self._unlisten: Callable[[], None] | None = None
        self._stopped = False
        self._failing = False

    # --- connections per address ---------------------------------------------------------

    def admit(self, address: str) -> bool:
        """Count a new socket of ``address``; False (and not counted) past the cap."""
        if self._addresses[address] >= self.max_per_address:
            return False
        self._addresses[address] += 1
        return True

    def release(self, address: str) -> None:
        self._addresses[address] -= 1
        if self._addresses[address] <= 0:
            del self._addresses[address]

    # --- subscriptions -------------------------------------------------------------------

    async def subscribe(self, site_id: Any, channels: list[str], subscriber: Subscriber) -> int:
        """Follow ``channels`` of ``site_id``; returns the seq the subscriber starts after."""
        if site_id not in self._last:
            # The first subscribers of a site (a page of many readers at once) share one read.
            loading = self._loading.get(site_id)
            if loading is None:
                loading = self._loading[site_id] = asyncio.ensure_future(self._load(site_id))
                loading.add_done_callback(lambda _: self._loading.pop(site_id, None))
            await asyncio.shield(loading)
        for channel in channels:
            self._subscribers[(site_id, channel)].add(subscriber)
        self._sites[site_id] += 1
        self._start()
        return self._last[site_id]

    async def _load(self, site_id: Any) -> None:
        store = events.Events(self.db, site_id)
        last = await store.last()
        upcoming = [e for e in await store.upcoming() if e["seq"] <= last]
        if site_id not in self._last:
            self._last[site_id] = last
            self._pending.extend(upcoming)

    def unsubscribe(self, site_id: Any, channels: list[str], subscriber: Subscriber) -> None:
        for channel in channels:
            found = self._subscribers.get((site_id, channel))
            if found is not None:
                found.discard(subscriber)
                if not found:
                    del self._subscribers[(site_id, channel)]
        self._sites[site_id] -= 1
        if self._sites[site_id] <= 0:
            # Nobody here follows the site: stop asking for its events.
            del self._sites[site_id]
            self._last.pop(site_id, None)
            self._pending = [e for e in self._pending if e["site_id"] != site_id]

    def count(self, site_id: Any, channel: str) -> int:
        return len(self._subscribers.get((site_id, channel), ()))

    def settled(self, site_id: Any) -> int | None:
        """The highest seq of the site up to which every event is due, as this process
        knows it (None: no subscriber here); see `cms.store.events.Events.settled`."""
        if site_id not in self._last:
            return None
        waiting = [e["seq"] for e in self._pending if e["site_id"] == site_id]
        return min(waiting) - 1 if waiting else self._last[site_id]

    # --- the poll ----------------------------------------------------------------------------

    def _start(self) -> None:
        if self._task is None and not self._stopped:
            self._woken = asyncio.Event()
            self._unlisten = events.on_written(self._written)
            self._task = asyncio.ensure_future(self._poll_forever())

    def _written(self, site_id: Any) -> None:
        """An event written by this process: read it now if anyone here follows its site."""
        if site_id in self._last and self._woken is not None:
            self._woken.set()

    def stop(self) -> None:
        self._stopped = True
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        if self._task is not None:
            self._task.cancel()

    async def poll(self, now: dt.datetime | None = None) -> None:
        """Read the events after each followed site's last seq, and hand out those due."""
        found = await events.newer(self.db, dict(self._last))
        self.polls += 1
        for event in found:
            site_id = event["site_id"]
            if site_id not in self._last or event["seq"] <= self._last[site_id]:
                continue  # unsubscribed meanwhile, or seen
            self._last[site_id] = event["seq"]
            self._pending.append(event)
        now = now or events.utcnow()
        due = [e for e in self._pending if events.aware(e["at"]) <= now]
        if due:
            self._pending = [e for e in self._pending if events.aware(e["at"]) > now]
            for event in due:
                await self.deliver(event)

    async def deliver(self, event: dict) -> None:
        """Hand ``event`` to this process's sockets of its site and channel, and no others."""
        subscribers = list(self._subscribers.get((event["site_id"], event["channel"]), ()))
        if not subscribers:
            return
        started, cpu = time.perf_counter(), time.process_time()
        message = json.dumps(events.public(event))
        frame = text_frame(message)  # encoded and framed once, not once a socket
        for n, subscriber in enumerate(subscribers, 1):
            subscriber.send(message, frame)
            if n % BATCH == 0:
                await asyncio.sleep(0)  # thousands of sockets: let requests in between
        self.delivered += len(subscribers)
        # CPU time beside the wall time: on a busy machine the second says little of this code.
        log.log(logging.INFO if len(subscribers) >= LOUD else logging.DEBUG,
                "event %s of site %s to %d sockets in %.3f s (%.3f s CPU)", event["seq"], event["site_id"],
                len(subscribers), time.perf_counter() - started, time.process_time() - cpu)

    async def _poll_forever(self) -> None:
        assert self._woken is not None
        while not self._stopped:
            # the next turn, or at once when this process wrote an event (`_written`)
            await woken(self._woken, self.interval)
            self._woken.clear()
            if not self._last:
                continue
            try:
                await self.poll()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # the database away: keep the sockets, keep trying
                if not self._failing:
                    log.warning("live events unreadable, retrying: %s", e, exc_info=not is_unavailable(e))
                self._failing = True
                await asyncio.sleep(1.0)
            else:
                if self._failing:
                    log.info("live events readable again")
                self._failing = False
