"""`Subscribe`: the form with which a reader gets a site's new posts by e-mail.

A plain POST to ``/subscribe`` (`cms.handlers.subscriptions`): it works
without JavaScript, and carries nothing of one visitor, so pages that show it
stay kept by the page cache. The XSRF token comes with the handler's answer.
"""

from __future__ import annotations

from ui_modules.base import ThemedModule


class Subscribe(ThemedModule):
    template = "subscribe"

    def render(self) -> str:
        return self.render_module()
