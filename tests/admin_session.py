"""A signed-in (or not) visitor of one site for HTTP tests: keeps cookies, sends XSRF.

Cookies are parsed from ``Set-Cookie`` and sent back in ``Cookie`` like a
browser would (for one host); forms carry the ``_xsrf`` cookie's token unless a
test says otherwise.
"""

from __future__ import annotations

import email.utils
import http.cookies
import re
import time
from typing import Any
from urllib.parse import urlencode

from tornado.httpclient import HTTPResponse

from tests.conftest import TEST_PASSWORD


class Session:
    def __init__(self, client: Any, site: str) -> None:
        self.client = client
        self.host = "%s.localhost" % site
        self.cookies: dict[str, str] = {}
        self.set_cookie_headers: list[str] = []

    def _remember(self, response: HTTPResponse) -> None:
        for header in response.headers.get_list("Set-Cookie"):
            self.set_cookie_headers.append(header)
            jar = http.cookies.SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                expires = morsel["expires"]
                gone = morsel["max-age"] == "0" or (
                    expires and email.utils.parsedate_to_datetime(expires).timestamp() < time.time()
                )
                if gone:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    @property
    def xsrf(self) -> str:
        return self.cookies.get("_xsrf", "")

    async def fetch(self, path: str, method: str = "GET", form: dict | None = None, xsrf: bool = True,
                    headers: dict | None = None, body: str | bytes | None = None, **kwargs: Any) -> HTTPResponse:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join("%s=%s" % item for item in self.cookies.items())
        if form is not None:
            form = dict(form)
            if xsrf:
                form.setdefault("_xsrf", self.xsrf)
            body = urlencode(form, doseq=True)
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if method in ("POST", "PUT", "PATCH") and body is None:
            body = b""
        response = await self.client.fetch(
            self.host, path, method=method, body=body, headers=headers, allow_nonstandard_methods=True, **kwargs
        )
        self._remember(response)
        return response

    async def get(self, path: str, **kwargs: Any) -> HTTPResponse:
        return await self.fetch(path, **kwargs)

    async def post(self, path: str, form: dict | None = None, **kwargs: Any) -> HTTPResponse:
        if not self.xsrf and kwargs.get("xsrf", True):
            await self.get("/login")
        return await self.fetch(path, "POST", form=form if form is not None else {}, **kwargs)

    async def login(self, email: str, password: str = TEST_PASSWORD) -> HTTPResponse:
        await self.get("/login")
        return await self.post("/login", {"email": email, "password": password})

    def xsrf_field(self, body: bytes) -> str:
        """The token a page's form carries (what a browser would submit)."""
        found = re.search(rb'name="_xsrf" value="([^"]+)"', body)
        assert found, "the page has no XSRF field"
        return found.group(1).decode()


async def signed_in(client: Any, site: str, user: dict) -> Session:
    session = Session(client, site)
    response = await session.login(user["email"])
    assert response.code == 303, response.body
    return session


def post_id_of(response) -> str:
    found = re.match(r"/admin/(?:posts|pages)/([0-9a-f]{24})\?saved=1$", response.headers["Location"])
    assert found, response.headers.get("Location")
    return found.group(1)


def form(**fields) -> dict:
    base = {"title": "", "slug": "", "markdown": "", "tags": "", "custom_excerpt": "", "state": "draft",
            "publish_at": "", "version": "0"}
    base.update(fields)
    return base
