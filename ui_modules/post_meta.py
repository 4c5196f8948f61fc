"""`PostMeta`: author, date, reading time and tags of a post."""

from __future__ import annotations

import tornado.web


class PostMeta(tornado.web.UIModule):
    def render(self, post: dict, author: dict | None = None, show_tags: bool = True) -> str:
        return self.render_string("modules/post_meta.html", post=post, author=author, show_tags=show_tags)
