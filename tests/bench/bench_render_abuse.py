"""Another site's readers while one account sends the worst Markdown: a script that prints numbers.

    .venv/bin/python tests/bench/bench_render_abuse.py [--seconds 20]

Starts its own embedded server and one process of the app (issue 9, finding
1). Site ``beta`` has posts; a reader fetches its pages one after another,
first on a quiet server (the baseline), then while an author of site
``alpha`` sends the inputs that froze the process before the render pool
(``"[" * 8000``, ``"[a](" * 5000``, ``"![" * 10000``, their 500 KB
versions, a paragraph with too much markup, and 500 KB of ordinary text, the
longest render the editor accepts) to the live preview and to save, in a
loop, plus a flood of previews that the rate limit refuses. Prints the
reader's p50/p99/max for both phases and their ratio (target: p99 under
100 ms under attack), and what the attacker got. Not a test: no assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tornado.httpclient import AsyncHTTPClient, HTTPRequest  # noqa: E402
from tornado.httpserver import HTTPServer  # noqa: E402
from tornado.websocket import websocket_connect  # noqa: E402

from cms import db as database  # noqa: E402
from cms import render_pool  # noqa: E402
from cms.app import make_app  # noqa: E402
from cms.config import Settings  # noqa: E402
from cms.store import Sites, SiteStore, Users  # noqa: E402
from cms.store import users as users_store  # noqa: E402

PASSWORD = "correct horse battery staple"
WORST = {
    "[ x8000": "[" * 8000,
    "[a]( x5000": "[a](" * 5000,
    "![ x10000": "![" * 10000,
    "[ 500KB": "[" * 500_000,
    "![ 500KB": "![" * 250_000,
    "*a* one paragraph": "*a* " * 10_000,
    "ordinary 500KB": ("Some *ordinary* text with a [link](https://example.org/) and `code`.\n\n" * 8000)[:500_000],
}
READER_URLS = ["/", "/posts/post-3", "/tags/tag-1", "/posts/post-7"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Author:
    """A signed-in author of ``alpha``: cookies and the XSRF token, as a browser keeps them."""

    def __init__(self, http: AsyncHTTPClient, port: int) -> None:
        self.http, self.port, self.cookies = http, port, {}
        self.host = "alpha.localhost:%d" % port

    async def fetch(self, path: str, **kwargs):
        headers = {"Host": self.host, "Cookie": "; ".join("%s=%s" % kv for kv in self.cookies.items())}
        response = await self.http.fetch("http://127.0.0.1:%d%s" % (self.port, path), headers=headers,
                                         raise_error=False, follow_redirects=False, **kwargs)
        for header in response.headers.get_list("Set-Cookie"):
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";")[0]
        return response

    async def post(self, path: str, fields: dict) -> int:
        body = urlencode({**fields, "_xsrf": self.cookies.get("_xsrf", "")})
        return (await self.fetch(path, method="POST", body=body)).code

    def socket_request(self) -> HTTPRequest:
        return HTTPRequest("ws://127.0.0.1:%d/admin/preview" % self.port, headers={
            "Host": self.host, "Origin": "http://" + self.host,
            "Cookie": "; ".join("%s=%s" % kv for kv in self.cookies.items())})


async def attack(author: Author, stop: asyncio.Event, tally: collections.Counter) -> None:
    """Preview and save the worst inputs in a loop, and flood previews, until ``stop``."""

    async def saves() -> None:
        while not stop.is_set():
            for name, body in WORST.items():
                code = await author.post("/admin/posts/new", {
                    "title": name, "markdown": body, "state": "draft", "version": "0"})
                tally["save %d" % code] += 1
                if stop.is_set():
                    return

    async def previews() -> None:
        socket = await websocket_connect(author.socket_request())
        seq = 0
        while not stop.is_set():
            for body in WORST.values():
                seq += 1
                socket.write_message(json.dumps({"seq": seq, "title": "x", "markdown": body}))
                while True:  # answers to the flood come on the same socket
                    answer = json.loads(await socket.read_message())
                    if answer["seq"] == seq:
                        break
                tally["preview " + ("refused" if "error" in answer else "rendered")] += 1
                if stop.is_set():
                    break
        socket.close()

    async def flood() -> None:
        socket = await websocket_connect(author.socket_request())
        seq = 10**6
        while not stop.is_set():
            seq += 1
            socket.write_message(json.dumps({"seq": seq, "title": "x", "markdown": WORST["[ x8000"]}))
            tally["flood sent"] += 1
            await asyncio.sleep(0.02)  # 50 a second
        socket.close()

    await asyncio.gather(saves(), previews(), flood())


async def read(http: AsyncHTTPClient, port: int, seconds: float) -> list[float]:
    """Fetch beta's pages one after another for ``seconds``; each answer's time in ms."""
    times: list[float] = []
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        url = READER_URLS[i % len(READER_URLS)]
        i += 1
        started = time.perf_counter()
        response = await http.fetch("http://127.0.0.1:%d%s" % (port, url),
                                    headers={"Host": "beta.localhost:%d" % port}, raise_error=False)
        times.append((time.perf_counter() - started) * 1000)
        if response.code != 200:
            print("reader got %d for %s" % (response.code, url))
    return times


async def main(seconds: float) -> None:
    users_store.BCRYPT_COST = 4
    with tempfile.TemporaryDirectory() as tmp, database.EmbeddedServer(Path(tmp) / "db") as server:
        db = database.connect(server.uri)["bench"]
        await database.ensure_indexes(db)
        alpha = SiteStore(db, await Sites(db).create("alpha"))
        beta = SiteStore(db, await Sites(db).create("beta"))
        writer = await Users(db).create("a@example.com", PASSWORD, username="attacker")
        await alpha.members.add(writer["_id"], "author")
        owner = await Users(db).create("b@example.com", PASSWORD, username="reader-site")
        await beta.members.add(owner["_id"], "owner")
        body = "## Heading\n\nLorem ipsum dolor sit amet, [a link](https://example.org/). " * 30
        for i in range(20):
            await beta.posts.create(title="Post %d" % i, markdown=body, author_id=owner["_id"], tags=["tag-%d" % (i % 3)])
        settings = Settings(mongodb_uri=server.uri, database_name="bench", data_dir=Path(tmp), cookie_secret="x")
        app = make_app(settings, db)
        http_server = HTTPServer(app, max_body_size=2 * 1024 * 1024)
        port = database.free_port()
        http_server.listen(port, "127.0.0.1")
        http = AsyncHTTPClient(force_instance=True, max_clients=20)
        author = Author(http, port)
        await author.fetch("/login")
        assert await author.post("/login", {"email": "a@example.com", "password": PASSWORD}) == 303

        await read(http, port, 2)  # warm the page cache and the connections
        quiet = await read(http, port, seconds)
        stop, tally = asyncio.Event(), collections.Counter()
        attacker = asyncio.ensure_future(attack(author, stop, tally))
        await asyncio.sleep(1)  # the attack is under way
        loud = await read(http, port, seconds)
        stop.set()
        await attacker

        print("beta's reader, %gs each phase; alpha's author sends the worst Markdown in the second" % seconds)
        print("%-14s %8s %8s %8s %8s" % ("phase", "requests", "p50 ms", "p99 ms", "max ms"))
        for name, times in (("quiet", quiet), ("under attack", loud)):
            print("%-14s %8d %8.1f %8.1f %8.1f" % (name, len(times), statistics.median(times),
                                                    percentile(times, 99), max(times)))
        print("p99 under attack / quiet: %.1fx (target: p99 under 100 ms)"
              % (percentile(loud, 99) / percentile(quiet, 99)))
        print("attacker: " + ", ".join("%s %d" % kv for kv in sorted(tally.items())))
        print("renders started in the pool: %d" % render_pool.pool().started)
        http.close()
        http_server.stop()
        render_pool.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    asyncio.run(main(parser.parse_args().seconds))
