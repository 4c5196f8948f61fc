"""Does exporting a large site stall readers or fill the memory? A script that prints numbers (not a test).

    .venv/bin/python tests/bench/bench_export.py [--posts 3000] [--media 8]   (needs curl)

Starts an embedded server in a temporary directory and one site of
``--posts`` posts (one written through the store, the rest bulk copies of it
with their own slugs: only their number matters here) with two revisions
each, and ``--media`` photos of about 2 MB. The real application serves it
over loopback in this process. A reader fetches ``/posts/post-1`` back to
back, alone (the yardstick), then while the owner downloads each export
format from ``POST /admin/export`` with curl (another process, as a browser
would be). Prints the reader's latency in each
phase, how long each export took, its size, and how much the process's
resident memory grew while it was made (sampled every 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PIL import Image  # noqa: E402
from tornado.httpclient import AsyncHTTPClient  # noqa: E402
from tornado.httpserver import HTTPServer  # noqa: E402

from cms import db as database  # noqa: E402
from cms.app import make_app  # noqa: E402
from cms.config import Settings  # noqa: E402
from cms.images import Limits  # noqa: E402
from cms.store import Sites, SiteStore, Users  # noqa: E402
from cms.store.ids import new_id  # noqa: E402
from cms.store.media import process_upload  # noqa: E402
from tests.admin_session import Session  # noqa: E402
from tests.bench.support import BODY  # noqa: E402
from tests.conftest import TEST_PASSWORD, Client  # noqa: E402


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def photo(seed: int) -> bytes:
    """A 2400x1600 JPEG of noise (about 2 MB: noise does not compress)."""
    image = Image.effect_noise((2400, 1600), 60 + seed).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def summary(label: str, times: list[float]) -> str:
    times = sorted(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return "%-30s %6d %9.1f %9.1f %9.1f" % (label, len(times), statistics.median(times), p99, times[-1])


async def fill(db, tmp: Path, posts: int, media: int) -> tuple[SiteStore, dict]:
    store = SiteStore(db, await Sites(db).create("bench"))
    owner = await Users(db).create("owner@example.com", TEST_PASSWORD, username="owner")
    await store.members.add(owner["_id"], "owner")
    for n in range(media):
        path = tmp / ("photo-%d.jpg" % n)
        path.write_bytes(photo(n))
        await store.media.add(await process_upload(str(path), Limits()), path.name, owner["_id"])
    model = await store.posts.create(title="Post 0", markdown=BODY * 3, author_id=owner["_id"], slug="post-0",
                                     tags=["one", "two"])
    revision = await db.revisions.find_one({"post_id": model["_id"]})
    for start in range(1, posts, 500):
        batch, revisions = [], []
        for i in range(start, min(posts, start + 500)):
            post_id = new_id()
            batch.append({**model, "_id": post_id, "slug": "post-%d" % i, "title": "Post %d" % i})
            for version in (1, 2):
                revisions.append({**revision, "_id": new_id(), "post_id": post_id, "version": version})
        await db.posts.insert_many(batch)
        await db.revisions.insert_many(revisions)
    return store, owner


async def main(posts: int, media: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, database.EmbeddedServer(Path(tmp) / "db") as server:
        client = database.connect(server.uri)
        db = client["bench"]
        await database.ensure_indexes(db)
        t0 = time.perf_counter()
        store, owner = await fill(db, Path(tmp), posts, media)
        print("site: %d posts (2 revisions each), %d photos; made in %.0f s" % (posts, media, time.perf_counter() - t0))
        settings = Settings(mongodb_uri=server.uri, database_name="bench", data_dir=Path(tmp), cookie_secret="x")
        app = make_app(settings, db)
        http_server = HTTPServer(app)
        port = database.free_port()
        http_server.listen(port, "127.0.0.1")
        reader = Client(port, AsyncHTTPClient(force_instance=True))
        owner_session = Session(Client(port, AsyncHTTPClient(force_instance=True)), "bench")
        await owner_session.login(owner["email"])

        async def read_until(done: asyncio.Event | None, count: int = 0) -> list[float]:
            times: list[float] = []
            while (done is not None and not done.is_set()) or (done is None and len(times) < count):
                started = time.perf_counter()
                response = await reader.get("bench", "/posts/post-1", request_timeout=120)
                assert response.code == 200, response.code
                times.append((time.perf_counter() - started) * 1000)
            return times

        async def sample_rss(done: asyncio.Event) -> float:
            peak = rss_mib()
            while not done.is_set():
                peak = max(peak, rss_mib())
                await asyncio.sleep(0.05)
            return peak

        async def download(format: str) -> int:
            """The export through curl, another process, as a browser would fetch it: the bytes
            received are not this process's work (a client here would compete with the readers)."""
            cookies = "; ".join("%s=%s" % item for item in owner_session.cookies.items())
            curl = await asyncio.create_subprocess_exec(
                "curl", "-sS", "--fail", "-o", "/dev/null", "-w", "%{size_download}", "--max-time", "1800",
                "-H", "Host: bench.localhost:%d" % port, "-H", "Cookie: " + cookies,
                "--data", "format=%s&_xsrf=%s" % (format, owner_session.xsrf),
                "http://127.0.0.1:%d/admin/export" % port, stdout=asyncio.subprocess.PIPE)
            out, _ = await curl.communicate()
            assert curl.returncode == 0, curl.returncode
            return int(out)

        await read_until(None, 20)  # warm up
        started = time.perf_counter()
        await download("archive")
        print("archive export with no reader: %.1f s" % (time.perf_counter() - started))
        print("%-30s %6s %9s %9s %9s" % ("reader GET /posts/post-1", "n", "p50 ms", "p99 ms", "max ms"))
        print(summary("alone", await read_until(None, 200)))
        results = []
        for format in ("archive", "markdown", "wxr"):
            done = asyncio.Event()
            before = rss_mib()
            readers = asyncio.ensure_future(read_until(done))
            peak = asyncio.ensure_future(sample_rss(done))
            started = time.perf_counter()
            size = await download(format)
            took = time.perf_counter() - started
            done.set()
            print(summary("during the %s export" % format, await readers))
            results.append((format, took, size / 1048576, (await peak) - before))
        for format, took, size, grew in results:
            print("export %-8s %6.1f s  %7.1f MB  resident memory +%.0f MB at most while it was made and sent"
                  % (format, took, size, grew))
        http_server.stop()
        app.changes.stop()
        client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--media", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.posts, args.media))
