"""`ThemedModule`: the base of every widget.

A module renders ``modules/<template>.html`` through the handler's theme
loader, so a theme's ``templates/modules/<template>.html`` wins over the
shared default in ``ui_modules/templates/modules/``. Its CSS and JavaScript
are declared, never inlined: a theme may ship ``static/modules/<template>.css``
(or ``.js``), linked through ``css_files``/``javascript_files`` with a
versioned URL; without one, the module's default ``ui_modules/static/<template>.css``
is linked the same way (``/modules/<template>.css``): never embedded, as the
Content-Security-Policy refuses inline styles (see `cms.csp`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import tornado.web

DEFAULTS = Path(__file__).parent / "static"


@lru_cache(maxsize=None)
def default_css_url(name: str) -> str | None:
    """The versioned URL of a module's default CSS (served by `ModuleStaticHandler`), if it has one."""
    from cms.handlers.static import ModuleStaticHandler

    if not (DEFAULTS / ("%s.css" % name)).is_file():
        return None
    return ModuleStaticHandler.module_url("%s.css" % name, DEFAULTS)


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
        if own:
            return [own]
        default = default_css_url(self.template)
        return [default] if default else None

    def javascript_files(self) -> list[str] | None:
        own = self._theme_has("js")
        return [own] if own else None
