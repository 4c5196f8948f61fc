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

nx-27017 has no authentication, and a loopback port is open to every account
on the machine. So this module lets in only connections from processes of
its own user: on accept it finds the client's socket in ``/proc/net/tcp``
(the row whose local address is the connection's remote end) and closes the
connection unanswered when that socket belongs to another uid, as
PostgreSQL's ``peer`` authentication does for its Unix socket.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
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


def _owner_of_client(peer: tuple) -> int | None:
    """The uid owning the client's end of a loopback TCP connection (IPv4), or None."""
    host, port = peer[0], peer[1]
    try:
        # /proc/net/tcp writes an IPv4 address as the hex of its bytes in host (little-endian) order.
        wanted = "%s:%04X" % (socket.inet_aton(host)[::-1].hex().upper(), port)
        with open("/proc/net/tcp") as table:
            for line in table.readlines()[1:]:
                fields = line.split()
                if fields[1] == wanted:
                    return int(fields[7])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _only_my_user() -> None:
    """Wrap `asyncio.start_server` (what nx-27017 listens with) so that other users are turned away."""
    start_server = asyncio.start_server
    me = os.getuid()

    async def guarded_start_server(client_connected, *args, **kwargs):
        async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if _owner_of_client(writer.get_extra_info("peername")) != me:
                writer.close()  # another account on this machine (or unknown): no answer at all
                return
            await client_connected(reader, writer)

        return await start_server(guarded, *args, **kwargs)

    asyncio.start_server = guarded_start_server


def main(argv: list[str]) -> None:
    parent = int(argv[0])
    if os.getppid() != parent:
        sys.exit("cms.dbchild: the parent (pid %d) is already gone" % parent)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="parent-watch").start()
    _only_my_user()
    from nx_27017.nx_27017 import main as nx_main

    sys.argv = ["nx-27017", *argv[1:]]
    nx_main()


if __name__ == "__main__":
    main(sys.argv[1:])
