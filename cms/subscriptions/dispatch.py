"""The dispatcher: mails each newly published post to its site's confirmed subscribers.

One task per process (like the mail sender). It claims a newsletter that is
due (`cms.store.subscribers.Newsletters.claim`: atomic, leased, so of N
processes one mails a post), checks the post is still published and its time
has come (a scheduled post is owed at its publication time; moved later, it
waits again; unpublished, nothing is owed), then queues one outbox message
per confirmed subscriber, `BATCH` at a time, recording after each batch the
last subscriber done and renewing its lease. Each message is keyed by
(site, post, subscriber) (`cms.store.outbox.keyed_id`), so a dispatcher that
resumes another's work, or any second attempt, queues nothing twice. The
mail sender then delivers them.

It sleeps `POLL` seconds between looks, or until `wake` (a post published in
this process).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import time
from typing import Any

import pymongo
import tornado.escape

from cms.store import Posts, Sites
from cms.store.errors import StoreError
from cms.store.subscribers import Newsletters, Subscribers
from cms.subscriptions import links, messages
from cms.supervisor import is_unavailable
from cms.wakeable import Wakeable, woken

log = logging.getLogger(__name__)

POLL = 2.0  # seconds between looks for due newsletters (a scheduled post goes out within this)
SUSPENDED_RETRY = 3600.0  # seconds before a suspended site's newsletter is looked at again
BATCH = 100  # subscribers queued between two records of progress


class Dispatcher(Wakeable):
    """``app.newsletters``: this process's share of mailing new posts."""

    def __init__(self, app: Any, poll: float = POLL) -> None:
        self._app = app
        self.poll = poll
        self.owner = "%s:%d:%d" % (socket.gethostname(), os.getpid(), id(self))
        self._failing = False

    async def _run(self) -> None:
        while True:
            assert self._wake is not None
            self._wake.clear()
            try:
                await self.run_once()
                if self._failing:
                    log.info("newsletters can be read again")
                self._failing = False
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database away, say: the next look tries again
                if not self._failing:
                    log.warning("newsletters could not be read: %s", " ".join(str(error).split())[:200],
                                exc_info=not is_unavailable(error))
                self._failing = True
            await woken(self._wake, self.poll)

    async def run_once(self, now: float | None = None) -> int:
        """Mail every newsletter due now; how many messages were queued."""
        queued = 0
        store = Newsletters(self._app.db)
        while (newsletter := await store.claim(self.owner, now)) is not None:
            queued += await self.dispatch(store, newsletter, now)
        return queued

    async def dispatch(self, store: Newsletters, newsletter: dict, now: float | None = None) -> int:
        db = self._app.db
        site = await Sites(db).by_id(newsletter["site_id"])
        post = await Posts(db, newsletter["site_id"]).get(newsletter["post_id"]) if site else None
        if post is None or post.get("type") != "post" or post.get("status") != "published":
            await store.drop(newsletter)  # unpublished or gone: published again, it is owed anew
            return 0
        due = messages_due(post.get("published_at"))
        now = time.time() if now is None else now
        if due > now:
            await store.postpone(newsletter, due)  # rescheduled later than it was
            return 0
        if site.get("suspended"):
            # Its readers see nothing now; what it owes goes out if the operators restore it.
            await store.postpone(newsletter, now + SUSPENDED_RETRY)
            return 0
        subscribers = Subscribers(db, site["_id"])
        after, sent, queued = newsletter.get("after") or "", newsletter.get("sent") or 0, 0
        # Those who subscribed after the post went live saw it on the site already (a second
        # of slack: a stored date keeps milliseconds only).
        while batch := await subscribers.confirmed_after(after, BATCH, by=due + 1.0):
            for subscriber in batch:
                if await self.queue(site, post, subscriber):
                    queued += 1
            after, sent = batch[-1]["_id"], sent + len(batch)
            if not await store.progress(newsletter, after, sent):
                log.warning("newsletter of post %s of %s: lease lost, another process goes on", post["_id"],
                            site["name"])
                return queued
            self._app.mail.sender.wake()
        await store.finish(newsletter, sent)
        log.info("post %s of %s mailed to %d subscriber(s)", post["_id"], site["name"], sent)
        return queued

    async def queue(self, site: dict, post: dict, subscriber: dict) -> bool:
        """One subscriber's message; False when it was queued before (a resumed dispatch)."""
        app = self._app
        home = messages.site_origin(site, app.cms_settings.base_domain, subscriber.get("via", ""))
        token = links.unsubscribe_token(app.settings, site["_id"], subscriber["_id"])
        unsubscribe = "%s/unsubscribe?t=%s" % (home, tornado.escape.url_escape(token))
        sender = app.mail.smtp.sender if app.mail.smtp else "no-reply@%s" % app.cms_settings.base_domain
        subject, text, headers = messages.newsletter(site, post, home, unsubscribe, sender)
        try:
            await app.mail.outbox.queue(subscriber["email"], subject, text, kind="newsletter", site_id=site["_id"],
                                        headers=headers,
                                        key="newsletter:%s:%s:%s" % (site["_id"], post["_id"], subscriber["_id"]))
        except pymongo.errors.DuplicateKeyError:
            return False
        except StoreError as error:  # an address the outbox refuses: the others still get theirs
            log.warning("newsletter to subscriber %s of %s not queued: %s", subscriber["_id"], site["name"], error)
            return False
        return True


def messages_due(when: Any) -> float:
    """Epoch seconds of a post's publication time (naive datetimes are UTC)."""
    if when is None:
        return 0.0
    return (when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)).timestamp()
