"""Images: pure helpers for uploaded pictures (no database, no web).

`process` turns the bytes of an upload into a clean original and its
renditions (Pillow); `markup` adds ``srcset``/``sizes`` to the ``<img>`` tags
of rendered HTML that point at the site's own ``/media/`` files.
"""

from cms.images.process import (
    ACCEPTED,
    RENDITION_WIDTHS,
    Limits,
    Processed,
    Rejected,
    Rendition,
    process,
    process_file,
)

__all__ = ["ACCEPTED", "RENDITION_WIDTHS", "Limits", "Processed", "Rejected", "Rendition", "process", "process_file"]
