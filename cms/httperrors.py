"""HTTP errors that carry a sentence for the person who asked.

Tornado's ``HTTPError`` has a status and a *reason phrase*, which goes on the
status line: short, ASCII, and no place for text an operator typed. A
`Refusal` keeps the standard phrase and adds ``message``, which the one
``write_error`` (`cms.handlers.base.BaseHandler`) shows on the error page.
`Suspended` is a reader's request to a site the operators suspended: the
plain "suspended" page, not the site's theme.
"""

from __future__ import annotations

import tornado.web


class Refusal(tornado.web.HTTPError):
    """An error status with a message shown as is (escaped) on the error page."""

    def __init__(self, status_code: int, message: str, code: str | None = None) -> None:
        super().__init__(status_code, "%s", message)
        self.message = message
        self.code = code  # for scripts: what to do about it ("signed_out", "xsrf"), in a JSON answer


class Suspended(tornado.web.HTTPError):
    """A reader page of a suspended site: 503, the plain "suspended" page, kept by no cache."""

    def __init__(self, site_name: str) -> None:
        super().__init__(503, "site %s is suspended", site_name)
