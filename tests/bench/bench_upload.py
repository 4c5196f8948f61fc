"""Does a big upload stall readers? A script that prints numbers (not a test).

    /tmp/venv/bin/python tests/bench/bench_upload.py [--megapixels 20] [--uploads 2] [--inline]

Starts an embedded server in a temporary directory, one site with a post, and
the real application over loopback. A reader fetches ``/posts/hello`` back to
back, first alone (baseline), then while an author uploads a JPEG of
``--megapixels`` through ``POST /admin/media``. Prints the reader's latency
in both phases and how long each upload took. ``--inline`` runs the image
processing on the event loop instead of the executor, to show what the
executor buys.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PIL import Image, ImageDraw  # noqa: E402
from tornado.httpclient import AsyncHTTPClient  # noqa: E402
from tornado.httpserver import HTTPServer  # noqa: E402

from cms import db as database  # noqa: E402
from cms.app import make_app  # noqa: E402
from cms.config import Settings  # noqa: E402
from cms.images import process_file  # noqa: E402
from cms.store import Sites, SiteStore, Users  # noqa: E402
from cms.store import media as media_store  # noqa: E402
from tests.admin_session import Session  # noqa: E402
from tests.conftest import TEST_PASSWORD, Client  # noqa: E402
from tests.images import multipart  # noqa: E402


def big_jpeg(megapixels: float) -> bytes:
    width = int(math.sqrt(megapixels * 1_000_000 * 3 / 2))
    height = int(width * 2 / 3)
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for i in range(0, width, 97):
        draw.line([(i, 0), (width - i, height)], fill=(i % 255, 80, 200), width=9)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def summary(label: str, times: list[float]) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return "%-26s %6d %9.1f %9.1f %9.1f" % (label, len(times), statistics.median(times), p95, times[-1])


async def main(megapixels: float, uploads: int, inline: bool) -> None:
    if inline:
        async def on_the_loop(path, limits):
            return process_file(path, limits)
        media_store.process_upload = on_the_loop
        import cms.handlers.media as handlers
        handlers.process_upload = on_the_loop
    data = big_jpeg(megapixels)
    with tempfile.TemporaryDirectory() as tmp, database.EmbeddedServer(Path(tmp) / "db") as server:
        client = database.connect(server.uri)
        db = client["bench"]
        await database.ensure_indexes(db)
        store = SiteStore(db, await Sites(db).create("bench"))
        user = await Users(db).create("b@example.com", TEST_PASSWORD, username="bench")
        await store.members.add(user["_id"], "owner")
        await store.posts.create(title="Hello", markdown="Lorem ipsum dolor sit amet. " * 100, author_id=user["_id"])
        settings = Settings(mongodb_uri=server.uri, database_name="bench", data_dir=Path(tmp), cookie_secret="x")
        http_server = HTTPServer(make_app(settings, db), max_body_size=200 * 1024 * 1024)
        port = database.free_port()
        http_server.listen(port, "127.0.0.1")
        http = AsyncHTTPClient(force_instance=True)
        reader = Client(port, AsyncHTTPClient(force_instance=True))
        author = Session(Client(port, http), "bench")
        await author.login(user["email"])

        async def read_until(done: asyncio.Event | None, count: int = 0) -> list[float]:
            times: list[float] = []
            while (done is not None and not done.is_set()) or (done is None and len(times) < count):
                t0 = time.perf_counter()
                response = await reader.get("bench", "/posts/hello", request_timeout=120)
                assert response.code == 200, response.code
                times.append((time.perf_counter() - t0) * 1000)
            return times

        await read_until(None, 20)  # warm up
        baseline = await read_until(None, 200)
        print("image: %.1f MP JPEG, %.1f MB; processing %s" % (
            megapixels, len(data) / 1048576, "ON THE EVENT LOOP (--inline)" if inline else "in the executor"))
        during: list[float] = []
        upload_times = []
        for _ in range(uploads):
            body, content_type = multipart([("big-%d.jpg" % len(upload_times), data, "image/jpeg")])
            done = asyncio.Event()
            readers = asyncio.ensure_future(read_until(done))
            t0 = time.perf_counter()
            await store.media.delete((await store.media.list()).items[0]["_id"]) if upload_times else None
            response = await author.fetch("/admin/media", "POST", body=body, request_timeout=600, headers={
                "Content-Type": content_type, "X-XSRFToken": author.xsrf, "Accept": "application/json"})
            upload_times.append(time.perf_counter() - t0)
            done.set()
            during += await readers
            assert response.code in (200, 201), response.body[:300]
        print("%-26s %6s %9s %9s %9s" % ("reader GET /posts/hello", "n", "p50 ms", "p95 ms", "max ms"))
        print(summary("alone", baseline))
        print(summary("during the uploads", during))
        print("uploads: %s s each (decode, orient, strip, %d files, store in GridFS)" % (
            ", ".join("%.2f" % t for t in upload_times), len((await store.media.list()).items[0]["files"])))
        http_server.stop()
        http.close()
        client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=20)
    parser.add_argument("--uploads", type=int, default=2)
    parser.add_argument("--inline", action="store_true", help="process on the event loop (for comparison)")
    args = parser.parse_args()
    asyncio.run(main(args.megapixels, args.uploads, args.inline))
