"""Does a large WordPress import stay small in memory and leave readers served? Prints numbers (not a test).

    .venv/bin/python tests/bench/bench_import.py [--posts 10000] [--kb 5] [--read-only]

Writes a WXR 1.2 file of ``--posts`` block-editor posts of about ``--kb`` KB
each (10,000 x 5 KB: about 50 MB), starts an embedded database in a temporary
directory and the real application over loopback, then imports the file the
way the admin's Import page does (`cms.importers.jobs.run`, in the web
process's event loop) while a reader fetches a post back to back. Prints the
import's time and rate, this process's memory (resident size before, sampled
during, and its peak), and the reader's latency alone and during the import.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tornado.httpclient import AsyncHTTPClient  # noqa: E402
from tornado.httpserver import HTTPServer  # noqa: E402

from cms import db as database  # noqa: E402
from cms.app import make_app  # noqa: E402
from cms.config import Settings  # noqa: E402
from cms.importers import jobs  # noqa: E402
from cms.store import Sites, SiteStore, Users  # noqa: E402
from tests.conftest import TEST_PASSWORD, Client  # noqa: E402

HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Big blog</title><link>https://big.example</link><wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>https://big.example</wp:base_site_url>
<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[writer]]></wp:author_login>
<wp:author_email><![CDATA[writer@big.example]]></wp:author_email><wp:author_display_name><![CDATA[Writer]]></wp:author_display_name></wp:author>
"""
PARAGRAPH = ("<!-- wp:paragraph -->\n<p>Lorem ipsum dolor sit amet, <strong>consectetur</strong> adipiscing elit, "
             "sed do eiusmod tempor incididunt ut labore et <a href=\"https://big.example/\">dolore</a> magna "
             "aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris.</p>\n<!-- /wp:paragraph -->\n\n")


def item(n: int, kb: int) -> str:
    body = "<!-- wp:heading -->\n<h2 class=\"wp-block-heading\">Part %d</h2>\n<!-- /wp:heading -->\n\n" % n
    body += ('<!-- wp:image {"id":9} -->\n<figure class="wp-block-image"><img src="https://big.example/wp-content/'
             'uploads/2024/05/photo-%d.jpg" alt="Photo"/><figcaption>Caption %d</figcaption></figure>\n'
             "<!-- /wp:image -->\n\n" % (n, n))
    while len(body) < kb * 1024:
        body += PARAGRAPH
    return """<item><title><![CDATA[Post number %d]]></title><link>https://big.example/2024/05/post-%d/</link>
<dc:creator><![CDATA[writer]]></dc:creator><guid isPermaLink="false">https://big.example/?p=%d</guid>
<content:encoded><![CDATA[%s]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>%d</wp:post_id><wp:post_date_gmt><![CDATA[2024-05-06 07:%02d:00]]></wp:post_date_gmt>
<wp:post_name><![CDATA[post-%d]]></wp:post_name><wp:status><![CDATA[publish]]></wp:status>
<wp:post_parent>0</wp:post_parent><wp:post_type><![CDATA[post]]></wp:post_type><wp:post_password><![CDATA[]]></wp:post_password>
<wp:is_sticky>0</wp:is_sticky><category domain="post_tag" nicename="t%d"><![CDATA[Tag %d]]></category></item>
""" % (n, n, n + 100, body, n + 100, n % 60, n, n % 50, n % 50)


def write_wxr(path: Path, posts: int, kb: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEAD)
        for n in range(posts):
            out.write(item(n, kb))
        out.write("</channel></rss>\n")


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def summary(label: str, times: list[float]) -> str:
    times = sorted(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return "%-28s %6d %9.1f %9.1f %9.1f" % (label, len(times), statistics.median(times), p99, times[-1])


def read_only(posts: int, kb: int) -> None:
    """Only what the reading process does (parse, convert), in this process: its time and peak memory."""
    from cms.importers.wordpress import WordPress

    with tempfile.TemporaryDirectory() as tmp:
        wxr = Path(tmp) / "export.xml"
        write_wxr(wxr, posts, kb)
        before = rss_mb()
        started = time.perf_counter()
        source = WordPress(wxr)
        source.prepare()
        checked = time.perf_counter() - started
        count, samples = 0, []
        for _ in source.entries():
            count += 1
            if count % max(1, posts // 8) == 0:
                samples.append("%.0f" % rss_mb())
        took = time.perf_counter() - started
        print("read only: %d posts, %.1f MB: checked in %.1f s, read and converted in %.1f s (%.0f posts/s)" % (
            count, wxr.stat().st_size / 1048576, checked, took, count / took))
        print("memory (MB): %.0f before; every %d posts: %s; peak %.0f" % (
            before, max(1, posts // 8), "/".join(samples), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


async def main(posts: int, kb: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, database.EmbeddedServer(Path(tmp) / "db") as server:
        wxr = Path(tmp) / "export.xml"
        t0 = time.perf_counter()
        write_wxr(wxr, posts, kb)
        print("WXR: %d posts, %.1f MB (written in %.1f s)" % (posts, wxr.stat().st_size / 1048576,
                                                              time.perf_counter() - t0))
        client = database.connect(server.uri)
        db = client["bench"]
        await database.ensure_indexes(db)
        store = SiteStore(db, await Sites(db).create("bench"))
        owner = await Users(db).create("owner@example.com", TEST_PASSWORD, username="owner")
        await store.members.add(owner["_id"], "owner")
        await store.posts.create(title="Hello", markdown=PARAGRAPH * 20, author_id=owner["_id"])
        settings = Settings(mongodb_uri=server.uri, database_name="bench", data_dir=Path(tmp), cookie_secret="x")
        app = make_app(settings, db)
        http_server = HTTPServer(app)
        port = database.free_port()
        http_server.listen(port, "127.0.0.1")
        reader = Client(port, AsyncHTTPClient(force_instance=True))

        async def read_until(done: asyncio.Event | None, count: int = 0) -> list[float]:
            times: list[float] = []
            while (done is not None and not done.is_set()) or (done is None and len(times) < count):
                started = time.perf_counter()
                response = await reader.get("bench", "/posts/hello", request_timeout=120)
                assert response.code == 200, response.code
                times.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.01)  # a reader every 10 ms, not a flood
            return times

        await read_until(None, 20)
        baseline = await read_until(None, 200)
        samples: list[tuple[int, float]] = []
        before = rss_mb()

        def progress(phase: str, done: int, total: int, counts: dict) -> None:
            samples.append((done, rss_mb()))

        finished = asyncio.Event()
        readers = asyncio.ensure_future(read_until(finished))
        started = time.perf_counter()
        report = await jobs.run(db, store.site, "wordpress", str(wxr), owner["_id"], progress=progress)
        took = time.perf_counter() - started
        finished.set()
        during = await readers
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("import: %.1f s, %.1f posts/s; %s" % (took, posts / took, report.text().splitlines()[0]))
        picks = [samples[int(i * (len(samples) - 1) / 8)] for i in range(9)] if samples else []
        print("memory (this process, MB): %.0f before; during, at items %s: %s; peak %.0f" % (
            before, "/".join(str(d) for d, _ in picks), "/".join("%.0f" % m for _, m in picks), peak))
        print("%-28s %6s %9s %9s %9s" % ("reader GET /posts/hello", "n", "p50 ms", "p99 ms", "max ms"))
        print(summary("alone", baseline))
        print(summary("during the import", during))
        http_server.stop()
        app.stop_background_work()
        client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10000)
    parser.add_argument("--kb", type=int, default=5, help="size of each post's HTML")
    parser.add_argument("--read-only", action="store_true",
                        help="only parse and convert the file (no database): the reading process's share")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    if args.read_only:
        read_only(args.posts, args.kb)
    else:
        asyncio.run(main(args.posts, args.kb))
