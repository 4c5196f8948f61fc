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
from tornado.web import create_signed_value

from cms.app import cookie_signing
from cms.config import Settings
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


# --- rotating the cookie key -------------------------------------------------------
# COOKIE_SECRET is the key that signs; COOKIE_SECRET_OLD, during a rotation, a key
# whose cookies still verify. The test server is re-keyed the way a rolled-out pod
# is configured: from the environment, through `cms.app.cookie_signing`.


class WhoHandler(BaseHandler):
    def get(self) -> None:
        who = self.get_signed_cookie("session")
        self.write((who or b"nobody").decode())


@pytest.fixture
def who_app(form_app):
    form_app.add_handlers(r"forms\.test$", [(r"/who", WhoHandler)])
    return form_app


def deploy(app, **env: str) -> None:
    """Re-key the running app as pods started with ``env`` would be."""
    app.settings.update(cookie_signing(Settings.from_env(env)))


async def signed_in_cookie(client) -> str:
    return cookies(await client.fetch("forms.test", "/form"))["session"].value


async def who(client, session: str) -> str:
    response = await client.fetch("forms.test", "/who", headers={"Cookie": "session=" + session})
    assert response.code == 200
    return response.body.decode()


async def test_a_rotation_keeps_people_signed_in_and_new_cookies_use_the_new_key(who_app, client):
    deploy(who_app, COOKIE_SECRET="first-key-" + "a" * 40)
    before = await signed_in_cookie(client)
    assert await who(client, before) == "someone"

    deploy(who_app, COOKIE_SECRET="second-key-" + "b" * 40, COOKIE_SECRET_OLD="first-key-" + "a" * 40)
    assert await who(client, before) == "someone"  # signed with the old key: still signed in
    during = await signed_in_cookie(client)

    # The old key retired: its cookies sign nobody in; the ones made during the rotation still do.
    deploy(who_app, COOKIE_SECRET="second-key-" + "b" * 40)
    assert await who(client, before) == "nobody"
    assert await who(client, during) == "someone"
    # ...and through the next rotation, too.
    deploy(who_app, COOKIE_SECRET="third-key-" + "c" * 40, COOKIE_SECRET_OLD="second-key-" + "b" * 40)
    assert await who(client, during) == "someone"


async def test_cookies_signed_before_versioned_keys_survive_the_first_rotation(who_app, client):
    # What the app set while COOKIE_SECRET was used as a plain key (key version 0).
    legacy = create_signed_value("first-key-" + "a" * 40, "session", "someone").decode()
    deploy(who_app, COOKIE_SECRET="first-key-" + "a" * 40)
    assert await who(client, legacy) == "someone"
    deploy(who_app, COOKIE_SECRET="second-key-" + "b" * 40, COOKIE_SECRET_OLD="first-key-" + "a" * 40)
    assert await who(client, legacy) == "someone"


async def test_a_forged_cookie_signs_nobody_in(who_app, client):
    deploy(who_app, COOKIE_SECRET="second-key-" + "b" * 40, COOKIE_SECRET_OLD="first-key-" + "a" * 40)
    forged = create_signed_value("someone-elses-key", "session", "someone").decode()
    assert await who(client, forged) == "nobody"


@pytest.mark.parametrize("value", ["0", "garbage", "1|2|3", "c29tZW9uZQ==|1700000000|abcdef",
                                   "2|1:7|10:1700000000|7:session|8:c29tZW9uZQ==|" + "0" * 64])
async def test_a_malformed_or_unknown_key_cookie_signs_nobody_in(who_app, client, value):
    # Version-1 cookies (never issued here) and key versions no key has are refused, not a 500.
    deploy(who_app, COOKIE_SECRET="second-key-" + "b" * 40, COOKIE_SECRET_OLD="first-key-" + "a" * 40)
    assert await who(client, value) == "nobody"
