"""`PostCard`: one post in a list (title, meta, excerpt; an image when the post has one)."""

from __future__ import annotations

from ui_modules.base import ThemedModule


class PostCard(ThemedModule):
    template = "post_card"

    def render(self, post: dict, author: dict | None = None, featured: bool = False, first: bool = False) -> str:
        """``first``: the first card of a list, the largest thing on screen: its image
        loads at once and first (no ``loading=lazy``, ``fetchpriority=high``)."""
        # The list's handler counted the approved comments of its posts in one query.
        comments = (getattr(self.handler, "comment_counts", None) or {}).get(post.get("_id"), 0)
        return self.render_module(post=post, author=author, featured=featured, first=first, comments=comments,
                                  image=post.get("featured_image"), hue=hue_of(post.get("slug", "")))


def hue_of(text: str) -> int:
    """A stable colour hue (0-359) for a placeholder block, derived from the slug."""
    return sum(ord(c) * (i + 1) for i, c in enumerate(text)) % 360
