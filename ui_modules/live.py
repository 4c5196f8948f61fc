"""`Live`: the hook of a reader page into live updates (`cms.live`).

It renders an empty, hidden banner ("N new posts") and links ``live.js``,
which opens ``/live`` for the page's channel (``posts`` on lists, ``post:<id>``
on a post), shows the banner and loads the new posts in place on a click,
adds newly approved comments under a post, and polls ``/live.json`` where
WebSockets fail. A file, not an inline script: the Content-Security-Policy
refuses those (`cms.csp`). The markup is the same for every reader, so the
page cache keeps the page as before. The banner's words come in the site's
language, in each of its plural forms (``data-text-one``, ``data-text-other``...).
"""

from __future__ import annotations

from cms.i18n import plural_samples, site_language
from ui_modules.base import DEFAULTS, ThemedModule


class Live(ThemedModule):
    template = "live"

    def render(self, channel: str) -> str:
        return self.render_module(channel=channel, samples=plural_samples(site_language(self.handler.site)))

    def javascript_files(self) -> list[str] | None:
        own = self._theme_has("js")
        if own:
            return [own]
        from cms.handlers.static import ModuleStaticHandler

        return [ModuleStaticHandler.module_url("live.js", DEFAULTS)]
