"""A real SMTP server for the tests (aiosmtpd, in a thread of its own) that keeps what arrives.

`MailServer.wait_for(address)` waits, with a deadline, for a message to that
address; `link_in(message)` pulls the first link out of its text, which is
how a test follows a confirmation or reset link as a person would.
"""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import re
import ssl
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from cms import db as database

LINK = re.compile(r"https?://[^\s<>\"]+")


class _Keeper:
    def __init__(self, server: "MailServer") -> None:
        self.server = server

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.server.lock:
            for to in envelope.rcpt_tos:
                self.server.messages.append((to.lower(), message))
        return "250 Message accepted for delivery"


class MailServer:
    """An SMTP server on a loopback port; ``messages`` holds (recipient, message) as they arrive."""

    def __init__(self, port: int | None = None, *, login: tuple[str, str] | None = None,
                 tls: ssl.SSLContext | None = None) -> None:
        self.port = port or database.free_port()
        self.messages: list[tuple[str, email.message.EmailMessage]] = []
        self.lock = threading.Lock()
        self.logins: list[str] = []
        options: dict[str, Any] = {}
        if login is not None:
            options.update(authenticator=self._authenticator(login), auth_required=True)
        if tls is not None:
            options.update(tls_context=tls, require_starttls=True)
        self._controller = Controller(_Keeper(self), hostname="127.0.0.1", port=self.port, **options)

    def _authenticator(self, login: tuple[str, str]) -> Any:
        def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == login
            self.logins.append("ok" if ok else "refused")
            return AuthResult(success=ok, handled=False)
        return check

    def url(self, scheme: str = "smtp", user: str = "", password: str = "") -> str:
        auth = "%s:%s@" % (user, password) if user else ""
        return "%s://%s127.0.0.1:%d" % (scheme, auth, self.port)

    def start(self) -> "MailServer":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [message for to, message in self.messages if to == address.lower()]

    async def wait_for(self, address: str, count: int = 1, seconds: float = 20.0) -> email.message.EmailMessage:
        """The ``count``-th message to ``address``, once it has arrived (failing after ``seconds``)."""
        deadline = time.monotonic() + seconds
        while len(self.to(address)) < count:
            if time.monotonic() > deadline:
                raise AssertionError("no e-mail #%d to %s within %.0fs" % (count, address, seconds))
            await asyncio.sleep(0.01)
        return self.to(address)[count - 1]


def wait_for_blocking(server: MailServer, address: str, count: int = 1, seconds: float = 20.0):
    """`MailServer.wait_for` for a test that blocks (selenium): the ``count``-th message to ``address``."""
    deadline = time.monotonic() + seconds
    while len(server.to(address)) < count:
        if time.monotonic() > deadline:
            raise AssertionError("no e-mail #%d to %s within %.0fs" % (count, address, seconds))
        time.sleep(0.02)
    return server.to(address)[count - 1]


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message: email.message.EmailMessage) -> str:
    """The first link in the message's text."""
    found = LINK.search(text_of(message))
    assert found, "no link in %r" % text_of(message)
    return found.group(0)


def self_signed(directory: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A certificate for 127.0.0.1: the server's context, and a client's that trusts it."""
    cert, key = directory / "smtp.crt", directory / "smtp.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    return server, ssl.create_default_context(cafile=str(cert))
