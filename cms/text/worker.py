"""What runs inside a render worker process (`cms.render_pool`).

Kept apart so that a worker imports the renderer alone, not the application
(its database driver, its handlers): a fresh worker stays small under its
memory cap.
"""

from __future__ import annotations

import os

from cms.text.markdown import Rendered, render

EXIT_OUT_OF_MEMORY = 75


def render_or_exit(source: str, custom_excerpt: str | None = None) -> Rendered:
    """`render`, but a worker that ran out of memory exits (and is replaced).

    After a MemoryError the worker's heap is near its cap and sending the
    error back can fail too; a fresh worker is the safe state. The pool reads
    the early exit as "too much memory".
    """
    try:
        return render(source, custom_excerpt)
    except MemoryError:
        os._exit(EXIT_OUT_OF_MEMORY)
