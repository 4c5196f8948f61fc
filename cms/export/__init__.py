"""Export: a whole site out of the platform, in a form people can take elsewhere.

Three formats, each written to a file without holding the site in memory
(documents read in batches, media copied in chunks, the event loop getting a
turn in between):

* ``archive`` (`cms.export.archive`): a zip with ``site.json`` (format
  ``cms-site-export``, version 1, documented in docs/export-format.md) and
  the media originals; `cms.export.restore_site` imports it into a new,
  empty site (``python -m cms import archive FILE --site NAME``);
* ``markdown`` (`cms.export.markdown_files`): posts and pages as Markdown
  files with YAML front matter, laid out for Hugo, Jekyll or Eleventy;
* ``wxr`` (`cms.export.wxr`): WordPress's export format (WXR 1.2), so the
  site can move to WordPress.

For other parts of the platform (the operators' console keeps a copy of a
site before deleting it)::

    await export_site(store, path)  # store: the site's cms.store.SiteStore

writes the site's archive at ``path``. `export_to` writes any format to a
path through a temporary file beside it, so a failed export leaves nothing
half-written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

from cms.store import SiteStore

FORMATS = ("archive", "markdown", "wxr")
SUFFIXES = {"archive": ".zip", "markdown": ".zip", "wxr": ".xml"}
CONTENT_TYPES = {"archive": "application/zip", "markdown": "application/zip", "wxr": "application/xml"}


async def export_site(store: SiteStore, path: str | os.PathLike) -> dict[str, int]:
    """Write the whole site (content, people, settings, media) as an archive at ``path``."""
    from cms.export.archive import write_archive

    return await write_archive(store, path)


async def write_format(store: SiteStore, format: str, target: str | os.PathLike, base_url: str = "",
                       progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write ``store``'s site in ``format`` into the file ``target``; ``base_url``: where the site lives
    (WXR names every post by its absolute address)."""
    if format == "archive":
        from cms.export.archive import write_archive

        return await write_archive(store, target, progress)
    if format == "markdown":
        from cms.export.markdown_files import write_markdown

        return await write_markdown(store, target)
    if format == "wxr":
        from cms.export.wxr import write_wxr

        return await write_wxr(store, target, base_url)
    raise ValueError("unknown export format %r (one of: %s)" % (format, ", ".join(FORMATS)))


async def export_to(store: SiteStore, format: str, path: str | os.PathLike, base_url: str = "",
                    progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """`write_format` to ``path``, through a temporary file in the same folder renamed at the end."""
    path = Path(path)
    fd, temporary = tempfile.mkstemp(prefix=".%s." % path.name, suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        counts = await write_format(store, format, temporary, base_url, progress)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return counts


def file_name(site_name: str, format: str, when: str) -> str:
    """The download's name: ``<site>-<format>-<date>.<ext>`` (a site name is already safe in a file name)."""
    kind = {"archive": "export", "markdown": "markdown", "wxr": "wordpress"}[format]
    return "%s-%s-%s%s" % (site_name, kind, when, SUFFIXES[format])
