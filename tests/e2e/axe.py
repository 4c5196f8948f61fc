"""axe-core in the browser tests: the judge of accessibility, run on the page selenium shows.

The vendored ``vendor/axe.min.js`` (axe-core 4.x, MPL-2.0) is injected into
the current page and run there; what it returns is reduced to lines a person
can act on (rule, impact, the offending elements and axe's summary). Pages
are judged against WCAG 2.x A and AA, the level the project promises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

# Runs inside the page: selenium's last argument is the callback of an async script.
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\\s+/g, ' '))
  }))))
  .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
"""


def axe_violations(browser: Any) -> list[str]:
    """axe-core's violations on the page the browser shows now, one readable line each."""
    if not browser.execute_script("return typeof window.axe === 'object'"):
        browser.execute_script(AXE_SOURCE)
    browser.set_script_timeout(30)
    found = browser.execute_async_script(RUN_AXE, TAGS)
    return ["%s (%s): %s — %s" % (v["id"], v["impact"], v["help"], "; ".join(v["nodes"])) for v in found]
