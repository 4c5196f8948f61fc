"""Theme static files: ``/static/<theme>/<path>?v=<hash>``.

Versioned URLs get a year-long cache lifetime (Tornado's `StaticFileHandler`
does that whenever ``v`` is present), so a changed file gets a new URL.
"""

from __future__ import annotations

import posixpath

import tornado.web

from cms.config import THEMES_DIR


class ThemeStaticHandler(tornado.web.StaticFileHandler):
    def initialize(self, path: str = str(THEMES_DIR), default_filename: str | None = None) -> None:
        super().initialize(path, default_filename)

    @classmethod
    def theme_url(cls, theme: str, path: str) -> str:
        version = cls.get_version({"static_path": str(THEMES_DIR)}, "%s/static/%s" % (theme, path))
        url = "/static/%s/%s" % (theme, path)
        return "%s?v=%s" % (url, version) if version else url

    def parse_url_path(self, url_path: str) -> str:
        theme, _, rest = url_path.partition("/")
        path = posixpath.normpath("%s/static/%s" % (theme, rest))
        # Only a theme's static/ folder is public, not its templates or theme.json.
        if not theme or not rest or not path.startswith("%s/static/" % theme):
            raise tornado.web.HTTPError(404)
        return super().parse_url_path(path)
