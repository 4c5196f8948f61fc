"""`Subscribe`: the form with which a reader gets a site's new posts by e-mail.

A plain POST to ``/subscribe`` (`cms.handlers.subscriptions`): it works
without JavaScript, and carries nothing of one visitor, so pages that show it
stay kept by the page cache. The XSRF token comes with the handler's answer,
or, with the module's script (``subscribe.js``), from ``/subscribe/form`` as
the form is sent: one step instead of two.
"""

from __future__ import annotations

from ui_modules.base import DEFAULTS, ThemedModule


class Subscribe(ThemedModule):
    template = "subscribe"

    def render(self) -> str:
        return self.render_module()

    def javascript_files(self) -> list[str] | None:
        own = self._theme_has("js")
        if own:
            return [own]
        from cms.handlers.static import ModuleStaticHandler

        return [ModuleStaticHandler.module_url("subscribe.js", DEFAULTS)]
