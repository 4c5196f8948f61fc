"""Theme static files: ``/static/<theme>/<path>?v=<hash>``.

Versioned URLs get a year-long cache lifetime (Tornado's `StaticFileHandler`
does that whenever ``v`` is present), so a changed file gets a new URL. Only
files under a theme's ``static/`` folder are served: no ``..`` segments, so a
theme's templates and ``theme.json`` stay private.
"""

from __future__ import annotations

from pathlib import Path

import tornado.web

from cms.assets import TextAssetMixin
from cms.config import THEMES_DIR
from cms.handlers.base import BaseHandler


class ThemeStaticHandler(TextAssetMixin, tornado.web.StaticFileHandler):
    def initialize(self, path: str | None = None, default_filename: str | None = None) -> None:
        themes = self.settings.get("themes")
        root = path or str(themes.directory if themes is not None else THEMES_DIR)
        super().initialize(root, default_filename)

    @classmethod
    def theme_url(cls, theme: str, path: str, directory: Path = THEMES_DIR) -> str:
        version = cls.get_version({"static_path": str(directory)}, "%s/static/%s" % (theme, path))
        url = "/static/%s/%s" % (theme, path)
        return "%s?v=%s" % (url, version) if version else url

    def parse_url_path(self, url_path: str) -> str:
        theme, _, rest = url_path.partition("/")
        parts = rest.replace("\\", "/").split("/")
        # Only a theme's static/ folder is public, not its templates or theme.json.
        # A NUL byte is no file name: the OS calls would raise (a 500), not say "not found".
        if not theme or theme.startswith(".") or not rest or "\x00" in url_path \
                or any(p in ("", ".", "..") for p in parts):
            raise tornado.web.HTTPError(404)
        return super().parse_url_path("%s/static/%s" % (theme, rest))


class FaviconHandler(BaseHandler):
    """``/favicon.ico``, which browsers ask for on every host: the theme's icon.

    Sites get their theme's ``favicon.svg``; the platform, the admin of a site
    whose theme has none, and unknown hosts get the default theme's.
    """

    async def get(self) -> None:
        theme = self.theme if self.theme and self.theme.static_file("favicon.svg") else self.themes.get(None)
        found = theme.static_file("favicon.svg")
        if found is None:
            raise tornado.web.HTTPError(404)
        self.set_header("Cache-Control", "public, max-age=86400")
        self.redirect(ThemeStaticHandler.theme_url(found[0].name, "favicon.svg", self.themes.directory),
                      permanent=False)

    async def head(self) -> None:
        # Link checkers and some browsers ask HEAD first: same answer, no body.
        await self.get()


class SiteStyleHandler(BaseHandler):
    """``/site.css?v=<version>``: the site's colours as CSS variables (the theme's
    ``site.css`` template), so no page needs an inline ``<style>``.

    The body always comes from the requesting host's site; the version only
    decides whether browsers may keep it for a year.
    """

    async def get(self) -> None:
        if self.site is None or self.theme is None:
            raise tornado.web.HTTPError(404)
        css, version = self.site_css()
        self.set_header("Content-Type", "text/css; charset=UTF-8")
        if self.get_query_argument("v", "") == version:
            self.set_header("Cache-Control", "public, max-age=31536000, immutable")
        else:
            self.set_header("Cache-Control", "no-cache")
        self.write(css)


class ModuleStaticHandler(TextAssetMixin, tornado.web.StaticFileHandler):
    """``/modules/<name>.css?v=<hash>``: a UI module's default CSS (``ui_modules/static/``),
    linked by the module instead of being embedded inline in every page."""

    def initialize(self, path: str | None = None, default_filename: str | None = None) -> None:
        from ui_modules.base import DEFAULTS

        super().initialize(path or str(DEFAULTS), default_filename)

    @classmethod
    def module_url(cls, name: str, directory: Path) -> str:
        version = cls.get_version({"static_path": str(directory)}, name)
        return "/modules/%s?v=%s" % (name, version) if version else "/modules/%s" % name

    def parse_url_path(self, url_path: str) -> str:
        if "\x00" in url_path or "/" in url_path or "\\" in url_path or url_path.startswith("."):
            raise tornado.web.HTTPError(404)
        return super().parse_url_path(url_path)
