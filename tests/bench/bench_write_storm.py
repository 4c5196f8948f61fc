"""Benchmark 3 (issue 13): readers while writers save drafts and publish.

    .venv/bin/python tests/bench/bench_write_storm.py [--seconds 20] [--readers 64] [--writers 3]

The app (page cache on) and its database on core 0; ``wrk`` with 64
connections on core 1 reads the home page, a tag page and post pages round
robin, while 3 writers -- another process's client on the same database, as
authors in the admin would -- keep saving drafts (each save also an
autosave) and publishing edits of published posts. Target: reader p99 < 250
ms. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from pathlib import Path

import support  # noqa: I001 (tests/bench is on sys.path when run as a script)

from cms import db as database
from cms.store import Sites, SiteStore, Users


async def prepare(uri: str) -> None:
    client = database.connect(uri)
    await database.ensure_indexes(client["bench"])
    await support.fill_site(client["bench"], posts=100)
    client.close()


async def write(uri: str, seconds: float, writers: int) -> dict:
    client = database.connect(uri)
    db = client["bench"]
    store = SiteStore(db, await Sites(db).by_name("bench"))
    user = await Users(db).by_email("bench@example.com")
    published = [p async for p in db.posts.find({"site_id": store.site_id}).sort("published_at", -1).limit(writers)]
    done: dict = {"drafts": 0, "publishes": 0, "save_ms": []}
    deadline = time.monotonic() + seconds

    async def writer(n: int) -> None:
        draft = await store.posts.create(title="Draft %d" % n, markdown=support.BODY, author_id=user["_id"],
                                         status="draft")
        post = published[n]
        while time.monotonic() < deadline:
            await store.autosaves.save(draft["_id"], user["_id"], {"title": "Draft %d" % n, "markdown": "typing"})
            started = time.perf_counter()
            draft = await store.posts.update(draft["_id"], draft["version"], title="Draft %d" % n,
                                             markdown=support.BODY + " %d" % done["drafts"], status="draft")
            done["drafts"] += 1
            done["save_ms"].append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.2)
            started = time.perf_counter()
            post = await store.posts.update(post["_id"], post["version"], title=post["title"],
                                            markdown=support.BODY + " edit %d" % done["publishes"],
                                            status="published", published_at=post["published_at"],
                                            slug=post["slug"])
            done["publishes"] += 1
            done["save_ms"].append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.2)

    await asyncio.gather(*[writer(n) for n in range(writers)])
    client.close()
    return done


def main(seconds: int, readers: int, writers: int) -> None:
    support.on_load_core()
    with tempfile.TemporaryDirectory() as tmp, support.embedded(Path(tmp) / "db") as uri:
        asyncio.run(prepare(uri))
        port = database.free_port()
        base = "http://127.0.0.1:%d" % port
        paths = ["/", "/tags/tag-3"] + ["/posts/post-%d" % n for n in range(90, 100)]
        with support.app_process(uri, port, log=Path(tmp) / "app.log"):
            support.wrk(base + "/", "bench.localhost", 2, readers, paths=paths, script_dir=Path(tmp))
            results: dict = {}
            writing = threading.Thread(target=lambda: results.update(asyncio.run(write(uri, seconds, writers))))
            writing.start()
            reading = support.wrk(base + "/", "bench.localhost", seconds, readers, paths=paths,
                                  script_dir=Path(tmp))
            writing.join()
        print("machine: %s" % support.machine())
        print("%d readers for %d s while %d writers saved %d drafts (each with an autosave) and published %d edits"
              % (readers, seconds, writers, results.get("drafts", 0), results.get("publishes", 0)))
        saves = sorted(results.get("save_ms") or [0.0])
        print("a save took %.0f ms at the median, %.0f ms at most" % (saves[len(saves) // 2], saves[-1]))
        print("readers: %.0f req/s, p50 %.1f ms, p99 %.1f ms (target < 250 ms), non-2xx %d"
              % (reading["rps"], reading["p50"], reading["p99"], reading["errors"]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--readers", type=int, default=64)
    parser.add_argument("--writers", type=int, default=3)
    args = parser.parse_args()
    main(args.seconds, args.readers, args.writers)
