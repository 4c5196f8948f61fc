"""Peak memory of one pod as the template runs it, for the largest uploads it accepts
(issue 17, finding 2). A script that prints numbers (not a test), to size the pod from.

    .venv/bin/python tests/bench/bench_pod_memory.py [--workers 2]

Starts gunicorn as the pod does (``openshift/gunicorn.conf.py``,
``WEB_CONCURRENCY`` workers, JSON logs, metrics on) against an embedded
database with ``CMS_MAX_UPLOAD_MB=90`` (the highest the app allows), signs
in as a site's owner, saves posts at once (every worker starts its Markdown
render workers), uploads, one after the other, the largest images
the limits accept (cms/images/process.py: a 24 MP animation, a 49 MP flat
PNG, a 50 MP photo-like JPEG), then two 50 MP photos at once, so that both
workers (and their image workers) work at the same time. Meanwhile a
thread adds up the resident memory of the whole process tree every 20 ms:
the pod's peak is the largest such sum. Then it prints each process's own
peak (VmHWM): the master, each web worker, its image worker and Markdown
render workers.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_bodies import sign_in  # noqa: E402
from bench_upload_memory import animation, peak_mb, photo, upload  # noqa: E402

from cms import db as database  # noqa: E402
from tests.admin_session import form  # noqa: E402
from tests.conftest import TEST_PASSWORD, World  # noqa: E402
from tests.images import png_blank  # noqa: E402

MB = 1024 * 1024


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path("/proc/%d/task" % current).iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def rss_mb(pid: int) -> float:
    try:
        status = Path("/proc/%d/status" % pid).read_text()
    except OSError:
        return 0.0
    found = re.search(r"VmRSS:\s+(\d+) kB", status)  # none for a zombie
    return int(found.group(1)) / 1024 if found else 0.0


def role(pid: int, master: int) -> str:
    cmdline = Path("/proc/%d/cmdline" % pid).read_bytes().replace(b"\0", b" ")
    if pid == master:
        return "gunicorn master"
    if b"gunicorn" in cmdline:
        return "web worker"
    if b"resource_tracker" in cmdline:
        return "resource tracker"
    if b"multiprocessing" in cmdline or b"pebble" in cmdline:
        return "pool worker (image or render)"
    return cmdline.decode(errors="replace")[:40]


class PodSampler(threading.Thread):
    """The largest sum of the tree's resident memory, sampled every 20 ms."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak, self.stopped = root, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.02):
            self.peak = max(self.peak, sum(rss_mb(pid) for pid in tree(self.root)))


async def make_site(uri: str) -> str:
    client = database.connect(uri)
    try:
        await database.ensure_indexes(client["bench"])
        world = World(client["bench"])
        store = await world.site("photos")
        owner = await world.member(store, "owner")
        return owner["email"]
    finally:
        client.close()


def save_post(port: int, host: str, cookies: dict[str, str], n: int) -> int:
    """One new draft: its Markdown is rendered in a render worker, which the pod then holds."""
    body = urlencode({**form(title="Post %d" % n, markdown="Words, *some* of them. " * 200), "_xsrf": cookies["_xsrf"]})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("POST", "/admin/posts/new", body=body, headers={
        "Host": host, "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join("%s=%s" % kv for kv in cookies.items())})
    status = conn.getresponse().status
    conn.close()
    return status


def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = database.EmbeddedServer(Path(tmp) / "db")
        uri = server.start()
        try:
            email = asyncio.run(make_site(uri))
            port, metrics_port = database.free_port(), database.free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB", "CMS_", "COOKIE"))}
            env.update(MONGODB_URI=uri.rstrip("/") + "/bench", COOKIE_SECRET="bench", PORT=str(port),
                       WEB_CONCURRENCY=str(args.workers), CMS_MAX_UPLOAD_MB="90", CMS_LOG_FORMAT="json",
                       CMS_METRICS_PORT=str(metrics_port), TMPDIR=tmp,
                       PATH="%s:%s" % (Path(sys.executable).parent, os.environ.get("PATH", "")))
            gunicorn = subprocess.Popen(["gunicorn", "wsgi", "--config", "openshift/gunicorn.conf.py"], cwd=REPO,
                                        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                run(gunicorn, port, email, args.workers)
            finally:
                gunicorn.terminate()
                gunicorn.wait(60)
        finally:
            server.stop()


def run(gunicorn: subprocess.Popen, port: int, email: str, workers: int) -> None:
    host = "photos.localhost:%d" % port
    deadline = time.monotonic() + 60
    while True:
        try:
            cookies = sign_in(port, host, email, TEST_PASSWORD)
            break
        except (OSError, AssertionError, KeyError):
            if time.monotonic() > deadline or gunicorn.poll() is not None:
                raise SystemExit("gunicorn did not serve") from None
            time.sleep(0.2)
    time.sleep(2)  # every worker up (the sampler would see a half-started one)
    # Saves at once, so that every worker starts its Markdown render workers (kept from then on).
    saves: list[int] = []
    savers = [threading.Thread(target=lambda n=n: saves.append(save_post(port, host, cookies, n)))
              for n in range(2 * workers)]
    for thread in savers:
        thread.start()
    for thread in savers:
        thread.join()
    print("saves (render workers started): %s" % sorted(saves))
    at_rest = sum(rss_mb(pid) for pid in tree(gunicorn.pid))
    sampler = PodSampler(gunicorn.pid)
    sampler.start()
    print("pod at rest (%d workers): %.0f MiB resident" % (workers, at_rest))
    print("%-36s %8s %8s %13s  %s" % ("upload", "file MB", "seconds", "pod peak MiB", "answer"))
    big = photo()
    for name, label, data in [("animation.gif", "24 MP animation (40 x 1000x600)", animation()),
                              ("flat.png", "49 MP flat PNG (7000x7000)", png_blank(7000, 7000)),
                              ("photo.jpg", "50 MP photo-like JPEG (8600x5800)", big)]:
        started = time.monotonic()
        answer = upload(port, host, cookies, name, data)
        time.sleep(0.1)  # a last sample
        print("%-36s %8.1f %8.1f %13.0f  %s" % (label, len(data) / MB, time.monotonic() - started, sampler.peak, answer))
    answers: list[str] = []
    started = time.monotonic()
    threads = [threading.Thread(target=lambda n=n: answers.append(upload(port, host, cookies, "p%d.jpg" % n, big)))
               for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(0.5)
    print("%-36s %8.1f %8.1f %13.0f  %s" % ("%d x 50 MP JPEG at once" % workers, len(big) / MB,
                                            time.monotonic() - started, sampler.peak, ", ".join(answers)))
    sampler.stopped.set()
    sampler.join()
    print()
    print("%-32s %7s %9s" % ("process", "pid", "peak MiB"))
    for pid in tree(gunicorn.pid):
        try:
            print("%-32s %7d %9d" % (role(pid, gunicorn.pid), pid, peak_mb(pid)))
        except (OSError, AttributeError):  # gone, or a zombie
            continue
    # A worker and its pools at their worst at once, even if this run's uploads met in one worker.
    worst_worker = 0
    for child in tree(gunicorn.pid):
        if child != gunicorn.pid and role(child, gunicorn.pid) == "web worker":
            worst_worker = max(worst_worker, sum(_peak_or_zero(pid) for pid in tree(child)))
    print()
    print("pod peak (largest sum of resident memory, sampled every 20 ms): %.0f MiB" % sampler.peak)
    print("one web worker with its image and render workers, each at its peak: %d MiB" % worst_worker)
    print("pod worst case, master + %d x that: %d MiB" % (workers, peak_mb(gunicorn.pid) + workers * worst_worker))


def _peak_or_zero(pid: int) -> int:
    try:
        return peak_mb(pid)
    except (OSError, AttributeError):
        return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    main(parser.parse_args())
