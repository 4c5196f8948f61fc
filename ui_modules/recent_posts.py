"""`RecentPosts`: a short list of the newest posts (the handler fetches them)."""

from __future__ import annotations

from ui_modules.base import ThemedModule


class RecentPosts(ThemedModule):
    template = "recent_posts"

    def render(self, posts: list[dict], title: str | None = None, exclude: dict | None = None) -> str:
        _ = self.locale.translate  # the site's language (cms.i18n)
        title = title or _("Recent posts")
        shown = [p for p in posts if exclude is None or p.get("_id") != exclude.get("_id")]
        return self.render_module(posts=shown, title=title)
