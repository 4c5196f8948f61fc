"""Readers' e-mail subscriptions: subscribe, confirm, unsubscribe.

The form (the `Subscribe` UI module) sits on pages the page cache keeps and
serves to everyone, so it carries no XSRF token. As with comments
(`cms.handlers.comments`), the module's script fetches one
(``/subscribe/form``) as the form is sent; without a script the first POST
stores nothing and answers with the same form, filled in, carrying a token;
sending that subscribes. Only a
POST with a valid XSRF token mails anything. A honeypot field and rate
limits per client address and per site keep robots out.

The answer to a subscription is the same whatever the address's state (new,
pending, confirmed, unsubscribed): a form reveals nothing about who
subscribed. Only a new or re-subscribing address, or a pending one whose
link went out over an hour ago, gets a confirmation; nothing else is ever
sent to an address until it is confirmed (`cms.store.subscribers`).

Unsubscribing is RFC 8058's one-click POST to the link of the
``List-Unsubscribe`` header: a mail client sends it without cookies, so it is
exempt from the XSRF check by design; the signed token in its URL
(`cms.subscriptions.links`) is what authorises it, and it can only
unsubscribe the one address it names on this one site. A GET of the same
link (the visible link in the message) shows a button that POSTs: link
checkers that fetch every URL in a message must not unsubscribe anyone.
"""

from __future__ import annotations

import logging

import tornado.web

from cms.handlers.base import BaseHandler
from cms.httperrors import Refusal
from cms.store import StoreError
from cms.store.users import normalize_email
from cms.subscriptions import links, messages

log = logging.getLogger(__name__)

HONEYPOT = "homepage"  # hidden from people by the module's CSS; robots fill it in
NOT_VALID = ("This link is not valid any more: it was used already, or it expired (links last 48 hours). "
             "Subscribe again to get a new one.")
UNKNOWN = "There is no such subscription on this site."


class SubscriptionBase(BaseHandler):
    """A reader's request about subscriptions: a known site's host only, never cached."""

    async def prepare(self) -> None:
        await super().prepare()
        if self.site is None:
            raise tornado.web.HTTPError(404)
        self.set_header("Cache-Control", "no-store")

    def via(self) -> str:
        """How this reader reached the site (scheme and host): the links mailed later use it."""
        return "%s://%s" % (self.request.protocol, self.request.host)

    def message(self, title: str, text: str, status: int = 200) -> None:
        self.set_status(status)
        self.render("subscriptions/message.html", title=title, text=text)


class SubscribeFormHandler(SubscriptionBase):
    """``GET /subscribe/form``: the XSRF token the module's script adds to the form (never kept)."""

    async def get(self) -> None:
        self.write({"xsrf": self.xsrf_token.decode("ascii")})


class SubscribeHandler(SubscriptionBase):
    """``POST /subscribe``: ask to get new posts by e-mail."""

    _xsrf_refused: tornado.web.HTTPError | None = None

    def check_xsrf_cookie(self) -> None:
        # A form from a kept page has no token yet: it gets the filled-in form back
        # (below) rather than a bare 403. Still, nothing is sent without one.
        try:
            super().check_xsrf_cookie()
        except tornado.web.HTTPError as refused:
            self._xsrf_refused = refused

    async def post(self) -> None:
        raw = self.get_body_argument("email", "")[:300]
        if self.get_body_argument(HONEYPOT, ""):
            log.info("site %s: a subscription with the honeypot filled in, refused", self.site["name"])
            raise Refusal(400, "This request looks automated and was not accepted.")
        try:
            email = normalize_email(raw)
        except StoreError:
            raise Refusal(400, "That is not an e-mail address: check it and try again.") from None
        if self._xsrf_refused is not None:
            self.render("subscriptions/confirm.html", email=email)
            return
        if not self.application.subscribe_limits.allow(self.site["_id"], self.request.remote_ip):
            raise Refusal(429, "Too many subscriptions from here for now: please try again in a few minutes.")
        subscriber, token = await self.store.subscribers.subscribe(email, via=self.via())
        if token is not None:
            link = self.absolute_url("/subscribe/confirm?t=%s" % tornado.escape.url_escape(token))
            subject, text = messages.confirmation(self.site, link)
            await self.application.mail.send(email, subject, text, kind="subscription", site_id=self.site["_id"])
            log.info("site %s: confirmation sent to subscriber %s", self.site["name"], subscriber["_id"])
        self.message("Check your inbox",
                     "If %s is not subscribed yet, a message with a link to confirm is on its way there. "
                     "Open it to start getting new posts." % email)


class ConfirmHandler(SubscriptionBase):
    """``GET /subscribe/confirm?t=<token>``: the link of the confirmation, once."""

    async def get(self) -> None:
        subscriber = await self.store.subscribers.confirm(self.get_query_argument("t", ""), via=self.via())
        if subscriber is None:
            raise Refusal(404, NOT_VALID)
        log.info("site %s: subscriber %s confirmed", self.site["name"], subscriber["_id"])
        self.message("You are subscribed", "New posts of %s will come to %s. Each message has a link to "
                     "unsubscribe." % (messages.site_title(self.site), subscriber["email"]))


class UnsubscribeHandler(SubscriptionBase):
    """``GET|POST /unsubscribe?t=<signed token>``: the link in every newsletter."""

    open_while_suspended = True  # leaving a list must work whatever the site's state

    def check_xsrf_cookie(self) -> None:
        # RFC 8058: the one-click POST comes from a mail client, with no cookie and no
        # XSRF token. The signed token in the URL authorises it instead (`subscriber`),
        # and it can do one thing only: unsubscribe the address it names, here.
        pass

    async def subscriber(self) -> dict:
        subscriber_id = links.subscriber_of(self.settings, self.site["_id"], self.get_query_argument("t", ""))
        subscriber = await self.store.subscribers.get(subscriber_id) if subscriber_id else None
        if subscriber is None:
            raise Refusal(404, UNKNOWN)
        return subscriber

    async def get(self) -> None:
        subscriber = await self.subscriber()
        self.render("subscriptions/unsubscribe.html", subscriber=subscriber, token=self.get_query_argument("t"))

    async def post(self) -> None:
        subscriber = await self.store.subscribers.unsubscribe((await self.subscriber())["_id"])
        assert subscriber is not None
        log.info("site %s: subscriber %s unsubscribed", self.site["name"], subscriber["_id"])
        self.message("You are unsubscribed", "%s will get no more posts of %s." % (
            subscriber["email"], messages.site_title(self.site)))


def subscription_routes() -> list[tornado.web.URLSpec]:
    from cms.handlers.subscribers_admin import subscribers_admin_routes

    URLSpec = tornado.web.URLSpec
    return subscribers_admin_routes() + [
        URLSpec(r"/subscribe", SubscribeHandler, name="subscribe"),
        URLSpec(r"/subscribe/form", SubscribeFormHandler, name="subscribe-form"),
        URLSpec(r"/subscribe/confirm", ConfirmHandler, name="subscribe-confirm"),
        URLSpec(r"/unsubscribe", UnsubscribeHandler, name="unsubscribe"),
    ]
