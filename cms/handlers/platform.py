"""The platform's own pages, on the bare base domain."""

from __future__ import annotations

from cms.handlers.base import PlatformHandler


class LandingHandler(PlatformHandler):
    async def get(self) -> None:
        self.render("landing.html")
