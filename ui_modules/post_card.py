"""`PostCard`: one post in a list (title, meta, excerpt; an image when the post has one)."""

from __future__ import annotations

from ui_modules.base import ThemedModule


class PostCard(ThemedModule):
    template = "post_card"

    def render(self, post: dict, author: dict | None = None, featured: bool = False, first: bool = False) -> str:
        """``first``: the first card of a list, the largest thing on screen: its image
        loads at once and first (no ``loading=lazy``, ``fetchpriority=high``)."""
        return self.render_module(post=post, author=author, featured=featured, first=first,
                                  image=post.get("featured_image"), hue=hue_of(post.get("slug", "")))


def hue_of(text: str) -> int:
    """A stable colour hue (0-359) for a placeholder block, derived from the slug."""
    return sum(ord(c) * (i + 1) for i, c in enumerate(text)) % 360
