"""`AuthorCard`: an author's name, initials avatar, bio and a link to their posts."""

from __future__ import annotations

from ui_modules.base import ThemedModule


def initials(name: str) -> str:
    parts = [p for p in (name or "?").split() if p[:1].isalnum()]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


class AuthorCard(ThemedModule):
    template = "author_card"

    def render(self, author: dict | None, show_bio: bool = True, heading_level: int = 2) -> str:
        if not author:
            return ""
        return self.render_module(author=author, show_bio=show_bio and bool(author.get("bio")),
                                  initials=initials(author.get("name", "")),
                                  heading="h%d" % max(1, min(heading_level, 6)))
