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


def render_many_or_exit(items: list[tuple[str, str | None]]) -> list[Rendered | None]:
    """`render_or_exit` of each ``(source, custom_excerpt)`` in one task: an import's
    batch costs one round trip to the worker, not one per post. An item that
    cannot be rendered is None; the caller renders it alone to learn why."""
    rendered: list[Rendered | None] = []
    for source, custom_excerpt in items:
        try:
            rendered.append(render(source, custom_excerpt))
        except MemoryError:
            os._exit(EXIT_OUT_OF_MEMORY)
        except Exception:  # noqa: BLE001 -- told again, with its reason, by a render of its own
            rendered.append(None)
    return rendered
