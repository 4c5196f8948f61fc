"""`ThemedModule`: the base of every widget.

A module renders ``modules/<template>.html`` through the handler's theme
loader, so a theme's ``templates/modules/<template>.html`` wins over the
shared default in ``ui_modules/templates/modules/``. Its CSS and JavaScript
are declared, never inlined: a theme may ship ``static/modules/<template>.css``
(or ``.js``), linked through ``css_files``/``javascript_files`` with a
versioned URL; without one, the module's default ``ui_modules/static/<template>.css``
is embedded once per page through ``embedded_css``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import tornado.web

DEFAULTS = Path(__file__).parent / "static"


@lru_cache(maxsize=None)
def default_css(name: str) -> str | None:
    path = DEFAULTS / ("%s.css" % name)
    return path.read_text(encoding="utf-8") if path.is_file() else None


class ThemedModule(tornado.web.UIModule):
    template: str = ""  # modules/<template>.html, static/modules/<template>.css|js

    def _theme_has(self, ext: str) -> str | None:
        theme = getattr(self.handler, "theme", None)
        path = "modules/%s.%s" % (self.template, ext)
        return path if theme is not None and theme.static_file(path) else None

    def render_module(self, **kwargs: Any) -> str:
        return self.render_string("modules/%s.html" % self.template, **kwargs).decode("utf-8")

    def css_files(self) -> list[str] | None:
        own = self._theme_has("css")
        return [own] if own else None

    def embedded_css(self) -> str | None:
        return None if self._theme_has("css") else default_css(self.template)

    def javascript_files(self) -> list[str] | None:
        own = self._theme_has("js")
        return [own] if own else None
