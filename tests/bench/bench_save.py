"""What a save costs on the embedded database, and what a backup costs: a script that prints numbers.

    .venv/bin/python tests/bench/bench_save.py [--saves 200] [--posts 300]

Starts its own embedded server in a temporary directory. Times sequential
`Posts.update` calls (revision, post and counter, cms/store/saving.py) against
the yardstick of one bare ``replace_one`` of a document of the same size (the
least any save must write), then a backup of a site of ``--posts`` posts and
its restore into an empty database. Not a test: no assertions.
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

from cms import backup  # noqa: E402
from cms import db as database  # noqa: E402
from cms.store import Sites, SiteStore, Users  # noqa: E402

BODY = "## Heading\n\nLorem ipsum dolor sit amet. " * 40


def summary(times: list[float]) -> str:
    times = sorted(times)
    return "p50 %.2f ms, p95 %.2f ms" % (statistics.median(times) * 1000, times[int(len(times) * 0.95)] * 1000)


async def main(saves: int, posts: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, database.EmbeddedServer(Path(tmp) / "db") as server:
        client = database.connect(server.uri)
        db = client["bench"]
        await database.ensure_indexes(db)
        store = SiteStore(db, await Sites(db).create("bench"))
        user = await Users(db).create("b@example.com", "correct horse battery staple", username="bench")
        await store.members.add(user["_id"], "owner")
        post = await store.posts.create(title="Saved often", markdown=BODY, author_id=user["_id"])

        bare = []
        document = {k: v for k, v in post.items() if k != "_id"}
        for i in range(saves):
            document["markdown"] = BODY + str(i)
            started = time.perf_counter()
            await db.scratch.replace_one({"_id": "x"}, document, upsert=True)
            bare.append(time.perf_counter() - started)
        timed = []
        for i in range(saves):
            started = time.perf_counter()
            post = await store.posts.update(post["_id"], post["version"], title="Saved often",
                                            markdown=BODY + str(i), status="published", editor_id=user["_id"])
            timed.append(time.perf_counter() - started)
        steps = []
        saver, current = store.posts._saver, await store.posts.get(post["_id"])
        for i in range(saves):
            replacement = {**current, "markdown": BODY + str(i), "version": current["version"] + 1, "save_id": str(i)}
            started = time.perf_counter()
            await saver.revisions.settle(current)
            current = await saver.replace(replacement, current["version"])
            steps.append(time.perf_counter() - started)
        print("one bare replace_one: %s" % summary(bare))
        print("the writes of a save (settle, revision, post, counter): %s; ratio of medians %.1f"
              % (summary(steps), statistics.median(steps) / statistics.median(bare)))
        print("one save (render, revision, post, counter): %s; ratio of medians %.1f"
              % (summary(timed), statistics.median(timed) / statistics.median(bare)))

        for i in range(posts):
            await store.posts.create(title="Post %d" % i, markdown=BODY, author_id=user["_id"])
        out = Path(tmp) / "backup"
        started = time.perf_counter()
        manifest = await backup.dump(db, out, lambda line: None)
        took = time.perf_counter() - started
        documents = sum(entry["count"] for entry in manifest["collections"].values())
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        print("backup: %d documents, %.1f MB in %.2fs (%.0f documents/s)" % (documents, size / 1e6, took, documents / took))
        started = time.perf_counter()
        await backup.load(client["restored"], out, lambda line: None)
        took = time.perf_counter() - started
        print("restore into an empty database: %.2fs (%.0f documents/s)" % (took, documents / took))
        client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--posts", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(main(args.saves, args.posts))
