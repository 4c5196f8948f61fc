"""`make_app(settings)`: the one factory of the Tornado application.

Routes are grouped by area. The bare base domain gets the platform's routes;
every other host gets a site's reader routes, with the catch-all page slug
last. Health checks answer on every host.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

import tornado.web
from tornado import template
from tornado.httputil import HTTPConnection, HTTPMessageDelegate, HTTPServerRequest
from tornado.routing import URLSpec

from cms import db as database
from cms import i18n, render_pool
from cms.accesslog import AccessLog
from cms.changewatch import ChangeWatcher
from cms.config import REPO_ROOT, Settings
from cms.domains import DomainTokens
from cms.fastpath import kept_answer
from cms.handlers import cards, health, platform, public
from cms.handlers.account import account_routes
from cms.handlers.accounts import accounts_routes, platform_accounts_routes
from cms.handlers.admin import admin_routes
from cms.handlers.auth import auth_routes
from cms.handlers.base import NotFoundHandler
from cms.handlers.comments import comment_routes
from cms.handlers.console import console_routes
from cms.handlers.domains import domain_routes
from cms.handlers.edit_link import edit_link_routes
from cms.handlers.export import export_routes
from cms.handlers.handover import handover_platform_routes, handover_site_routes
from cms.handlers.history import history_routes
from cms.handlers.imports import import_routes
from cms.handlers.media import media_routes
from cms.handlers.redirects_admin import redirects_admin_routes
from cms.handlers.refused import RefusedHandler
from cms.handlers.review import review_routes
from cms.handlers.signup import signup_routes
from cms.handlers.site_admin import site_admin_routes
from cms.handlers.static import FaviconHandler, ModuleStaticHandler, SiteStyleHandler, ThemeStaticHandler
from cms.handlers.subscriptions import subscription_routes
from cms.handlers.trash import trash_routes
from cms.handlers.wellknown import wellknown_routes
from cms.images import pool as images_pool
from cms.lifecycle import InFlight
from cms.limits import RequestLimits
from cms.live.admin import admin_live_routes
from cms.live.handlers import live_routes
from cms.live.hub import Hub
from cms.mail import Mailer
from cms.metrics import RequestMetrics, Sampler
from cms.pagecache import PageCache
from cms.ratelimit import AddressAndSiteLimits, RateLimiter
from cms.requestid import EchoRequestId, RequestIds
from cms.subscriptions.dispatch import Dispatcher
from cms.supervisor import DatabaseMonitor
from cms.tenancy import SiteResolver
from cms.themes import registry
from cms.trashsweep import TrashSweep
from ui_modules import MODULES

log = logging.getLogger(__name__)

PLATFORM_TEMPLATES = REPO_ROOT / "cms" / "templates"
SLUG = r"([a-z0-9]+(?:-[a-z0-9]+)*)"
# Posts, tags and usernames are typed by hand, in any case and in their words' own
# script ("/tags/Writing", "/tags/Путешествия"): whatever is typed reaches the handler,
# which answers 301 to the ASCII slug (cms/text/slugs.py) or 404. Percent-encoded
# UTF-8 is up to 12 characters a letter, hence the length.
TYPED_SLUG = r"([^/]{1,1000})"


def health_routes() -> list[URLSpec]:
    """On every host, the platform's and unknown ones included."""
    return [
        URLSpec(r"/healthz", health.HealthHandler, name="healthz"),
        URLSpec(r"/readyz", health.ReadyHandler, name="readyz"),
    ] + wellknown_routes()


def static_routes() -> list[URLSpec]:
    return [
        URLSpec(r"/static/(.+)", ThemeStaticHandler, name="static"),
        URLSpec(r"/favicon\.ico", FaviconHandler, name="favicon"),
        URLSpec(r"/site\.css", SiteStyleHandler, name="site-css"),
        URLSpec(r"/modules/(.+)", ModuleStaticHandler, name="module-static"),
    ]


def reader_routes() -> list[URLSpec]:
    return [
        URLSpec(r"/", public.IndexHandler, name="home"),
        URLSpec(r"/posts/%s/?" % TYPED_SLUG, public.PostHandler, name="post"),
        URLSpec(r"/tags/%s/?" % TYPED_SLUG, public.TagHandler, name="tag"),
        URLSpec(r"/authors/%s/?" % TYPED_SLUG, public.AuthorHandler, name="author"),
        URLSpec(r"/search", public.SearchHandler, name="search"),
        URLSpec(r"/feed\.xml", public.FeedHandler, {"format": "atom"}, name="atom"),
        URLSpec(r"/rss\.xml", public.FeedHandler, {"format": "rss"}, name="rss"),
        URLSpec(r"/feed\.json", public.FeedHandler, {"format": "json"}, name="json-feed"),
        URLSpec(r"/sitemap\.xml", public.SitemapHandler, name="sitemap"),
        URLSpec(r"/sitemap-([a-z0-9-]{1,20})\.xml", public.SitemapHandler, name="sitemap-file"),
        URLSpec(r"/robots\.txt", public.RobotsHandler, name="robots"),
        URLSpec(r"/cards/([0-9a-f]{24})-([0-9]{1,9})\.png", cards.CardHandler, name="card"),
        URLSpec(r"/apple-touch-icon\.png", cards.TouchIconHandler, name="touch-icon"),
    ]


def platform_routes() -> list[URLSpec]:
    """The bare base domain: landing, sign-in, Your sites, sign-up (cms/handlers/platform.py,
    signup.py, handover.py)."""
    return platform.platform_routes() + signup_routes() + handover_platform_routes() + platform_accounts_routes()


class CMSApplication(tornado.web.Application):
    """A Tornado application that knows its database and its tenants."""

    def __init__(self, settings: Settings, db: Any, **tornado_settings: Any) -> None:
        self.cms_settings = settings
        self.db = db
        # Prometheus metrics (cms.metrics) only when a port is there to serve them.
        self.metrics = RequestMetrics() if settings.metrics_port else None
        # One line a request, written in batches, as text or JSON (cms.accesslog).
        self.access_log = AccessLog(json=settings.log_format == "json", metrics=self.metrics)
        self.request_ids = RequestIds()  # X-Request-ID, taken or made (cms.requestid)
        self.changes = ChangeWatcher(db)  # the change counters, polled in the background
        self.resolver = SiteResolver(db, settings.base_domain, self.changes)
        self.platform_loader = template.Loader(str(PLATFORM_TEMPLATES), whitespace="single")
        self.in_flight = InFlight()  # what a graceful stop waits for (cms.lifecycle)
        self.page_cache = PageCache()  # rendered reader pages (cms.pagecache)
        self.request_limits = RequestLimits()  # sizes and deadlines of every request (cms.limits)
        self.monitor = DatabaseMonitor(db)  # is the database there? (cms.supervisor)
        self.domain_tokens = DomainTokens(settings.ensure_cookie_secret())  # custom domains' proofs (cms.domains)
        # Each Verify fetches a name an owner typed: a few in a row per site, then one a minute.
        self.domain_checks = RateLimiter(rate=1 / 60, burst=5)
        self.mail = Mailer(db, settings.smtp_url, settings.base_domain)  # e-mail through the outbox (cms.mail)
        self.sampler = Sampler(self) if settings.metrics_port else None  # started with the monitor
        self.trash_sweep = TrashSweep(self)  # deleted posts past CMS_TRASH_DAYS go for good (cms.trashsweep)
        self.comment_limits = AddressAndSiteLimits()  # readers' comments per address and site (cms.handlers.comments)
        self.subscribe_limits = AddressAndSiteLimits()  # readers' subscriptions per address and site
        self.newsletters = Dispatcher(self)  # new posts mailed to subscribers (cms.subscriptions)
        self.live = Hub(db)  # readers' live sockets and the poll of events that feeds them (cms.live)
        site_routes = (
            health_routes() + static_routes() + reader_routes() + auth_routes() + admin_routes() + account_routes()
            + history_routes()  # a post's History: diffs, old versions rendered, restore (cms.handlers.history)
            + review_routes()  # an editor publishes or sends back a post in review (cms.handlers.review)
            + edit_link_routes()  # may this member edit what a reader page shows? (cms.handlers.edit_link)
            + accounts_routes()  # /confirm, /reset: links sent by e-mail (cms.handlers.accounts)
            + site_admin_routes() + redirects_admin_routes() + domain_routes()
            + trash_routes()  # /admin/trash and Delete (cms.handlers.trash)
            + export_routes()
            + comment_routes()  # /comments: readers' comments; /admin/comments: moderation
            + subscription_routes()  # /subscribe, /unsubscribe; /admin/subscribers (cms.subscriptions)
            + live_routes()  # /live, /live.json: events pushed to readers' pages (cms.live)
            + admin_live_routes()  # /admin/live: who else edits a post, and their saves (cms.live.admin)
            + import_routes()  # /admin/import: WordPress and Ghost exports (cms/importers/)
            + handover_site_routes()  # /admin/handover: a sign-in handed over by the platform
            + media_routes()  # /media/... files and /admin/media, before the catch-all page route
            + [URLSpec(r"/%s/?" % SLUG, public.PageHandler, name="page"),
               URLSpec(r"/.*", NotFoundHandler)]
        )
        super().__init__(site_routes, transforms=[EchoRequestId], **tornado_settings)
        # Added after the default host so that it is tried first (Tornado
        # inserts host rules ahead of the wildcard).
        self.add_handlers(
            re.escape(settings.base_domain) + "$",
            health_routes() + static_routes() + platform_routes()
            + console_routes()  # /console: the operators' (cms.handlers.console)
            + [URLSpec(r"/.*", NotFoundHandler)],
        )

    def use_database(self, db: Any) -> None:
        """Talk to ``db`` from now on: the embedded server came back on another port."""
        self.db = db
        self.changes.stop()
        self.changes = ChangeWatcher(db)
        self.resolver = SiteResolver(db, self.cms_settings.base_domain, self.changes)
        self.live.db = db
        self.monitor.use(db)
        self.mail.use(db)

    def stop_background_work(self) -> None:
        """What a stopping process ends once no request can need it any more (``serve``
        and gunicorn's ``worker_exit`` alike): the change watcher's poll, the metrics'
        sampler, the access log's last lines, the mail sender, and this process's image
        and Markdown worker processes."""
        self.changes.stop()
        self.live.stop()
        if self.sampler is not None:
            self.sampler.stop()
        self.mail.stop()
        self.newsletters.stop()
        self.trash_sweep.stop()
        self.access_log.flush()
        images_pool.pool.stop()
        render_pool.shutdown()

    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        self.access_log(handler)

    def start_request(self, server_conn: object, request_conn: HTTPConnection) -> HTTPMessageDelegate:
        self.request_limits.apply(request_conn)
        return self.in_flight.start_request(super().start_request, server_conn, request_conn)

    def find_handler(self, request: HTTPServerRequest, **kwargs: Any):
        self.request_ids.assign(request)
        if self.cms_settings.trust_proxy:
            apply_forwarded_headers(request)
        if self.request_limits.refusal(request, streams_body=False) is None:
            kept = kept_answer(self, request)  # a kept reader page: no handler at all (cms.fastpath)
            if kept is not None:
                return kept
        delegate = super().find_handler(request, **kwargs)
        # Too long, too large: answered from the headers, before any body is read.
        streams = getattr(getattr(delegate, "handler_class", None), "_stream_request_body", False)
        status = self.request_limits.refusal(request, streams_body=streams)
        if status is not None:
            return self.get_handler_delegate(request, RefusedHandler, {"status": status})
        return delegate


def apply_forwarded_headers(request: HTTPServerRequest) -> None:
    """Honour ``X-Forwarded-*`` from a trusted proxy (the OpenShift router).

    Tornado's ``xheaders`` does this for its own HTTP server, but not under
    gunicorn, and it ignores ``X-Forwarded-Host``; here it works for both.
    """
    headers = request.headers
    # Of every X-Forwarded-* list the last value is the one the proxy added;
    # anything before it came from the client and can be made up (a router
    # that appends keeps them). Tornado's own xheaders reads them the same way.
    proto = _last(headers, "X-Forwarded-Proto").lower()
    if proto in ("http", "https"):
        request.protocol = proto
    host = _last(headers, "X-Forwarded-Host")
    if host:
        request.host = host
        request.host_name = host.split(":")[0].lower()
    forwarded_for = _last(headers, "X-Forwarded-For")
    if forwarded_for:
        request.remote_ip = forwarded_for


def _last(headers: Any, name: str) -> str:
    """The last value of a comma-separated header, over all its occurrences."""
    values = ",".join(headers.get_list(name)) if name in headers else ""
    return values.split(",")[-1].strip()


def key_version(secret: str) -> int:
    """The version number a cookie key signs under: derived from the key itself.

    A signed cookie carries the version of the key that signed it and is checked
    against that key only, so a key must keep its number from one rotation to the
    next (the new key of one rotation is the old key of the following one).
    Version 0 is left to cookies signed before keys had versions.
    """
    return 1 + int.from_bytes(hashlib.sha256(secret.encode()).digest()[:4], "big")


def cookie_signing(settings: Settings) -> dict[str, Any]:
    """Tornado's ``cookie_secret``/``key_version`` settings: sign with the current
    key; verify with it and, during a rotation, with the old one."""
    current = settings.ensure_cookie_secret()
    keys = {key_version(current): current}
    if settings.cookie_secret_old:
        keys[key_version(settings.cookie_secret_old)] = settings.cookie_secret_old
    # Cookies from before versioned keys (version 0) were signed with the key in
    # use then: the old one during the first rotation, else the current one.
    keys[0] = settings.cookie_secret_old or current
    return {"cookie_secret": keys, "key_version": key_version(current)}


def make_app(settings: Settings, db: Any | None = None, **overrides: Any) -> CMSApplication:
    """Build the application. Without ``db``, connect to ``settings.mongodb_uri``."""
    if db is None:
        if not settings.mongodb_uri:
            raise ValueError("make_app needs settings.mongodb_uri or a database")
        db = database.connect(settings.mongodb_uri)[settings.database_name]
    registry()  # load and validate the themes now, not on the first request
    i18n.load()  # and compile the themes' catalogues (a broken .po stops the start here)
    tornado_settings: dict[str, Any] = dict(
        **cookie_signing(settings),
        xsrf_cookies=True,
        xsrf_cookie_kwargs={"samesite": "Lax"},
        ui_modules=MODULES,
        serve_traceback=settings.debug,
        compiled_template_cache=not settings.debug,
        static_hash_cache=not settings.debug,
        autoescape="xhtml_escape",
    )
    if settings.google_client_id:
        # What tornado.auth.GoogleOAuth2Mixin reads. The endpoints may be
        # overridden with ``google_oauth_urls={"authorize", "token", "userinfo"}``.
        tornado_settings["google_oauth"] = {"key": settings.google_client_id,
                                            "secret": settings.google_client_secret or ""}
    tornado_settings.update(overrides)
    return CMSApplication(settings, db, **tornado_settings)
