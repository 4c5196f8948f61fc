"""A local stand-in for Google's OAuth 2.0 endpoints, served over HTTP on loopback.

Not a mock of our code: the application talks to it exactly as to Google
(authorization redirect, code-for-token exchange with the client secret,
userinfo with the bearer token). A test picks which Google account "is signed
in at Google" (`GoogleStandIn.identity`); the authorize endpoint then sends the
browser straight back with a one-time code, as Google does for an account that
already consented. It checks the client id, the secret, the redirect URI and
that a code is used once.
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import urlencode

import tornado.web
from tornado.httpserver import HTTPServer

from cms import db as database

CLIENT_ID = "test-client.apps.example"
CLIENT_SECRET = "test-client-secret"


class _Handler(tornado.web.RequestHandler):
    def initialize(self, google: "GoogleStandIn") -> None:
        self.google = google

    def check_xsrf_cookie(self) -> None:  # a third-party server, not our app
        pass


class Authorize(_Handler):
    def get(self) -> None:
        args = {k: self.get_query_argument(k, "") for k in ("client_id", "redirect_uri", "state", "response_type", "scope")}
        self.google.authorize_requests.append(args)
        if args["client_id"] != CLIENT_ID or args["response_type"] != "code":
            raise tornado.web.HTTPError(400, reason="invalid_client")
        back = {"state": args["state"]}
        if self.google.identity is None:
            back["error"] = "access_denied"
        else:
            code = secrets.token_urlsafe(16)
            self.google.codes[code] = (dict(self.google.identity), args["redirect_uri"])
            back["code"] = code
        self.redirect(args["redirect_uri"] + "?" + urlencode(back))


class Token(_Handler):
    def post(self) -> None:
        get = self.get_body_argument
        code = get("code", "")
        issued = self.google.codes.pop(code, None)  # a code works once
        if (get("client_id", "") != CLIENT_ID or get("client_secret", "") != CLIENT_SECRET
                or get("grant_type", "") != "authorization_code" or issued is None
                or issued[1] != get("redirect_uri", "")):
            self.set_status(400)
            self.write({"error": "invalid_grant"})
            return
        token = secrets.token_urlsafe(16)
        self.google.tokens[token] = issued[0]
        self.write({"access_token": token, "token_type": "Bearer", "expires_in": 3599, "id_token": "unused"})


class UserInfo(_Handler):
    def get(self) -> None:
        token = self.get_query_argument("access_token", "") or self.request.headers.get(
            "Authorization", "").removeprefix("Bearer ")
        identity = self.google.tokens.get(token)
        if identity is None:
            raise tornado.web.HTTPError(401)
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(identity))


class GoogleStandIn:
    def __init__(self) -> None:
        self.identity: dict[str, Any] | None = None
        self.codes: dict[str, tuple[dict, str]] = {}
        self.tokens: dict[str, dict] = {}
        self.authorize_requests: list[dict] = []
        self.port = database.free_port()
        self.server: HTTPServer | None = None

    def sign_in_as(self, email: str, sub: str, name: str = "Google Person", verified: bool = True) -> None:
        self.identity = {"sub": sub, "email": email, "email_verified": verified, "name": name}

    def start(self) -> None:
        """Listen on loopback (call on the event loop that will serve it)."""
        app = tornado.web.Application([
            (r"/o/oauth2/v2/auth", Authorize, {"google": self}),
            (r"/token", Token, {"google": self}),
            (r"/userinfo", UserInfo, {"google": self}),
        ])
        self.server = HTTPServer(app)
        self.server.listen(self.port, "127.0.0.1")

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    @property
    def urls(self) -> dict[str, str]:
        base = "http://127.0.0.1:%d" % self.port
        return {"authorize": base + "/o/oauth2/v2/auth", "token": base + "/token", "userinfo": base + "/userinfo"}
