"""E-mail: how the platform reaches a person outside the browser.

Address confirmations, password resets, invitations and notices to owners
all leave through here. Nothing is sent from a request: `Mailer.send` stores
the message in the outbox (`cms.store.outbox`) and wakes this process's
background sender (`cms.mail.sender`), which delivers it through the SMTP
server of ``SMTP_URL``, retrying with backoff while that server is away.
A request never waits on an SMTP server, and no message is lost to a
restart.

The one call other code makes::

    await self.application.mail.send(to, subject, text, kind="confirm", site_id=None,
                                      html=None, headers=None)

``kind`` names what the message is for (shown to operators; "confirm",
"reset", "invitation", "notice"...); ``site_id`` is the site it is about, or
None for the platform's own mail. It returns the stored message, raises
`cms.store.Invalid` for a bad address, subject or header (nothing stored).
Code without an application (the CLI) queues with
``Outbox(db).queue(...)`` and a running server sends it.

Without ``SMTP_URL`` (the embedded default) messages stay queued, and each
is written once to the server's log, body included: that is how a newcomer
running the platform on a laptop reads their confirmation link. With an SMTP
server the log says only who got which kind of message, never a body (links
in it are keys to accounts) nor the SMTP password.
"""

from __future__ import annotations

import logging
from typing import Any

from cms.mail.sender import Sender, SmtpConfig
from cms.store.outbox import Outbox

__all__ = ["Mailer", "Sender", "SmtpConfig"]

log = logging.getLogger(__name__)


class Mailer:
    """``app.mail``: queue a message and make sure this process's sender will see it."""

    def __init__(self, db: Any, smtp_url: str | None, base_domain: str = "localhost", **sender_options: Any) -> None:
        self.outbox = Outbox(db)
        self.smtp = SmtpConfig.from_url(smtp_url, base_domain) if smtp_url else None
        self.sender = Sender(self.outbox, self.smtp, **sender_options)

    async def send(self, to: str, subject: str, text: str, *, kind: str, site_id: Any = None,
                   html: str | None = None, headers: dict[str, str] | None = None) -> dict:
        """Queue a message for ``to``; the sender delivers it in the background."""
        message = await self.outbox.queue(to, subject, text, kind=kind, site_id=site_id, html=html,
                                          headers=headers)
        self.sender.wake()
        return message

    def start(self) -> None:
        """Start the background sender (at the process's start; `send` also starts it)."""
        self.sender.start()

    def stop(self) -> None:
        """Stop the background sender; a message it was sending is claimed again after its lease."""
        self.sender.stop()

    def use(self, db: Any) -> None:
        """Talk to another database client from now on (the embedded server moved)."""
        self.outbox = Outbox(db)
        self.sender.outbox = self.outbox
