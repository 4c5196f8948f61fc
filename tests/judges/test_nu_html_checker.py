"""The Nu Html Checker (vnu-jar) finds no error in any reader page of the three themes or any admin page.

The pages are fetched as a browser gets them (the admin's signed in) and
saved to a folder, and the checker runs once over all of them: one JVM start
(a few seconds) for the ~45 pages. An error names the page's file, line and
the checker's message.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.judges.tools import VNU_JAR, require
from tests.judges.world import build


def file_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()) + ".html"


@pytest.mark.timeout(300)  # ~45 pages and a JVM start: a loaded machine is slow
async def test_every_reader_and_admin_page_is_valid_html(db, client, tmp_path):
    jar = require(VNU_JAR, "java")
    world, session = await build(db, client)
    pages = tmp_path / "pages"
    pages.mkdir()
    for name, (site, path) in world.reader_pages().items():
        response = await client.get(site, path)
        assert response.code == (404 if name.endswith("404") else 200), (name, response.code)
        (pages / file_name(name)).write_bytes(response.body)
    signed_out = await client.get("demo", "/login")
    (pages / "admin-sign-in.html").write_bytes(signed_out.body)
    for name, path in world.admin_pages.items():
        response = await session.get(path)
        assert response.code == 200, (name, path, response.code)
        (pages / file_name("admin " + name)).write_bytes(response.body)

    checked = subprocess.run(["java", "-Xss1m", "-jar", str(jar), "--errors-only", "--format", "json",
                              "--skip-non-html", str(pages)], capture_output=True, text=True, timeout=120)
    assert checked.stderr.strip().startswith("{"), checked.stderr[-2000:]  # its JSON report goes to stderr
    errors = ["%s:%s: %s (%s)" % (m["url"].rsplit("/", 1)[-1], m.get("lastLine", "?"), m["message"],
                                  m.get("extract", "").strip()[:120])
              for m in json.loads(checked.stderr)["messages"]]
    assert len(list(pages.iterdir())) == len(world.reader_pages()) + len(world.admin_pages) + 1
    assert not errors, "\n".join(errors)
