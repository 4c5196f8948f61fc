"""What the benchmarks share (not a test): a pinned embedded database, content,
application processes pinned to a core, and ``wrk`` on the other core.

The app and its database run on core 0, the load generator on core 1, as
issue 13 measures. Figures from a machine others are using are noisy: run
each benchmark more than once and compare ratios taken in the same run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from cms import db as database  # noqa: E402
from cms.store import Sites, SiteStore, Users  # noqa: E402

APP_CORE, LOAD_CORE = "0", "1"


def on_load_core() -> None:
    """Keep the benchmark's own work (writers, clients) off the app's core."""
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > 1:
        os.sched_setaffinity(0, {int(LOAD_CORE)})
BODY = "## Heading\n\nLorem ipsum dolor sit amet, consectetur adipiscing elit. " * 30 + "\n\n```python\nprint('x')\n```\n"


def pin(pid: int, core: str) -> None:
    if shutil.which("taskset"):
        subprocess.run(["taskset", "-a", "-p", "-c", core, str(pid)], check=False, stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def embedded(directory: Path) -> Iterator[str]:
    """An embedded database on the app's core; its URI."""
    with database.EmbeddedServer(directory) as server:
        pin(server.process.pid, APP_CORE)
        yield server.uri


async def fill_site(db, name: str = "bench", posts: int = 100, tags: int = 7) -> SiteStore:
    """A site with ``posts`` published posts written through the stores (rendered, indexed)."""
    store = SiteStore(db, await Sites(db).create(name))
    user = await Users(db).create("%s@example.com" % name, "correct horse battery staple", username=name)
    await store.members.add(user["_id"], "owner")
    now = dt.datetime.now(dt.timezone.utc)
    for i in range(posts):
        await store.posts.create(title="Post %d" % i, markdown=BODY, author_id=user["_id"],
                                 tags=["tag-%d" % (i % tags)], published_at=now - dt.timedelta(hours=posts - i))
    return store


async def fill_platform(db, model: SiteStore, sites: int, posts: int) -> None:
    """``sites`` more sites of ``posts`` posts each, copies of the model site's posts
    (inserted in bulk: only their number and spread over sites matter here)."""
    template = [p async for p in db.posts.find({"site_id": model.site_id}).limit(posts)]
    for n in range(sites):
        site = await Sites(db).create("other-%d" % n)
        await db.posts.insert_many([
            {**p, "_id": "%s-%d" % (p["_id"], n), "site_id": site["_id"]} for p in template
        ])


def wait_for(url: str, host: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(urllib.request.Request(url, headers={"Host": host}), timeout=2).read()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextlib.contextmanager
def app_process(uri: str, port: int, *extra: str, db: str = "bench", core: str = APP_CORE,
                log: Path | None = None) -> Iterator[subprocess.Popen]:
    """tests/bench/app_server.py on ``core``, serving ``db``; stopped at the end."""
    command = ["taskset", "-c", core] if shutil.which("taskset") else []
    command += [sys.executable, str(REPO / "tests/bench/app_server.py"), "--uri", uri or "", "--db", db,
                "--port", str(port), *extra]
    out = open(log, "ab") if log else subprocess.DEVNULL
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for("http://127.0.0.1:%d/healthz" % port, "bench.localhost")
        yield process
    finally:
        process.terminate()
        process.wait(10)
        if log:
            out.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process (all its threads) has used so far."""
    fields = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(url: str, host: str, seconds: int = 10, connections: int = 64, *headers: str, pid: int | None = None,
        paths: list[str] | None = None, script_dir: Path | None = None) -> dict:
    """Run wrk on the load core: ``{"rps", "p50", "p99", "errors"}`` (latencies in ms), and
    with ``pid`` the server's CPU time per request (``"cpu_us"``), which a busy machine disturbs less."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    command = ["taskset", "-c", LOAD_CORE, "wrk", "-t1", "-c%d" % connections, "-d%ds" % seconds, "--latency",
               "-H", "Host: %s" % host]
    for header in headers:
        command += ["-H", header]
    if paths:  # each connection takes the next of these paths, round robin
        script = Path(script_dir or "/tmp") / "paths.lua"
        script.write_text("paths = {%s}\ni = 0\nrequest = function()\n  i = i %% #paths + 1\n"
                          "  return wrk.format(nil, paths[i])\nend\n" % ", ".join('"%s"' % p for p in paths))
        command += ["-s", str(script)]
    cpu = cpu_seconds(pid) if pid else 0.0
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pid) - cpu if pid else 0.0
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
              "p50": _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1)),
              "p99": _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["errors"] = int(errors.group(1)) if errors else 0
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    result["cpu_us"] = cpu * 1e6 / requests if pid and requests else 0.0
    return result


def machine() -> str:
    cpu = "?"
    with contextlib.suppress(OSError):
        names = re.findall(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = "%s x%d" % (names[0], len(names)) if names else "?"
    return "%s, Python %s, load average %s" % (cpu, sys.version.split()[0], " ".join(
        "%.1f" % x for x in os.getloadavg()))
