"""Where to send a person after signing in: the one parser of ``next``.

``next`` comes from the query string or a form, so an attacker can write it:
a link to ``/login?next=...`` must never become a way off the site (an open
redirect lends the site's name to a phishing page). Browsers are lenient in
ways a "starts with one slash" check misses: they drop tabs and newlines
(``/\\t/host`` is ``//host``), read ``\\`` as ``/``, accept ``https:host``
without slashes, and some proxies and frameworks decode the path once more.
So the check is an allow-list: a local path made of printable ASCII, with no
scheme, host, backslash, dot segment or leading ``//``, and decoded (once,
twice, three times) still none of those nor a control character. Anything
else gets the safe default.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

DEFAULT = "/admin/"
MAX_LENGTH = 2000
DECODINGS = 3  # as given, then decoded until it stops changing (double and triple encoding)


def _printable_ascii(text: str) -> bool:
    return all("!" <= char <= "~" for char in text)


def _no_control(text: str) -> bool:
    return all(char >= " " and char != "\x7f" for char in text)


def _local_path(text: str) -> bool:
    """A path on this host, read the way a lenient browser would read it."""
    if not text.startswith("/") or text.startswith("//") or "\\" in text or not _no_control(text):
        return False
    parts = urllib.parse.urlsplit(text)
    if parts.scheme or parts.netloc:
        return False
    return not any(segment in (".", "..") for segment in parts.path.split("/"))


def safe_next(target: Any, default: str = DEFAULT) -> str:
    """``target`` when it is a path on this site, else ``default``; never raises."""
    if not isinstance(target, str) or not target or len(target) > MAX_LENGTH:
        return default
    if not _printable_ascii(target):  # as sent in a Location header: no space, control or non-ASCII
        return default
    form = target
    for _ in range(DECODINGS):
        if not _local_path(form):
            return default
        decoded = urllib.parse.unquote(form)
        if decoded == form:
            break
        form = decoded
    else:
        if not _local_path(form):
            return default
    return target
