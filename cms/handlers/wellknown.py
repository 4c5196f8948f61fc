"""``/.well-known/cms-domain/<token>``: the proof that a custom domain reaches this platform.

Answered on every host, known or not (an unverified domain is an unknown
host until it is proven), from the token alone: it carries its own HMAC over
the domain it was made for (`cms.domains.DomainTokens`), so this costs no
query and works while the database is away. A token made for another name
than the request's Host is a 404.
"""

from __future__ import annotations

import tornado.web

from cms.tenancy import host_name


class DomainTokenHandler(tornado.web.RequestHandler):
    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")  # a proxy must not answer for another Host
        self.set_header("X-Content-Type-Options", "nosniff")

    def get(self, token: str) -> None:
        if not self.application.domain_tokens.valid(token, host_name(self.request.host)):
            self.set_status(404)
            self.finish("No such token for this host.\n")
            return
        self.finish(token)

    head = get


def wellknown_routes() -> list[tornado.web.URLSpec]:
    return [tornado.web.URLSpec(r"/\.well-known/cms-domain/([^/]{1,100})", DomainTokenHandler, name="domain-token")]
