"""Cookies behind the OpenShift router: Secure when the visitor used https.

The router ends TLS and forwards plain HTTP with ``X-Forwarded-Proto: https``;
with ``CMS_TRUST_PROXY`` the app takes that as the request's scheme, and every
cookie it sets (signed ones and the XSRF cookie, through
``BaseHandler.set_cookie``) is then ``Secure``. No reader page sets a cookie
yet, so a form page built like the admin's (XSRF field, signed session cookie)
is added to the real application here.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from cms.handlers.base import BaseHandler


class FormHandler(BaseHandler):
    def get(self) -> None:
        self.set_signed_cookie("session", "someone")
        self.write(self.xsrf_form_html())


@pytest.fixture
def form_app(app):
    app.add_handlers(r"forms\.test$", [(r"/form", FormHandler)])
    return app


def cookies(response) -> dict[str, SimpleCookie]:
    jar = {}
    for header in response.headers.get_list("Set-Cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            jar[name] = morsel
    return jar


async def test_https_at_the_router_gives_secure_cookies(form_app, client):
    form_app.cms_settings.trust_proxy = True
    response = await client.fetch("forms.test", "/form", headers={"X-Forwarded-Proto": "https"})
    assert response.code == 200
    jar = cookies(response)
    assert set(jar) == {"session", "_xsrf"}
    for morsel in jar.values():
        assert morsel["secure"] is True
        assert morsel["samesite"] == "Lax"
    assert jar["session"]["httponly"] is True
    assert jar["_xsrf"]["httponly"] == ""  # scripts read it to send X-XSRFToken
    assert b'name="_xsrf"' in response.body


async def test_plain_http_cookies_are_not_secure(form_app, client):
    form_app.cms_settings.trust_proxy = True
    jar = cookies(await client.fetch("forms.test", "/form"))
    assert jar["session"]["secure"] == "" and jar["_xsrf"]["secure"] == ""
    assert jar["session"]["httponly"] is True


async def test_forwarded_proto_is_ignored_without_a_trusted_proxy(form_app, client):
    assert form_app.cms_settings.trust_proxy is False
    response = await client.fetch("forms.test", "/form", headers={"X-Forwarded-Proto": "https"})
    assert cookies(response)["session"]["secure"] == ""
