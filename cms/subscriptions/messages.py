"""What the e-mails of subscriptions say: the confirmation, and a new post.

Plain text only: it reads well in every mail client, carries no tracking
and no remote images, and a post's Markdown source is already plain text.
A newsletter carries RFC 8058's one-click unsubscribe headers
(``List-Unsubscribe`` with the signed link and a ``mailto:``, and
``List-Unsubscribe-Post``), and the same link, visibly, at its end.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from cms.store.subscribers import content_of
from cms.tenancy import origin, primary_host

MAX_TEXT = 90_000  # the outbox takes 100,000 characters a message; the rest is the frame


def site_title(site: dict) -> str:
    return site.get("title") or site["name"]


def site_origin(site: dict, base_domain: str, via: str) -> str:
    """``scheme://host[:port]`` of the site's primary address, as the subscriber reached it.

    ``via`` is the ``scheme://host`` of the request that subscribed or confirmed: a
    background task has no request of its own to take the scheme and port from."""
    scheme, _, host = (via or "").partition("://")
    if scheme not in ("http", "https"):
        scheme, host = "https", ""
    return origin(scheme, primary_host(site, base_domain), host)


def confirmation(site: dict, link: str) -> tuple[str, str]:
    """Subject and text of the message that asks to confirm a subscription."""
    title = site_title(site)
    text = ("Someone, hopefully you, asked to get new posts of %s by e-mail at this address.\n\n"
            "Confirm it by opening this link (it works for 48 hours):\n\n%s\n\n"
            "If it was not you, ignore this message: nothing will be sent to you.\n" % (title, link))
    return "Confirm your subscription to %s" % title, text


def newsletter(site: dict, post: dict, home: str, unsubscribe_url: str, sender: str) -> tuple[str, str, dict]:
    """Subject, text and headers of a new post mailed to one subscriber."""
    title = site_title(site)
    link = "%s/posts/%s" % (home, quote(post["slug"]))
    if content_of(site) == "full":
        body = post.get("markdown") or ""
        if len(body) > MAX_TEXT:
            body = body[:MAX_TEXT] + "\n\n[...] The rest is on the site."
    else:
        body = post.get("custom_excerpt") or post.get("excerpt") or ""
    text = "%s\n%s\n\n%s\n\nRead it on %s: %s\n\n-- \nYou get this because you subscribed to %s at %s.\n" \
           "Unsubscribe: %s\n" % (post["title"], "=" * min(len(post["title"]), 72), body.strip(), title, link,
                                 title, home, unsubscribe_url)
    headers = {
        # RFC 8058: a mail client's "Unsubscribe" button POSTs to the https link at once.
        "List-Unsubscribe": "<%s>, <mailto:%s?subject=unsubscribe>" % (unsubscribe_url, sender),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": "%s <subscribers.%s>" % (title.replace("<", "").replace(">", ""), urlsplit(home).hostname),
    }
    return post["title"], text, headers
