"""`Comments`: a post's approved comments, one level of replies, and the form to add one.

The form works without JavaScript (a plain POST to ``/comments``); the
module's script (``comments.js``) fetches the form's token and sends it with
``fetch``, without a reload. The notice a guest sees after sending is an
anchor (``#comment-awaiting``) the CSS reveals with ``:target``, so the page
itself stays the same for everyone, and the page cache can keep it.
"""

from __future__ import annotations

from cms.store.comments import open_for_comments, settings_of
from ui_modules.base import DEFAULTS, ThemedModule


class Comments(ThemedModule):
    template = "comments"

    def render(self, post: dict, comments: list[dict]) -> str:
        site = self.handler.site
        if settings_of(site)["mode"] == "off" and not comments:
            return ""
        count = sum(1 + len(comment.get("replies", [])) for comment in comments)
        return self.render_module(post=post, comments=comments, count=count,
                                  open=open_for_comments(site, post))

    def javascript_files(self) -> list[str] | None:
        own = self._theme_has("js")
        if own:
            return [own]
        from cms.handlers.static import ModuleStaticHandler

        return [ModuleStaticHandler.module_url("comments.js", DEFAULTS)]

