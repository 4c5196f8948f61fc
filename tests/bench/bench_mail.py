"""What e-mail costs: queuing a message from a request, and delivering the outbox. Prints numbers.

    .venv/bin/python tests/bench/bench_mail.py [--messages 200] [--senders 2]

Starts its own embedded server and a local SMTP server (aiosmtpd, in a thread).
Times what ``Mailer.send`` makes a request wait for (one insert into the outbox)
against the yardstick of one bare ``insert_one`` of the same document size,
then how long ``--senders`` background senders take to deliver ``--messages``
messages (messages a second), and checks that none arrived twice. Not a test:
no assertions, beyond reporting duplicates.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cms import db as database  # noqa: E402
from cms.mail import Mailer  # noqa: E402
from cms.store.outbox import Outbox  # noqa: E402
from tests.mail_server import MailServer  # noqa: E402

TEXT = "Hello,\n\nOpen this link to confirm: http://alpha.localhost:8888/confirm/%s\n" % ("x" * 43)


def summary(times: list[float]) -> str:
    times = sorted(times)
    return "p50 %.2f ms, p95 %.2f ms" % (statistics.median(times) * 1000, times[int(len(times) * 0.95)] * 1000)


async def main(messages: int, senders: int) -> None:
    smtp = MailServer().start()
    with tempfile.TemporaryDirectory() as tmp, database.EmbeddedServer(Path(tmp) / "db") as server:
        client = database.connect(server.uri)
        db = client["bench"]
        await database.ensure_indexes(db)
        bare = []
        for n in range(messages):
            started = time.perf_counter()
            await db.yardstick.insert_one({"to": "reader%d@example.org" % n, "subject": "Confirm", "text": TEXT})
            bare.append(time.perf_counter() - started)
        outbox = Outbox(db)  # what Mailer.send awaits (then it sets an asyncio.Event): no sender runs yet
        queued = []
        for n in range(messages):
            started = time.perf_counter()
            await outbox.queue("reader%d@example.org" % n, "Confirm your address", TEXT, kind="confirm")
            queued.append(time.perf_counter() - started)
        print("queue a message (Mailer.send's insert): %s; bare insert_one: %s; ratio p50 %.2fx" % (
            summary(queued), summary(bare), statistics.median(queued) / statistics.median(bare)))

        mailers = [Mailer(db, smtp.url(), poll=0.2) for _ in range(senders)]
        started = time.perf_counter()
        for mailer in mailers:
            mailer.start()
        while (await Outbox(db).counts())["sent"] < messages:
            await asyncio.sleep(0.05)
        took = time.perf_counter() - started
        for mailer in mailers:
            mailer.stop()
        arrived = len(smtp.messages)
        print("deliver %d messages with %d sender(s): %.1f s, %.0f messages/s; arrived %d (duplicates: %d)" % (
            messages, senders, took, messages / took, arrived, arrived - messages))
        client.close()
    smtp.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--senders", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.senders))
