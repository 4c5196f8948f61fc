"""The background sender: delivers the outbox's messages through SMTP.

One task per process. It claims due messages one at a time (atomically, see
`cms.store.outbox`, so any number of processes may run one), sends each
through the server of ``SMTP_URL`` with aiosmtplib, and records the result:
sent; queued again after a backoff that doubles from `BACKOFF` up to
`MAX_BACKOFF`; or failed, after `cms.store.outbox.MAX_ATTEMPTS` attempts or a
permanent refusal (a 5xx for the recipient). It sleeps until `Sender.wake`
(a message queued in this process) or `POLL` seconds (messages queued by
other processes, retries coming due).

``SMTP_URL`` is ``smtp://user:pass@host:port`` (STARTTLS when the server
offers it; required when there is a password, which is never sent in clear)
or ``smtps://...`` (TLS from the first byte, port 465 by default). The
sender's address is ``?from=`` in the URL, or ``no-reply@<base domain>``.
Errors are logged with the server's host and port, never the password.
"""

from __future__ import annotations

import asyncio
import email.message
import email.utils
import logging
import os
import socket
import ssl
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from cms.config import ConfigError
from cms.store.outbox import MAX_ATTEMPTS, Outbox
from cms.wakeable import Wakeable, woken

log = logging.getLogger(__name__)

BACKOFF = 30.0  # seconds before the second attempt; doubled for each later one
MAX_BACKOFF = 3600.0
POLL = 5.0  # seconds between looks at the outbox when nothing wakes the sender
TIMEOUT = 30.0  # seconds an SMTP conversation may take


class SmtpConfig:
    """Where and how to send: parsed from ``SMTP_URL`` once, at start."""

    def __init__(self, host: str, port: int, *, use_tls: bool, username: str | None, password: str | None,
                 sender: str) -> None:
        self.host, self.port, self.use_tls = host, port, use_tls
        self.username, self.password, self.sender = username, password, sender

    @classmethod
    def from_url(cls, url: str, base_domain: str = "localhost") -> "SmtpConfig":
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise ConfigError("SMTP_URL is not a valid URL (smtp://user:pass@host:port or smtps://...)") from None
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigError("SMTP_URL must look like smtp://user:pass@host:port or smtps://user:pass@host:port")
        use_tls = parts.scheme == "smtps"
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        default_port = 465 if use_tls else (587 if username else 25)
        sender = (parse_qs(parts.query).get("from") or ["no-reply@%s" % base_domain])[0]
        return cls(parts.hostname, port or default_port, use_tls=use_tls, username=username, password=password,
                   sender=sender)

    def __repr__(self) -> str:  # never the password
        return "SmtpConfig(%s:%d, tls=%s, user=%s)" % (self.host, self.port, self.use_tls, bool(self.username))

    @property
    def where(self) -> str:
        return "%s:%d" % (self.host, self.port)


def build(message: dict, sender: str) -> email.message.EmailMessage:
    """The RFC 5322 message of an outbox document."""
    mail = email.message.EmailMessage()
    mail["From"] = sender
    mail["To"] = message["to"]
    mail["Subject"] = message["subject"]
    mail["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = "<%s@%s>" % (message["_id"], sender.rpartition("@")[2] or "localhost")
    for name, value in (message.get("headers") or {}).items():
        mail[name] = value
    mail.set_content(message["text"])
    if message.get("html"):
        mail.add_alternative(message["html"], subtype="html")
    return mail


def _permanent(error: Exception) -> bool:
    """A refusal that sending again will not change (a 5xx for the sender or the recipient)."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(500 <= e.code < 600 for e in error.recipients)
    return isinstance(error, (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPSenderRefused)) \
        and 500 <= error.code < 600


def describe(error: Exception, config: SmtpConfig) -> str:
    """One line about a failed attempt, fit for the log and the console (no password in it)."""
    text = " ".join(str(error).split())[:300] or type(error).__name__
    if config.password:
        text = text.replace(config.password, "***")
    return "%s from %s: %s" % (type(error).__name__, config.where, text)


class Sender(Wakeable):
    def __init__(self, outbox: Outbox, smtp: SmtpConfig | None, *, backoff: float = BACKOFF,
                 max_backoff: float = MAX_BACKOFF, poll: float = POLL, tls_context: ssl.SSLContext | None = None,
                 timeout: float = TIMEOUT) -> None:
        self.outbox, self.smtp = outbox, smtp
        self.backoff, self.max_backoff, self.poll, self.timeout = backoff, max_backoff, poll, timeout
        self.tls_context = tls_context  # tests trust their own certificate; None: the system's CAs
        self.owner = "%s:%d:%d" % (socket.gethostname(), os.getpid(), id(self))
        self._database_failing = False

    async def _run(self) -> None:
        while True:
            assert self._wake is not None
            self._wake.clear()
            try:
                await (self.send_due() if self.smtp else self.log_unsent())
                self._database_failing = False
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database away, say: try again at the next poll
                if not self._database_failing:
                    log.warning("the mail sender could not read the outbox: %s", " ".join(str(error).split())[:200])
                self._database_failing = True
            await woken(self._wake, self.poll)

    async def log_unsent(self) -> int:
        """No SMTP server: write each queued message to the log once, body and all."""
        count = 0
        while (message := await self.outbox.claim_unlogged()) is not None:
            count += 1
            log.warning(
                "no SMTP_URL set: this e-mail stays in the outbox, unsent.\nTo: %s\nSubject: %s\n\n%s",
                message["to"], message["subject"], message["text"])
        return count

    async def send_due(self) -> int:
        """Send every message that is due now; how many were sent."""
        sent = 0
        while (message := await self.outbox.claim(self.owner)) is not None:
            sent += await self.send_one(message)
        return sent

    async def send_one(self, message: dict) -> bool:
        config = self.smtp
        assert config is not None
        try:
            await aiosmtplib.send(
                build(message, config.sender), sender=config.sender, recipients=[message["to"]],
                hostname=config.host, port=config.port, username=config.username, password=config.password,
                use_tls=config.use_tls,
                # STARTTLS when offered; insisted on before a password goes over the wire.
                start_tls=None if config.use_tls or not config.password else True,
                tls_context=self.tls_context, timeout=self.timeout,
            )
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as error:
            reason = describe(error, config)
            retry_in = None if _permanent(error) else min(self.backoff * 2 ** message["attempts"], self.max_backoff)
            await self.outbox.failed(message, reason, retry_in)
            if retry_in is None or message["attempts"] + 1 >= MAX_ATTEMPTS:
                log.error("gave up the %s e-mail %s to %s: %s", message["kind"], message["_id"], message["to"], reason)
            else:
                log.warning("the %s e-mail %s to %s was not sent (attempt %d, again in %.0fs): %s", message["kind"],
                            message["_id"], message["to"], message["attempts"] + 1, retry_in, reason)
            return False
        await self.outbox.sent(message)
        log.info("sent the %s e-mail %s to %s", message["kind"], message["_id"], message["to"])
        return True
