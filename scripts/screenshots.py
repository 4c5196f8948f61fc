"""Take the README's screenshots of the platform: what a visitor sees.

Runs ``python -m cms serve`` on a throwaway data directory (the embedded
database, the demo site seeded), makes a writer with the CLI, and walks Debian's
headless Chromium through the landing page, a new site's admin (first steps)
and "Your sites", saving 1280x800 PNGs under docs/images/, made smaller with
Pillow (a 256-colour palette is plenty for pages of text).

    .venv/bin/python scripts/screenshots.py [--out docs/images]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cms.db import free_port  # noqa: E402
from tests.e2e.conftest import new_chromium  # noqa: E402

SIZE = (1280, 800)
EMAIL, PASSWORD = "ada@example.com", "a long example passphrase"


def wait_until_up(url: str, deadline: float) -> None:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("the server did not answer %s in time" % url) from None
        time.sleep(0.2)  # polling a server that is starting, with a deadline


def save(browser, path: Path) -> None:
    """The page as a PNG of `SIZE`, quantised and optimised."""
    browser.save_screenshot(str(path))
    with Image.open(path) as shot:
        shot = shot.convert("RGB")
        if shot.size != SIZE:  # (a window's frame can take a few pixels of the viewport)
            shot = shot.resize(SIZE)
        small = shot.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    print("%s: %d KiB" % (path.relative_to(ROOT), path.stat().st_size // 1024))


def walk(browser, port: int, out: Path) -> None:
    platform = "http://localhost:%d" % port
    wait = WebDriverWait(browser, 20)
    browser.get(platform + "/")
    save(browser, out / "platform-landing.png")

    browser.get(platform + "/signin")
    browser.find_element(By.NAME, "email").send_keys(EMAIL)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form[action='/signin'] button[type=submit]").click()
    wait.until(EC.url_to_be(platform + "/sites"))
    browser.get(platform + "/new")
    name = wait.until(EC.presence_of_element_located((By.ID, "site-name")))
    name.send_keys("field-notes")
    wait.until(EC.text_to_be_present_in_element((By.ID, "name-status"), "is free"))
    browser.find_element(By.NAME, "title").send_keys("Field Notes")
    browser.find_element(By.CSS_SELECTOR, "#new-site-form button[type=submit]").click()
    wait.until(EC.url_to_be("http://field-notes.localhost:%d/admin/" % port))
    wait.until(EC.presence_of_element_located((By.ID, "first-steps")))
    save(browser, out / "new-site-first-steps.png")

    browser.get(platform + "/sites")
    wait.until(EC.presence_of_element_located((By.ID, "your-sites")))
    save(browser, out / "your-sites.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = dict(os.environ, CMS_DATA_DIR=data, PORT=str(port), CMS_SIGNUP="open")
        for name in ("MONGODB_URI", "SMTP_URL", "GOOGLE_OAUTH_CLIENT_ID", "GOOGLE_OAUTH_CLIENT_SECRET"):
            env.pop(name, None)
        server = subprocess.Popen([sys.executable, "-m", "cms", "serve"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_up("http://127.0.0.1:%d/readyz" % port, time.monotonic() + 60)
            subprocess.run([sys.executable, "-m", "cms", "user", "create", EMAIL, "--site", "demo", "--role", "author",
                            "--name", "Ada Writer", "--password-stdin"], cwd=ROOT, env=env, check=True,
                           input=PASSWORD.encode(), stdout=subprocess.DEVNULL)
            browser = new_chromium(extra_flags=("--hide-scrollbars",))
            browser.set_window_size(*SIZE)
            try:
                walk(browser, port, args.out)
            finally:
                browser.quit()
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
