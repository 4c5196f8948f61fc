"""`Navigation`: the site's main menu (Home plus the theme's navigation links)."""

from __future__ import annotations

from ui_modules.base import ThemedModule


class Navigation(ThemedModule):
    template = "navigation"

    def render(self, links: list[dict] | None = None, label: str | None = None, home: bool = True) -> str:
        _ = self.locale.translate  # the site's language (cms.i18n)
        label = label or _("Main")
        current = self.request.path.rstrip("/") or "/"
        items = ([{"label": _("Home"), "url": "/"}] if home else []) + list(links or [])
        items = [{**item, "current": (item["url"].rstrip("/") or "/") == current} for item in items]
        return self.render_module(items=items, label=label)
