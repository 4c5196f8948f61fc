"""`Pagination`: previous/next links of a paginated list."""

from __future__ import annotations

from urllib.parse import urlencode

from cms.store import Page
from ui_modules.base import ThemedModule


class Pagination(ThemedModule):
    template = "pagination"

    def render(self, page: Page, base_path: str, extra_query: dict | None = None) -> str:
        def link(number: int) -> str:
            query = dict(extra_query or {})
            if number > 1:
                query["page"] = str(number)
            return base_path + ("?" + urlencode(query) if query else "")

        return self.render_module(
            page=page,
            previous_url=link(page.number - 1) if page.has_previous else None,
            next_url=link(page.number + 1) if page.has_next else None,
        )
