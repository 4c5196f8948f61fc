"""Peak memory of a web process and of its image worker for the largest accepted uploads.
A script that prints numbers (not a test), to size pods from (issue 17, finding 2).

    .venv/bin/python tests/bench/bench_upload_memory.py

Starts ``python -m cms serve`` (embedded database, demo site,
``CMS_MAX_UPLOAD_MB=90``) in a temporary directory, signs in as the demo
owner and uploads, one after the other, the largest images the limits
accept: a 24 MP animation (40 frames of 1000×600), a 49 MP flat PNG
(7000×7000, a few hundred KB) and a 50 MP photo-like JPEG. After each it
prints the answer and the peak resident memory (VmHWM, from /proc) so far
of the web process and of its image worker process (cms/images/pool.py).
Peaks only grow: each line is the peak of everything up to it.

A pod holds ``WEB_CONCURRENCY`` web processes, each with one image worker:
its memory limit must cover ``WEB_CONCURRENCY * (web + image worker)`` peaks.
The web process's growth with a large file is PyMongo's GridFS writer, which
buffers up to 48 MB of chunks (one ``insert_many``) before sending them.
"""

from __future__ import annotations

import http.client
import io
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_bodies import sign_in  # noqa: E402

from cms.db import free_port  # noqa: E402
from tests.images import png_blank  # noqa: E402

MB = 1024 * 1024


def peak_mb(pid: int) -> int:
    status = Path("/proc/%d/status" % pid).read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) // 1024


def image_workers(parent: int) -> list[int]:
    """The spawned image worker processes among ``parent``'s children."""
    found = []
    for task in Path("/proc/%d/task" % parent).iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path("/proc/%s/cmdline" % child).read_bytes()
            if b"multiprocessing.spawn" in cmdline and b"resource_tracker" not in cmdline:
                found.append(int(child))
    return found


def animation() -> bytes:
    frames = [Image.new("P", (1000, 600), i * 5) for i in range(40)]
    for i, frame in enumerate(frames):
        frame.paste(i * 3 + 1, (i * 20, 0, i * 20 + 100, 600))  # each frame differs
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    return out.getvalue()


def photo() -> bytes:
    image = Image.effect_noise((8600, 5800), 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def upload(port: int, host: str, cookies: dict[str, str], name: str, data: bytes) -> str:
    boundary = "bench" + uuid.uuid4().hex
    body = (('--%s\r\nContent-Disposition: form-data; name="file"; filename="%s"\r\n'
             "Content-Type: application/octet-stream\r\n\r\n" % (boundary, name)).encode()
            + data + ("\r\n--%s--\r\n" % boundary).encode())
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("POST", "/admin/media", body=body, headers={
        "Host": host, "Cookie": "; ".join("%s=%s" % kv for kv in cookies.items()),
        "X-XSRFToken": cookies["_xsrf"], "Accept": "application/json",
        "Content-Type": "multipart/form-data; boundary=%s" % boundary})
    response = conn.getresponse()
    answer = response.read().decode("utf-8", "replace")
    conn.close()
    error = re.search(r'"error": "([^"]+)"', answer)
    return "%d %s" % (response.status, error.group(1) if error else "stored")


def main() -> None:
    images = [("animation.gif", "24 MP animation (40 x 1000x600)", animation()),
              ("flat.png", "49 MP flat PNG (7000x7000)", png_blank(7000, 7000)),
              ("photo.jpg", "50 MP photo-like JPEG (8600x5800)", photo())]
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB", "CMS_", "COOKIE"))}
        env.update(CMS_DATA_DIR=tmp, CMS_MAX_UPLOAD_MB="90", PYTHONUNBUFFERED="1")
        server = subprocess.Popen([sys.executable, "-m", "cms", "serve", "--port", str(port)], cwd=REPO, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            text = ""
            while "Serving on" not in text:
                line = server.stdout.readline()
                if not line:
                    raise SystemExit("serve exited:\n" + text)
                text += line
            email = re.search(r"owner e-mail: (\S+)", text).group(1)
            password = re.search(r"owner password: (\S+)", text).group(1)
            host = "demo.localhost:%d" % port
            cookies = sign_in(port, host, email, password)
            print("web process %d at rest: peak %d MB" % (server.pid, peak_mb(server.pid)))
            print("%-36s %9s %8s %13s  %s" % ("upload", "file MB", "seconds", "peak MB", "answer"))
            for name, label, data in images:
                started = time.monotonic()
                answer = upload(port, host, cookies, name, data)
                took = time.monotonic() - started
                workers = image_workers(server.pid)
                worker_peak = max((peak_mb(pid) for pid in workers), default=0)
                print("%-36s %9.1f %8.1f  web %4d  image worker %4d  %s" % (
                    label, len(data) / MB, took, peak_mb(server.pid), worker_peak, answer))
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
