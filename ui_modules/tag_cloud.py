"""`TagCloud`: the site's tags, sized by how often they are used."""

from __future__ import annotations

from ui_modules.base import ThemedModule

WEIGHTS = 5


def weighted(tags: list[dict]) -> list[dict]:
    """Each ``{"slug", "name", "count"}`` with a ``weight`` from 1 to `WEIGHTS`, sorted by name."""
    if not tags:
        return []
    low, high = min(t["count"] for t in tags), max(t["count"] for t in tags)
    span = max(1, high - low)
    return sorted(({**t, "weight": 1 + round((t["count"] - low) * (WEIGHTS - 1) / span)} for t in tags),
                  key=lambda t: t["name"].lower())


class TagCloud(ThemedModule):
    template = "tag_cloud"

    def render(self, tags: list[dict], title: str | None = None) -> str:
        _ = self.locale.translate  # the site's language (cms.i18n)
        title = title or _("Tags")
        return self.render_module(tags=weighted(tags), title=title)
