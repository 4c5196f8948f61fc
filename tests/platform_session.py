"""A visitor of the platform's own host (the bare base domain) for HTTP tests, and
the browser's part of a handover: following the platform's redirect to a site.

Each host keeps its own cookies, as a browser keeps host-only cookies apart:
`Platform` is the platform host's jar, `follow_to_site` opens the site's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tornado.httpclient import HTTPResponse

from tests.admin_session import Session
from tests.conftest import TEST_PASSWORD


class Platform(Session):
    def __init__(self, client: Any) -> None:
        super().__init__(client, "platform")
        self.host = "localhost"

    async def post(self, path: str, form: dict | None = None, **kwargs: Any) -> HTTPResponse:
        if not self.xsrf and kwargs.get("xsrf", True):
            await self.get("/signin")
        return await self.fetch(path, "POST", form=form if form is not None else {}, **kwargs)

    async def sign_in(self, email: str, password: str = TEST_PASSWORD) -> HTTPResponse:
        await self.get("/signin")
        return await self.post("/signin", {"email": email, "password": password})


def site_of(location: str, port: int) -> tuple[str, str]:
    """``(site name, path?query)`` of a redirect to ``http://<site>.localhost:<port>/...``."""
    parts = urlsplit(location)
    assert parts.scheme == "http" and parts.port == port, location
    assert parts.hostname and parts.hostname.endswith(".localhost"), location
    return parts.hostname[: -len(".localhost")], parts.path + ("?" + parts.query if parts.query else "")


def platform_path(location: str) -> str:
    """``path?query`` of a redirect to the platform's host (``http://localhost:<port>/...``)."""
    parts = urlsplit(location)
    assert parts.hostname == "localhost", location
    return parts.path + ("?" + parts.query if parts.query else "")


async def follow_to_site(client: Any, answer: HTTPResponse, site: Session | None = None,
                         platform: Platform | None = None) -> tuple[Session, HTTPResponse]:
    """What the browser does with the platform's redirect to a site: open it on the
    site's host (with that host's cookies, ``site``, or none yet); when it is a
    handover's start, on to the platform (``platform``'s cookies) for the token and
    back to the site with it. The answer is the site's last one."""
    assert answer.code == 303, (answer.code, answer.body[:500])
    name, path = site_of(answer.headers["Location"], client.port)
    site = site or Session(client, name)
    landed = await site.get(path)
    if path.startswith("/admin/handover/start"):
        assert platform is not None, "a handover goes through the platform: pass its session"
        assert landed.code == 302, (landed.code, landed.body[:500])
        issued = await platform.get(platform_path(landed.headers["Location"]))
        assert issued.code == 303, (issued.code, issued.body[:500])
        _, path = site_of(issued.headers["Location"], client.port)
        landed = await site.get(path)
    return site, landed
