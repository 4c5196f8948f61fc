"""E-mail subscriptions: readers get a site's new posts by e-mail.

A reader subscribes with their address (``/subscribe``, the `Subscribe` UI
module on every theme) and confirms it through the link mailed to it
(double opt-in); from then on each newly published post is mailed to them
through the outbox, once, with a one-click unsubscribe link (RFC 8058).

* `cms.store.subscribers`: the subscribers of a site, and the newsletters owed.
* `cms.subscriptions.links`: the signed unsubscribe token.
* `cms.subscriptions.messages`: what the confirmation and a newsletter say.
* `cms.subscriptions.dispatch`: the background task that turns a published
  post into one outbox message per confirmed subscriber.
* `cms.handlers.subscriptions`: the reader's routes; `cms.handlers.subscribers_admin`
  the admin's list.
"""
