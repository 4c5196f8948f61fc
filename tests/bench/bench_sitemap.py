"""Benchmark (issue 15.6): the sitemap of a 50,000-post site, file by file.

    .venv/bin/python tests/bench/bench_sitemap.py [--posts 50000]

Seeds one site with ``--posts`` published posts (one real post written through
the store, copied in bulk through the site's `Scoped` collection: only their
number matters here; every tenth one has a featured image), starts the app
(tests/bench/app_server.py, page cache on) and fetches ``/sitemap.xml`` and
every file it lists, twice: the first fetch of the index also reads the
site's listing whole (and keeps it in the database); the second of each file
is the kept page. Prints time and size per file. Then the index again after
one post is edited (the listing catches up on the posts written since), and
after the app is restarted (it starts from the kept listing). Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import re
import tempfile
import time
import urllib.request
from pathlib import Path

import support  # noqa: I001 (tests/bench is on sys.path when run as a script)

from cms import db as database
from cms.store import scoped
from cms.store.scoped import Scoped

HOST = "bench.localhost"
BATCH = 2000


async def prepare(uri: str, posts: int) -> None:
    # The posts were written an hour ago, as on a site that has been there a while: a
    # listing catches up on what was written in the last minute (cms.store.listing).
    real_now_ms = scoped.now_ms
    scoped.now_ms = lambda: real_now_ms() - 3600_000
    try:
        await seed(uri, posts)
    finally:
        scoped.now_ms = real_now_ms


async def seed(uri: str, posts: int) -> None:
    client = database.connect(uri)
    db = client["bench"]
    await database.ensure_indexes(db)
    store = await support.fill_site(db, posts=1)
    model = await db.posts.find_one({"site_id": store.site_id})
    scoped = Scoped(db.posts, store.site_id)
    base = model["published_at"]

    for start in range(0, posts - 1, BATCH):
        docs = []
        for i in range(start, min(start + BATCH, posts - 1)):
            when = base - dt.timedelta(minutes=i + 1)
            image = {"url": "/media/%024x/w800.jpg" % i, "width": 800, "height": 600} if i % 10 == 0 else None
            docs.append({**model, "_id": "%024x" % (i + 1), "slug": "post-%d" % (i + 1), "title": "Post %d" % (i + 1),
                         "published_at": when, "updated_at": when, "featured_image": image,
                         "tags": ["tag-%d" % (i % 50)], "tag_slugs": ["tag-%d" % (i % 50)]})
        await scoped.insert_many(docs)
    client.close()


async def edit_one(uri: str) -> None:
    client = database.connect(uri)
    db = client["bench"]
    post = await db.posts.find_one({"slug": "post-7"})
    edited = {"title": "Edited", "updated_at": dt.datetime.now(dt.timezone.utc)}
    await Scoped(db.posts, post["site_id"]).find_one_and_replace({"_id": post["_id"]}, {**post, **edited})
    client.close()


def fetch(base: str, path: str) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(base + path, headers={"Host": HOST}), timeout=120) as r:
        body = r.read()
    return time.perf_counter() - started, len(body), body


def main(posts: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, support.embedded(Path(tmp) / "db") as uri:
        started = time.perf_counter()
        asyncio.run(prepare(uri, posts))
        print("seeded %d posts in %.1f s" % (posts, time.perf_counter() - started))
        port = support.database.free_port()
        base = "http://127.0.0.1:%d" % port
        with support.app_process(uri, port, log=Path(tmp) / "app.log"):
            first, size, body = fetch(base, "/sitemap.xml")
            again, _, _ = fetch(base, "/sitemap.xml")
            files = [loc.split("/", 3)[3] for loc in re.findall(r"<loc>([^<]+)</loc>", body.decode())]
            print("machine: %s" % support.machine())
            print("%-24s %8s %10s %12s %12s" % ("file", "URLs", "bytes", "first ms", "kept ms"))
            print("%-24s %8d %10d %12.1f %12.1f" % ("sitemap.xml (index)", len(files), size, first * 1e3, again * 1e3))
            total = 0
            for name in files:
                first, size, body = fetch(base, "/" + name)
                again, _, _ = fetch(base, "/" + name)
                count = body.count(b"<url>")
                total += count
                print("%-24s %8d %10d %12.1f %12.1f" % (name, count, size, first * 1e3, again * 1e3))
            print("%d URLs in %d files" % (total, len(files)))
            before = fetch(base, "/sitemap.xml")[2]
            asyncio.run(edit_one(uri))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # until this process has seen the change (its counter poll)
                caught_up, _, body = fetch(base, "/sitemap.xml")
                if body != before:
                    break
            print("%-24s %8s %10s %12.1f   (one post edited: the listing catches up)" % ("sitemap.xml", "", "", caught_up * 1e3))
        with support.app_process(uri, port, log=Path(tmp) / "app2.log"):
            restarted, _, _ = fetch(base, "/sitemap.xml")
            print("%-24s %8s %10s %12.1f   (app restarted: from the kept listing)" % ("sitemap.xml", "", "", restarted * 1e3))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=50000)
    main(parser.parse_args().posts)
