"""Lighthouse's four scores per page, as the outside judges saw them: a script that prints numbers.

    .venv/bin/python tests/bench/bench_lighthouse.py

Home and a post of Journal and Magazine (the demo content), mobile and
desktop, one Lighthouse 12 run each on Debian's Chromium
(``tests/judges/lighthouse.mjs``). Performance is a timing score: run it on a
quiet machine (the load average is printed). The test
``tests/judges/test_lighthouse.py`` asserts what does not depend on timing.
Not a test: no assertions.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tornado.httpserver import HTTPServer  # noqa: E402

from cms import db as database  # noqa: E402
from cms.app import make_app  # noqa: E402
from cms.config import Settings  # noqa: E402
from tests.e2e.conftest import seed_themed_sites  # noqa: E402
from tests.judges.test_lighthouse import PAGES, SITES  # noqa: E402
from tests.judges.tools import run_lighthouse  # noqa: E402

CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, database.EmbeddedServer(Path(tmp) / "db") as server:
        client = database.connect(server.uri)
        db = client["bench"]
        await database.ensure_indexes(db)
        await seed_themed_sites(db)
        settings = Settings(mongodb_uri=server.uri, database_name="bench", data_dir=Path(tmp), cookie_secret="x")
        http_server = HTTPServer(make_app(settings, db))
        port = database.free_port()
        http_server.listen(port, "127.0.0.1")
        runs = [{"name": "%s %s" % (SITES[site], page), "formFactor": form,
                 "url": "http://%s.localhost:%d%s" % (site, port, path)}
                for site in sorted(SITES) for page, path in PAGES.items() for form in ("mobile", "desktop")]
        print("load average before: %.2f %.2f %.2f" % os.getloadavg())
        results = await asyncio.get_running_loop().run_in_executor(None, run_lighthouse, runs, None, None)
        print("load average after:  %.2f %.2f %.2f" % os.getloadavg())
        print("%-18s %-8s %5s %5s %5s %5s" % ("page", "form", "perf", "a11y", "bp", "seo"))
        for result in results:
            print("%-18s %-8s %5s %5s %5s %5s  %s" % (
                result["name"], result["formFactor"],
                *(round(100 * result["scores"][c]) if result["scores"].get(c) is not None else "-" for c in CATEGORIES),
                ", ".join("%s %s" % (audit, found["value"]) for audit, found in result["audits"].items()
                          if found["mode"] != "numeric")))
        http_server.stop()
        client.close()


if __name__ == "__main__":
    asyncio.run(main())
