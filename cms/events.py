"""Events other features plug into: one place to announce what happened on a site.

Live delivery to readers (WebSockets, polling) subscribes here rather than
reaching into the stores. Listeners run in this process, at once, and must
not block; one that fails is logged and the others still run. Delivery
across processes is the subscriber's job (the database's change counter,
`cms.store.changes`, already moves with every such event).

    from cms import events
    events.on_comment_approved(listener)  # listener(site_id, post_id, comment)
"""

from __future__ import annotations

import logging
from typing import Any, Callable

log = logging.getLogger(__name__)

CommentListener = Callable[[Any, Any, dict], None]
_comment_listeners: list[CommentListener] = []


def on_comment_approved(listener: CommentListener) -> Callable[[], None]:
    """Call ``listener(site_id, post_id, comment)`` for every comment approved; returns an undo."""
    _comment_listeners.append(listener)
    return lambda: _comment_listeners.remove(listener) if listener in _comment_listeners else None


def comment_approved(site_id: Any, post_id: Any, comment: dict) -> None:
    """Tell every listener that ``comment`` is now shown under its post."""
    for listener in list(_comment_listeners):
        try:
            listener(site_id, post_id, comment)
        except Exception:
            log.exception("a comment_approved listener failed (site %s, post %s)", site_id, post_id)
