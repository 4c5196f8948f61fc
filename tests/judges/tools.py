"""Where the outside judges live: npm packages installed by ``sh scripts/test.sh``.

``package.json`` pins them (``vnu-jar``: the Nu Html Checker, run on Debian's
JRE; ``lighthouse``: run on Debian's Chromium). A test that needs one and
finds it missing fails with the command that installs it, rather than
skipping: a judge that silently does not run is no judge.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cms.config import REPO_ROOT

NODE_MODULES = REPO_ROOT / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
LIGHTHOUSE = NODE_MODULES / "lighthouse" / "cli" / "index.js"
CHROMIUM = "/usr/bin/chromium"
INSTALL = "run `sh scripts/test.sh` once (it installs the JRE, node and `npm ci`)"


def require(path: Path, *programs: str) -> Path:
    """``path``, after checking that it and the ``programs`` it runs on are installed."""
    missing = [p for p in programs if shutil.which(p) is None]
    assert path.exists() and not missing, "%s is missing (%s): %s" % (
        path.relative_to(REPO_ROOT), ", ".join(missing) or "not installed", INSTALL)
    return path


def run_lighthouse(runs: list[dict], categories: list[str] | None, audits: list[str] | None,
                   timeout: float = 600) -> list[dict]:
    """Lighthouse over ``runs`` ({name, url, formFactor}) in one node process and one Chromium
    (``tests/judges/lighthouse.mjs``): per run the categories' scores and the audits that did not pass."""
    script = require(LIGHTHOUSE, "node")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as job:
        json.dump({"runs": runs, "categories": categories, "audits": audits}, job)
    try:
        done = subprocess.run(["node", str(Path(__file__).with_name("lighthouse.mjs")), job.name],
                              capture_output=True, text=True, timeout=timeout, cwd=script.parents[2],
                              env={**os.environ, "CHROME_PATH": CHROMIUM})
    finally:
        os.unlink(job.name)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)
