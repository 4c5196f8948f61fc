"""Reader-side latency on the embedded database: a script that prints numbers.

    .venv/bin/python tests/bench/bench_reader.py [--posts 200] [--requests 200] [--cold]

Starts its own embedded server in a temporary directory, fills one site, then
times sequential requests per URL over loopback. ``--cold`` keeps no rendered
page (cms.pagecache), so every request renders afresh: the cost of a first
visit, or of any visit right after a write. Not a test: no assertions.
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

from tornado.httpclient import AsyncHTTPClient  # noqa: E402
from tornado.httpserver import HTTPServer  # noqa: E402

from cms import db as database  # noqa: E402
from cms.app import make_app  # noqa: E402
from cms.config import Settings  # noqa: E402
from cms.pagecache import PageCache  # noqa: E402
from cms.store import Sites, SiteStore, Users  # noqa: E402

URLS = ["/", "/?page=5", "/posts/post-100", "/tags/tag-3", "/search?q=lorem", "/feed.xml", "/sitemap.xml"]


async def main(posts: int, requests: int, cold: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp, database.EmbeddedServer(Path(tmp) / "db") as server:
        client = database.connect(server.uri)
        db = client["bench"]
        await database.ensure_indexes(db)
        store = SiteStore(db, await Sites(db).create("bench"))
        user = await Users(db).create("b@example.com", "correct horse battery staple", username="bench")
        await store.members.add(user["_id"], "owner")
        started = time.perf_counter()
        body = "## Heading\n\nLorem ipsum dolor sit amet. " * 40 + "\n\n```python\nprint('x')\n```\n"
        for i in range(posts):
            await store.posts.create(title="Post %d" % i, markdown=body, author_id=user["_id"],
                                     tags=["tag-%d" % (i % 7)])
        print("created %d posts in %.2fs (%.1f ms/post, Markdown rendering included)"
              % (posts, time.perf_counter() - started, (time.perf_counter() - started) * 1000 / posts))
        settings = Settings(mongodb_uri=server.uri, database_name="bench", data_dir=Path(tmp), cookie_secret="x")
        app = make_app(settings, db)
        if cold:
            app.page_cache = PageCache(max_bytes=0)
        http_server = HTTPServer(app)
        port = database.free_port()
        http_server.listen(port, "127.0.0.1")
        http = AsyncHTTPClient(force_instance=True)
        print("%-18s %8s %8s %8s %8s" % ("url", "req/s", "p50 ms", "p95 ms", "max ms"))
        for url in URLS:
            times = []
            for _ in range(requests):
                t0 = time.perf_counter()
                response = await http.fetch("http://127.0.0.1:%d%s" % (port, url), headers={"Host": "bench.localhost"})
                times.append((time.perf_counter() - t0) * 1000)
                assert response.code == 200
            times.sort()
            print("%-18s %8.0f %8.1f %8.1f %8.1f" % (
                url, 1000 / statistics.mean(times), statistics.median(times),
                times[int(len(times) * 0.95) - 1], times[-1]))
        http.close()
        http_server.stop()
        client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--cold", action="store_true", help="keep no rendered pages")
    args = parser.parse_args()
    asyncio.run(main(args.posts, args.requests, args.cold))
