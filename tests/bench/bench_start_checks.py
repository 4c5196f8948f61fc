"""What the start-up checks of the embedded database cost: a script that prints numbers.

    .venv/bin/python tests/bench/bench_start_checks.py [--posts 2000] [--kb 8]

Fills a platform (one site, ``--posts`` posts of ``--kb`` KB of Markdown each)
in a temporary data directory, stops its server, then times what every start
now does before serving: SQLite's ``quick_check`` of the files
(`cms.datadir.check_sqlite_files`), the server's start, and the identity
check with the migrations (`cms.runtime.open_platform`); beside them, the
start of the server alone as the yardstick. Not a test: no assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cms import db as database  # noqa: E402
from cms.config import Settings  # noqa: E402
from cms.datadir import check_sqlite_files  # noqa: E402
from cms.runtime import open_platform  # noqa: E402
from cms.store import Sites, SiteStore, Users  # noqa: E402


async def fill(uri: str, posts: int, kb: int, settings: Settings) -> None:
    client = database.connect(uri)
    db = client["cms"]
    await open_platform(db, settings)
    await database.ensure_indexes(db)
    store = SiteStore(db, await Sites(db).create("bench"))
    author = await Users(db).create("bench@example.com", "correct horse battery staple")
    body = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 18 + "\n\n") * kb
    for n in range(posts):
        await store.posts.create(title="Post %d" % n, markdown=body, author_id=author["_id"])
    client.close()


async def opened(uri: str, settings: Settings) -> float:
    client = database.connect(uri)
    began = time.perf_counter()
    await open_platform(client["cms"], settings)
    took = time.perf_counter() - began
    client.close()
    return took


def main(posts: int, kb: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        files = Path(tmp) / "db"
        with database.EmbeddedServer(files) as server:
            asyncio.run(fill(server.uri, posts, kb, settings))
        size = sum(p.stat().st_size for p in files.glob("*.db*"))
        began = time.perf_counter()
        check_sqlite_files(files)
        quick_check = time.perf_counter() - began
        server = database.EmbeddedServer(files)
        began = time.perf_counter()
        server.start()  # quick_check included
        start = time.perf_counter() - began
        try:
            identity = asyncio.run(opened(server.uri, settings))
        finally:
            server.stop()
    print("platform: %d posts, %.1f MB of database files" % (posts, size / 1e6))
    print("quick_check of the files:       %7.3f s" % quick_check)
    print("server start (with the check):  %7.3f s  -> the check is %.0f%% of it"
          % (start, 100 * quick_check / start))
    print("identity check + migrations:    %7.3f s" % identity)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--kb", type=int, default=8)
    arguments = parser.parse_args()
    main(arguments.posts, arguments.kb)
