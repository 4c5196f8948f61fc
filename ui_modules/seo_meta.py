"""`SeoMeta`: the ``<head>`` tags that describe a page to search engines and feeds."""

from __future__ import annotations

import tornado.web


class SeoMeta(tornado.web.UIModule):
    def render(self, title: str, description: str = "", path: str | None = None, kind: str = "website") -> str:
        request = self.request
        canonical = "%s://%s%s" % (request.protocol, request.host, path if path is not None else request.path)
        return self.render_string(
            "modules/seo_meta.html", title=title, description=description, canonical=canonical, kind=kind
        )
