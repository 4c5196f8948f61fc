"""`Pagination`: previous/next links of a paginated list."""

from __future__ import annotations

from urllib.parse import urlencode

import tornado.web

from cms.store import Page


class Pagination(tornado.web.UIModule):
    def render(self, page: Page, base_path: str, extra_query: dict | None = None) -> str:
        def link(number: int) -> str:
            query = dict(extra_query or {})
            if number > 1:
                query["page"] = str(number)
            return base_path + ("?" + urlencode(query) if query else "")

        return self.render_string(
            "modules/pagination.html",
            page=page,
            previous_url=link(page.number - 1) if page.has_previous else None,
            next_url=link(page.number + 1) if page.has_next else None,
        )
