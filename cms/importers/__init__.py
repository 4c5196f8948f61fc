"""Moving in: imports from other blogging platforms into one site.

One module per platform reads its export (`wordpress`: WXR; `ghost`: its
JSON); `common` stores what they read through the site's stores, with a
report; `convert` turns their HTML into Markdown. `jobs` runs an import in
the background of the web process for the admin's Import page.
"""

from cms.importers.common import ImportFailed, ImportRun, MediaFiles, Report, Source

__all__ = ["ImportFailed", "ImportRun", "MediaFiles", "Report", "Source", "source_for"]


def source_for(kind: str, path: str) -> Source:
    """The reader of ``kind`` ("wordpress" or "ghost") for the export at ``path``."""
    if kind == "wordpress":
        from cms.importers.wordpress import WordPress

        return WordPress(path)
    if kind == "ghost":
        from cms.importers.ghost import Ghost

        return Ghost(path)
    raise ImportFailed("unknown source %r: wordpress or ghost" % kind)
