"""Does a large WordPress import go fast, stay small in memory and leave readers served? Prints numbers (not a test).

    .venv/bin/python tests/bench/bench_import.py [--posts 10000] [--kb 5] [--realistic] [--cli] [--read-only]

Writes a WXR 1.2 file of ``--posts`` block-editor posts of about ``--kb`` KB
each (``--realistic``: also tags and categories, three comments a post --
approved, pending, spam -- and an image attachment as featured image; 10,000
posts of 4 KB make a 50 MB file), starts an embedded database in a temporary
directory and the real application over loopback, then imports the file while
two readers fetch the home page and a post back to back. The import runs the
way the admin's Import page does (`cms.importers.jobs.run`, in the web
process's event loop), or with ``--cli`` as ``python -m cms import wordpress``
in a process of its own. Prints the import's time and rate, memory (resident
size: of this process, or of the command's processes with ``--cli``) and each
reader's latency alone and during the import.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
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


def item(n: int, kb: float) -> str:
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


COMMENT = """<wp:comment><wp:comment_id>%d</wp:comment_id><wp:comment_author><![CDATA[Reader %d]]></wp:comment_author>
<wp:comment_author_email><![CDATA[reader%d@mail.example]]></wp:comment_author_email><wp:comment_author_url></wp:comment_author_url>
<wp:comment_author_IP><![CDATA[192.0.2.1]]></wp:comment_author_IP><wp:comment_date><![CDATA[2024-05-07 10:00:00]]></wp:comment_date>
<wp:comment_date_gmt><![CDATA[2024-05-07 08:00:00]]></wp:comment_date_gmt>
<wp:comment_content><![CDATA[%s]]></wp:comment_content><wp:comment_approved><![CDATA[%s]]></wp:comment_approved>
<wp:comment_type><![CDATA[comment]]></wp:comment_type><wp:comment_parent>%d</wp:comment_parent><wp:comment_user_id>0</wp:comment_user_id>
</wp:comment>
"""


def realistic(n: int, kb: float) -> str:
    """A post as a real blog's export has it: its image attachment first, then the post with
    tags, categories, a featured image and three comments (approved, a reply, pending or spam)."""
    attachment = n + 1_000_000
    url = "https://big.example/wp-content/uploads/2024/05/photo-%d.jpg" % n
    out = """<item><title><![CDATA[photo-%d]]></title><link>https://big.example/photo-%d/</link>
<dc:creator><![CDATA[writer]]></dc:creator><guid isPermaLink="false">%s</guid>
<content:encoded><![CDATA[]]></content:encoded><excerpt:encoded><![CDATA[A caption]]></excerpt:encoded>
<wp:post_id>%d</wp:post_id><wp:post_date_gmt><![CDATA[2024-05-06 07:00:00]]></wp:post_date_gmt>
<wp:post_name><![CDATA[photo-%d]]></wp:post_name><wp:status><![CDATA[inherit]]></wp:status>
<wp:post_parent>%d</wp:post_parent><wp:post_type><![CDATA[attachment]]></wp:post_type>
<wp:attachment_url><![CDATA[%s]]></wp:attachment_url>
<wp:postmeta><wp:meta_key><![CDATA[_wp_attached_file]]></wp:meta_key><wp:meta_value><![CDATA[2024/05/photo-%d.jpg]]></wp:meta_value></wp:postmeta>
<wp:postmeta><wp:meta_key><![CDATA[_wp_attachment_image_alt]]></wp:meta_key><wp:meta_value><![CDATA[Photo %d]]></wp:meta_value></wp:postmeta>
</item>
""" % (n, n, url, attachment, n, n + 100, url, n, n)
    post = item(n, kb)
    extra = "".join('<category domain="post_tag" nicename="tag-%d"><![CDATA[Tag %d]]></category>' % (t, t)
                    for t in ((n * 7 + k) % 300 for k in range(3)))
    extra += "".join('<category domain="category" nicename="topic-%d"><![CDATA[Topic %d]]></category>' % (c, c)
                     for c in ((n + k) % 12 for k in range(2)))
    extra += ('<wp:postmeta><wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key>'
              '<wp:meta_value><![CDATA[%d]]></wp:meta_value></wp:postmeta>' % attachment)
    first = 3 * n + 1
    extra += COMMENT % (first, n, n, "Thanks for this, it helped me with part %d." % n, "1", 0)
    extra += COMMENT % (first + 1, n + 1, n + 1, "Same here -- and the photo is lovely.", "1", first)
    extra += COMMENT % (first + 2, n + 2, n + 2, "Cheap watches at example.com", "spam" if n % 2 else "0", 0)
    return out + post.replace("</item>", extra + "</item>")


def write_wxr(path: Path, posts: int, kb: float, rich: bool = False) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEAD)
        for n in range(posts):
            out.write(realistic(n, kb) if rich else item(n, kb))
        out.write("</channel></rss>\n")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a live process so far (/proc/<pid>/stat)."""
    with open("/proc/%d/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_rss_mb(pid: int, cpu: dict[int, float] | None = None) -> float:
    """Resident memory of a process and all its descendants, from /proc; ``cpu`` gets the CPU
    time each of them has used so far, by pid."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            with open("/proc/%d/status" % current) as status:
                total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0) / 1024
            if cpu is not None:
                cpu[current] = cpu_seconds(current)
        except OSError:
            pass
    return total


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def summary(label: str, times: list[float]) -> str:
    times = sorted(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return "%-34s %6d %9.1f %9.1f %9.1f" % (label, len(times), statistics.median(times), p99, times[-1])


def read_only(posts: int, kb: float) -> None:
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


async def main(posts: int, kb: float, rich: bool, cli: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp, database.EmbeddedServer(Path(tmp) / "db") as server:
        wxr = Path(tmp) / "export.xml"
        t0 = time.perf_counter()
        write_wxr(wxr, posts, kb, rich)
        print("WXR: %d posts%s, %.1f MB (written in %.1f s)" % (
            posts, " with tags, categories, 3 comments and an image each" if rich else "",
            wxr.stat().st_size / 1048576, time.perf_counter() - t0))
        client = database.connect(server.uri)
        db = client["bench"]
        await database.ensure_indexes(db)
        store = SiteStore(db, await Sites(db).create("bench"))
        owner = await Users(db).create("owner@example.com", TEST_PASSWORD, username="owner")
        await store.members.add(owner["_id"], "owner")
        await store.members.add((await Users(db).create("writer@big.example", TEST_PASSWORD, username="writer"))["_id"],
                                "author")
        await store.posts.create(title="Hello", markdown=PARAGRAPH * 20, author_id=owner["_id"])
        settings = Settings(mongodb_uri=server.uri, database_name="bench", data_dir=Path(tmp), cookie_secret="x")
        app = make_app(settings, db)
        http_server = HTTPServer(app)
        port = database.free_port()
        http_server.listen(port, "127.0.0.1")
        reader = Client(port, AsyncHTTPClient(force_instance=True))

        async def read_until(path: str, done: asyncio.Event | None, count: int = 0) -> list[float]:
            times: list[float] = []
            while (done is not None and not done.is_set()) or (done is None and len(times) < count):
                started = time.perf_counter()
                response = await reader.get("bench", path, request_timeout=120)
                assert response.code == 200, response.code
                times.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.01)  # a reader every 10 ms, not a flood
            return times

        paths = ("/", "/posts/hello")
        for path in paths:
            await read_until(path, None, 20)
        baseline = await asyncio.gather(*(read_until(path, None, 200) for path in paths))
        samples: list[tuple[int, float]] = []
        before = rss_mb()

        def progress(phase: str, done: int, total: int, counts: dict) -> None:
            samples.append((done, rss_mb()))

        finished = asyncio.Event()
        readers = asyncio.gather(*(read_until(path, finished) for path in paths))
        started = time.perf_counter()
        database_cpu = cpu_seconds(server.process.pid)
        if cli:
            summary_line, peak = await command(wxr, server.uri, Path(tmp), started)
        else:
            report = await jobs.run(db, store.site, "wordpress", str(wxr), owner["_id"], progress=progress)
            summary_line = report.text().splitlines()[0]
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        took = time.perf_counter() - started
        print("CPU time of the database server during the import: %.1f s" % (cpu_seconds(server.process.pid)
                                                                           - database_cpu))
        finished.set()
        during = await readers
        print("import: %.1f s, %.1f posts/s; %s" % (took, posts / took, summary_line))
        if cli:
            print("memory of the import command with its reading and rendering processes (MB): peak %.0f" % peak)
        else:
            picks = [samples[int(i * (len(samples) - 1) / 8)] for i in range(9)] if samples else []
            print("memory (this process, MB): %.0f before; during, at items %s: %s; peak %.0f" % (
                before, "/".join(str(d) for d, _ in picks), "/".join("%.0f" % m for _, m in picks), peak))
        print("%-34s %6s %9s %9s %9s" % ("reader", "n", "p50 ms", "p99 ms", "max ms"))
        for path, alone, meanwhile in zip(paths, baseline, during):
            print(summary("GET %s alone" % path, alone))
            print(summary("GET %s during the import" % path, meanwhile))
        http_server.stop()
        app.stop_background_work()
        client.close()


async def command(wxr: Path, uri: str, data_dir: Path, started: float) -> tuple[str, float]:
    """``python -m cms import wordpress`` on the bench's database; (its report's first line, peak RSS in MB)."""
    env = {**os.environ, "MONGODB_URI": uri.rstrip("/") + "/bench", "COOKIE_SECRET": "x",
           "CMS_DATA_DIR": str(data_dir / "cli")}
    report = data_dir / "report.txt"  # a file, not a pipe: a long report would fill a pipe nobody reads yet
    with open(report, "w") as stdout:
        process = subprocess.Popen([sys.executable, "-m", "cms", "import", "wordpress", str(wxr), "--site", "bench"],
                                   cwd=Path(__file__).resolve().parents[2], env=env, stdout=stdout,
                                   stderr=subprocess.DEVNULL)
    peak, cpu = 0.0, {}
    while process.poll() is None:
        peak = max(peak, tree_rss_mb(process.pid, cpu))
        await asyncio.sleep(0.5)
    out = report.read_text()
    if process.returncode != 0:
        raise SystemExit("the import command failed (%d): %s" % (process.returncode, out[-2000:]))
    # CPU time is what the load of a shared machine does not change: with two free cores the
    # wall time is about half its sum (the processes overlap), at best.
    print("CPU time of the import command and its processes (sampled every 0.5 s): %.1f s; load average %.1f"
          % (sum(cpu.values()), os.getloadavg()[0]))
    return out.splitlines()[0] if out else "", peak


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10000)
    parser.add_argument("--kb", type=float, default=5, help="size of each post's HTML")
    parser.add_argument("--read-only", action="store_true",
                        help="only parse and convert the file (no database): the reading process's share")
    parser.add_argument("--realistic", action="store_true",
                        help="tags, categories, comments and a featured image attachment on every post")
    parser.add_argument("--cli", action="store_true", help="import with python -m cms import, in a process of its own")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    if args.read_only:
        read_only(args.posts, args.kb)
    else:
        asyncio.run(main(args.posts, args.kb, args.realistic, args.cli))
