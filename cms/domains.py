"""Custom domains: the token that proves one, the check that fetches it, the DNS advice.

An owner adds ``blog.example.org`` and gets a token. The platform answers
``/.well-known/cms-domain/<token>`` on every host (`cms.handlers.wellknown`),
but only when the request's Host is the domain the token was made for: the
token carries its own HMAC over the domain, so answering needs no database
and shows that the request reached *this* platform *under that name*. "Verify"
(`DomainChecker`) fetches ``http://<domain>/.well-known/cms-domain/<token>``
and, when the token comes back, the domain serves the site.

The check is made to an address an owner typed, so it is careful: a short
deadline, redirects followed to the same name only, a tiny body cap, and names that resolve to
no public address (loopback, private networks, cloud metadata) are refused
-- except those the ``domain_check_hosts`` setting maps, which is how tests
(and a laptop) point a name at 127.0.0.1 without touching /etc/hosts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import logging
import re
import secrets
import socket
from typing import Any
from urllib.parse import urljoin, urlsplit

from tornado import httpclient, netutil
from tornado.simple_httpclient import SimpleAsyncHTTPClient

log = logging.getLogger(__name__)

TOKEN_PATH = "/.well-known/cms-domain/"
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}")
CHECK_TIMEOUT = 5.0  # seconds for the whole fetch: an owner is waiting on the page
MAX_BODY = 1024  # the answer is a token of 39 bytes
MAX_HOPS = 2  # redirects followed, to the same name only (http -> https)


class DomainTokens:
    """Makes and recognises domain tokens: ``<nonce>.<mac(nonce, domain)>``."""

    def __init__(self, secret: str) -> None:
        # A key of its own, derived from the cookie secret: a token is never a cookie signature.
        self._key = hmac.new(secret.encode(), b"cms-domain-tokens", hashlib.sha256).digest()

    def _mac(self, nonce: str, domain: str) -> str:
        digest = hmac.new(self._key, ("%s|%s" % (nonce, domain)).encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")

    def make(self, domain: str) -> str:
        nonce = secrets.token_urlsafe(12)
        return "%s.%s" % (nonce, self._mac(nonce, domain))

    def valid(self, token: str, host: str) -> bool:
        """Whether ``token`` was made here for the host name ``host``."""
        if not TOKEN_RE.fullmatch(token or ""):
            return False
        nonce, mac = token.split(".")
        return hmac.compare_digest(mac, self._mac(nonce, host))


class CheckFailed(Exception):
    """The domain did not prove itself; the message says why, for the owner."""


class _PublicResolver(netutil.Resolver):
    """Resolves through the default resolver, keeping public addresses only, except
    for the names ``overrides`` maps (``{"blog.example.org": ("127.0.0.1", 8888)}``)."""

    def initialize(self, overrides: dict[str, tuple[str, int]]) -> None:
        self.overrides = overrides
        self.resolver = netutil.DefaultLoopResolver()

    async def resolve(self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC) -> list:
        if host in self.overrides:
            address, port = self.overrides[host]
            return await self.resolver.resolve(address, port, family)
        addresses = await self.resolver.resolve(host, port, family)
        public = [(fam, address) for fam, address in addresses if ipaddress.ip_address(address[0]).is_global]
        if not public:
            raise CheckFailed("%s points at no public address" % host)
        return public


class DomainChecker:
    """Fetches a domain's token over plain HTTP, as a browser would reach the site."""

    def __init__(self, overrides: dict[str, tuple[str, int]] | None = None, timeout: float = CHECK_TIMEOUT) -> None:
        self.overrides = dict(overrides or {})
        self.timeout = timeout

    async def check(self, domain: str, token: str) -> None:
        """Return when ``http://<domain>/.well-known/cms-domain/<token>`` answers the token;
        raise `CheckFailed` with the reason otherwise.

        A redirect to the same name is followed (a router that sends plain HTTP to
        HTTPS, as the OpenShift Routes do), without checking the certificate: the
        proof is the token, which only this platform answers, and only under that
        name; the router's default certificate does not cover the domain yet.
        """
        url = "http://%s%s%s" % (domain, TOKEN_PATH, token)
        client = SimpleAsyncHTTPClient(force_instance=True, max_body_size=MAX_BODY,
                                       resolver=_PublicResolver(overrides=self.overrides))
        try:
            for _ in range(MAX_HOPS + 1):
                response = await self._fetch(client, domain, url)
                if response.code not in (301, 302, 303, 307, 308):
                    break
                location = urljoin(url, response.headers.get("Location", ""))
                parts = urlsplit(location)
                if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() != domain:
                    raise CheckFailed("http://%s/ answered with a redirect to %s: point the name straight at "
                                      "this platform" % (domain, location[:200]))
                url = location
            else:
                raise CheckFailed("http://%s/ redirects too many times" % domain)
        finally:
            client.close()
        if response.code != 200:
            raise CheckFailed("http://%s%s… answered %d: the name does not point at this platform yet"
                              % (domain, TOKEN_PATH, response.code))
        if (response.body or b"").strip() != token.encode():
            raise CheckFailed("http://%s/ answered, but not with this site's token: the name points "
                              "somewhere else" % domain)

    async def _fetch(self, client: SimpleAsyncHTTPClient, domain: str, url: str) -> httpclient.HTTPResponse:
        try:
            return await client.fetch(url, follow_redirects=False, raise_error=False, validate_cert=False,
                                      connect_timeout=self.timeout, request_timeout=self.timeout,
                                      headers={"User-Agent": "cms-domain-check"})
        except CheckFailed:
            raise
        except socket.gaierror:
            raise CheckFailed("%s does not resolve yet: set the DNS record below (it can take a while "
                              "to reach everyone), then verify again" % domain) from None
        except Exception as error:  # refused, reset, too large: all the same to the owner
            log.info("domain check of %s failed: %r", domain, error)
            raise CheckFailed("could not reach %s: %s" % (url.split("/.well-known")[0] + "/",
                                                          _reason(error, self.timeout))) from None


def _reason(error: Any, timeout: float) -> str:
    if isinstance(error, (TimeoutError, httpclient.HTTPClientError)) and "Timeout" in str(error):
        return "no answer within %g seconds" % timeout
    if isinstance(error, ConnectionRefusedError):
        return "the connection was refused"
    return str(error) or error.__class__.__name__


def dns_advice(site: dict, base_domain: str, target: str | None) -> dict[str, str]:
    """What to set at the DNS provider: a CNAME to ``target`` (``CMS_DNS_TARGET``, default
    ``<name>.<base domain>``), or an A record when ``target`` is an IP address."""
    target = (target or "").strip() or "%s.%s" % (site["name"], base_domain)
    try:
        ipaddress.ip_address(target)
    except ValueError:
        return {"type": "CNAME", "value": target.rstrip(".") + "."}
    return {"type": "A", "value": target}
