"""What a site's language costs: a script that prints numbers (not a test: no assertions).

    .venv/bin/python tests/bench/bench_i18n.py [--runs 20000]

Times, in this process: compiling the catalogues when a process starts
(`cms.i18n.load`, once); a date written by Babel for the site's language beside
the ``strftime`` the themes used before (the yardstick); a translated message,
with and without a count. Kept pages (`cms.pagecache`) pay none of these: only a
page's render does, about ten dates and fifty messages for a list.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import timeit
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20000)
    runs = parser.parse_args().runs

    started = time.perf_counter()
    from cms import i18n

    imported = time.perf_counter()
    loaded = i18n.load()
    done = time.perf_counter()
    print("import cms.i18n (Babel, tornado.locale): %.0f ms" % ((imported - started) * 1000))
    print("compile and load %d catalogues (%s): %.0f ms, once a process"
          % (len(loaded), " ".join(loaded), (done - imported) * 1000))

    when, tz = dt.datetime(2026, 3, 5, 10, tzinfo=dt.timezone.utc), ZoneInfo("Europe/Berlin")

    def each(call) -> float:
        return min(timeit.repeat(call, number=runs, repeat=3)) / runs * 1e6

    yardstick = each(lambda: when.astimezone(tz).strftime("%-d %B %Y"))
    print("a date, strftime (before): %.1f µs" % yardstick)
    for code in ("en", "de", "ja"):
        cost = each(lambda code=code: i18n.format_date(when, code, tz))
        print("a date, Babel, %s (%s): %.1f µs (%.2fx)" % (code, i18n.format_date(when, code, tz), cost,
                                                          cost / yardstick))
    german = i18n.locale_for("de")
    print("a message, de: %.2f µs" % each(lambda: german.translate("Newer")))
    print("a message with a count, de: %.2f µs"
          % each(lambda: german.translate("%(count)d min read", "%(count)d min read", 5) % {"count": 5}))


if __name__ == "__main__":
    main()
