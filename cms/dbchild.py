"""The embedded database's process: ``nx-27017``, made to die with its parent.

``python -m cms.dbchild PARENT_PID [nx-27017 arguments]`` runs the nx-27017
server in this process. A ``serve`` killed with SIGKILL cannot stop its child,
and an orphaned server kept serving the files to nobody (or to the next
``serve``, which did not own it). Two guards, because each has a gap:

* the parent asks Linux for a death signal (``PR_SET_PDEATHSIG``, see
  `cms.db.EmbeddedServer`), which comes at once, but is lost if the parent died
  before it was set;
* this module checks its parent pid here at start and then every second, and
  stops the server (SIGTERM, its own clean exit) once the parent is gone.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

CHECK_EVERY = 1.0  # seconds between two looks at the parent


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(CHECK_EVERY)
    os.kill(os.getpid(), signal.SIGTERM)  # nx-27017's handler exits cleanly
    time.sleep(10)
    os._exit(1)  # it did not: no server outlives its owner


def main(argv: list[str]) -> None:
    parent = int(argv[0])
    if os.getppid() != parent:
        sys.exit("cms.dbchild: the parent (pid %d) is already gone" % parent)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="parent-watch").start()
    from nx_27017.nx_27017 import main as nx_main

    sys.argv = ["nx-27017", *argv[1:]]
    nx_main()


if __name__ == "__main__":
    main(sys.argv[1:])
