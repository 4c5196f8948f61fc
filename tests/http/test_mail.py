"""E-mail through the outbox and the background sender, to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Awaitable, Callable

import pytest

from cms.config import ConfigError
from cms.mail import Mailer, SmtpConfig
from cms.mail.notices import notify_owners
from cms.store import Invalid
from cms.store.outbox import MAX_ATTEMPTS, Outbox
from tests.mail_server import MailServer, link_in, self_signed, text_of
from tests.waiting import until

FAST = dict(backoff=0.01, poll=0.05)


async def eventually(condition: Callable[[], Awaitable[bool]], what: str, seconds: float = 20.0) -> None:
    """Wait until the (async) condition holds, failing after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "timed out waiting for %s" % what
        await asyncio.sleep(0.01)


async def _outbox_has(db, status: str, count: int = 1) -> None:
    async def reached() -> bool:
        return (await Outbox(db).counts())[status] >= count

    await eventually(reached, "%d %s message(s) in the outbox" % (count, status))


async def test_a_message_arrives_through_smtp_and_is_marked_sent(app, mail, db):
    await app.mail.send("reader@example.org", "Hello there", "Open https://demo.localhost/x to go on.",
                        kind="test", site_id="s1", headers={"Reply-To": "owner@example.org"})
    message = await mail.wait_for("reader@example.org")
    assert message["Subject"] == "Hello there"
    assert message["From"] == "no-reply@localhost"
    assert message["Reply-To"] == "owner@example.org"
    assert link_in(message) == "https://demo.localhost/x"
    await _outbox_has(db, "sent")
    [stored] = await Outbox(db).list(status="sent")
    assert (stored["to"], stored["kind"], stored["site_id"], stored["attempts"]) == ("reader@example.org", "test", "s1", 1)


async def test_html_goes_as_an_alternative_to_the_text(app, mail):
    await app.mail.send("a@example.org", "Both", "plain words", kind="test", html="<p>rich words</p>")
    message = await mail.wait_for("a@example.org")
    assert text_of(message).strip() == "plain words"
    assert "rich words" in message.get_body(preferencelist=("html",)).get_content()


@pytest.mark.parametrize("to, subject, headers", [
    ("not an address", "Subject", None),
    ("a@example.org", "   ", None),
    ("a@example.org", "Subject", {"Bad Name": "x"}),
    ("a@example.org", "Subject", {"X-Ok": ""}),
])
async def test_bad_input_is_refused_and_stores_nothing(app, db, to, subject, headers):
    with pytest.raises(Invalid):
        await app.mail.send(to, subject, "text", kind="test", headers=headers)
    assert sum((await Outbox(db).counts()).values()) == 0


async def test_a_newline_in_a_subject_or_header_cannot_add_a_header(app, mail):
    await app.mail.send("a@example.org", "Hi\r\nBcc: victim@example.org", "text", kind="test",
                        headers={"X-Note": "one\nBcc: victim@example.org"})
    message = await mail.wait_for("a@example.org")
    assert message["Bcc"] is None and mail.to("victim@example.org") == []
    assert message["Subject"] == "Hi Bcc: victim@example.org"


async def test_a_message_waits_while_smtp_is_down_and_goes_once_it_is_up(db, caplog):
    server = MailServer()  # its port is chosen, nothing listens there yet
    mailer = Mailer(db, server.url(), **FAST)
    try:
        await mailer.send("late@example.org", "Patience", "text", kind="test")
        tried: dict = {}

        async def tried_twice() -> bool:
            [tried["message"]] = await Outbox(db).list()
            return tried["message"]["attempts"] >= 2

        await eventually(tried_twice, "two failed attempts")
        assert "127.0.0.1:%d" % server.port in tried["message"]["last_error"]
        server.start()
        try:
            await server.wait_for("late@example.org")
            await _outbox_has(db, "sent")
        finally:
            server.stop()
    finally:
        mailer.stop()
    assert "was not sent (attempt 1" in caplog.text


async def test_the_sender_gives_up_after_the_last_attempt(db, caplog):
    mailer = Mailer(db, MailServer().url(), **FAST)  # never started
    try:
        await mailer.send("never@example.org", "Lost", "text", kind="test")
        await _outbox_has(db, "failed")
    finally:
        mailer.stop()
    [failed] = await Outbox(db).list(status="failed")
    assert failed["attempts"] == MAX_ATTEMPTS and failed["last_error"]
    assert "gave up the test e-mail" in caplog.text


async def test_two_senders_never_send_one_message_twice(db, smtp_server):
    outbox = Outbox(db)
    for n in range(20):
        await outbox.queue("many@example.org", "Message %d" % n, "text", kind="test")
    first, second = (Mailer(db, smtp_server.url(), **FAST) for _ in range(2))
    first.start()
    second.start()
    try:
        await smtp_server.wait_for("many@example.org", count=20)
        await _outbox_has(db, "sent", 20)
    finally:
        first.stop()
        second.stop()
    subjects = [m["Subject"] for m in smtp_server.to("many@example.org")]
    assert sorted(subjects) == sorted("Message %d" % n for n in range(20))


async def test_without_smtp_each_message_is_logged_once_link_included(db, caplog):
    caplog.set_level(logging.INFO, logger="cms.mail")
    mailer = Mailer(db, None, **FAST)
    try:
        await mailer.send("newcomer@example.org", "Confirm", "Open http://demo.localhost:8888/confirm/abc", kind="confirm")
        await until(lambda: "http://demo.localhost:8888/confirm/abc" in caplog.text, what="the logged e-mail")
        await mailer.send("second@example.org", "Second", "text two", kind="test")
        await until(lambda: "second@example.org" in caplog.text, what="the second logged e-mail")
    finally:
        mailer.stop()
    assert caplog.text.count("confirm/abc") == 1
    assert (await Outbox(db).counts())["queued"] == 2  # kept: sent once an SMTP_URL is set


async def test_a_password_is_never_sent_without_tls_nor_logged(db, caplog):
    server = MailServer(login=("mailer", "s3cret-pass")).start()
    mailer = Mailer(db, server.url(user="mailer", password="s3cret-pass"), **FAST)
    try:
        await mailer.send("x@example.org", "Hi", "text", kind="test")
        await until(lambda: "was not sent" in caplog.text, what="the refusal in the log")
    finally:
        mailer.stop()
        server.stop()
    assert server.logins == []  # no login was tried in clear
    assert "STARTTLS" in caplog.text
    assert "s3cret-pass" not in caplog.text
    [message] = await Outbox(db).list()
    assert "s3cret-pass" not in str(message)


async def test_wrong_credentials_over_starttls_are_logged_without_the_password(db, caplog, tmp_path):
    server_tls, client_tls = self_signed(tmp_path)
    server = MailServer(login=("mailer", "right-pass"), tls=server_tls).start()
    wrong = Mailer(db, server.url(user="mailer", password="wrong-pass"), tls_context=client_tls, **FAST)
    try:
        await wrong.send("x@example.org", "Hi", "text", kind="test")
        await until(lambda: "SMTPAuthenticationError" in caplog.text, what="the refused login in the log")
        wrong.stop()
        assert "wrong-pass" not in caplog.text and server.logins[0] == "refused"
        right = Mailer(db, server.url(user="mailer", password="right-pass"), tls_context=client_tls, **FAST)
        right.start()
        try:
            await server.wait_for("x@example.org")
        finally:
            right.stop()
    finally:
        wrong.stop()
        server.stop()
    assert "ok" in server.logins


@pytest.mark.parametrize("url", ["http://host", "smtp://", "smtp://host:notaport", "ftp://u:p@host:21"])
def test_a_bad_smtp_url_is_a_configuration_error(url):
    with pytest.raises(ConfigError):
        SmtpConfig.from_url(url)


def test_smtp_url_parts_and_defaults():
    config = SmtpConfig.from_url("smtp://me%40x.org:p%40ss@mail.example.org?from=blog@example.org")
    assert (config.host, config.port, config.username, config.password, config.sender, config.use_tls) == (
        "mail.example.org", 587, "me@x.org", "p@ss", "blog@example.org", False)
    assert SmtpConfig.from_url("smtps://mail.example.org", "blogs.example").port == 465
    assert SmtpConfig.from_url("smtps://mail.example.org", "blogs.example").sender == "no-reply@blogs.example"
    assert "p@ss" not in repr(config)


async def test_a_notice_goes_to_each_owner_of_that_site_only(app, mail, world, db):
    alpha = await world.site("alpha", title="Alpha")
    beta = await world.site("beta", title="Beta")
    first = await world.member(alpha, "owner", email="first@example.com")
    second = await world.member(alpha, "admin", email="second@example.com")
    await alpha.members.set_role(second["_id"], "owner")
    await world.member(alpha, "editor", email="editor@example.com")
    await world.member(beta, "owner", email="beta-owner@example.com")
    await beta.members.add(first["_id"], "author")
    unproven = await world.users.create("unproven@example.com", "an unconfirmed one", email_confirmed=False)
    await alpha.members.add(unproven["_id"], "owner")  # as a sign-up not confirmed yet: no notice to it
    count = await notify_owners(db, app.mail, alpha.site, "A new comment", "Someone commented on a post.")
    assert count == 2
    for owner in ("first@example.com", "second@example.com"):
        message = await mail.wait_for(owner)
        assert message["Subject"] == "[Alpha] A new comment" and message["To"] == owner
    await _outbox_has(db, "sent", 2)
    assert mail.to("editor@example.com") == mail.to("beta-owner@example.com") == mail.to("unproven@example.com") == []
    assert {m["site_id"] for m in await Outbox(db).list()} == {alpha.site_id}
