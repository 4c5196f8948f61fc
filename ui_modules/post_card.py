"""`PostCard`: one post in a list (title, meta, excerpt)."""

from __future__ import annotations

import tornado.web


class PostCard(tornado.web.UIModule):
    def render(self, post: dict, author: dict | None = None) -> str:
        return self.render_string("modules/post_card.html", post=post, author=author)
