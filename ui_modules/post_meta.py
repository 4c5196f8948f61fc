"""`PostMeta`: author, date, reading time and tags of a post."""

from __future__ import annotations

from ui_modules.base import ThemedModule


class PostMeta(ThemedModule):
    template = "post_meta"

    def render(self, post: dict, author: dict | None = None, show_tags: bool = True) -> str:
        tags = list(zip(post.get("tags", []), post.get("tag_slugs", []))) if show_tags else []
        return self.render_module(post=post, author=author, tags=tags)
