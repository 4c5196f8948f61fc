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
import signal
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
                   timeout: float = 600, quick: bool = False) -> list[dict]:
    """Lighthouse over ``runs`` ({name, url, formFactor}) in one node process and one Chromium
    (``tests/judges/lighthouse.mjs``): per run the categories' scores and the audits that did not pass.
    ``quick``: waits less for the page to go quiet (a third faster; timing scores suffer)."""
    script = require(LIGHTHOUSE, "node")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as job:
        json.dump({"runs": runs, "categories": categories, "audits": audits, "quick": quick}, job)
    # Its own process group: past the deadline node and the Chromium it started go together.
    node = subprocess.Popen(["node", str(Path(__file__).with_name("lighthouse.mjs")), job.name],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=script.parents[2],
                            env={**os.environ, "CHROME_PATH": CHROMIUM}, start_new_session=True)
    try:
        out, err = node.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(node.pid, signal.SIGKILL)
        node.communicate()
        raise
    finally:
        os.unlink(job.name)
    assert node.returncode == 0, err[-3000:]
    return json.loads(out)
