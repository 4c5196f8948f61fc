"""`BaseHandler`: what every page shares.

``prepare`` resolves the request's host to a site (or the platform) and binds
the tenant's stores (a suspended site's readers get the plain "suspended"
page there: `cms.httperrors.Suspended`); it does not look at the session:
only handlers that act for a signed-in person (`cms.handlers.admin.AdminBase`) load the user, so a
reader page costs no session lookup and never varies by person.
``get_template_path`` points at the site's theme; one
``write_error`` renders every error page, themed when a site is known, and
never shows a traceback unless ``CMS_DEBUG`` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import hashlib
import http.client
import logging
import re
import secrets
import time
from typing import Any
from zoneinfo import ZoneInfo

import tornado.locale
import tornado.web
from tornado import httputil, template

from cms import csp, sessions
from cms.fastpath import not_modified, page_key, revalidate
from cms.httperrors import Refusal, Suspended
from cms.i18n import format_date, locale_for, site_language
from cms.pagecache import Entry
from cms.store import SiteStore
from cms.supervisor import RETRY_AFTER, is_unavailable
from cms.tenancy import PLATFORM_SITE, origin, primary_host
from cms.text.direction import direction
from cms.themes import SITE_CSS, Registry, Theme, ThemeLoader, registry

log = logging.getLogger(__name__)

RENDER_WAIT = 5.0  # seconds a request waits for another's render of the same page
# Reader pages for a router or CDN in front: shared caches keep a page 10 s and may
# serve it 60 s more while they revalidate (a 304 from the kept ETag, no render), so
# a publish reaches the edge within about 10 s; browsers revalidate every time
# (max-age=0), so an author sees their change on the next load.
CACHE_CONTROL = "public, max-age=0, s-maxage=10, stale-while-revalidate=60"
UNKNOWN = object()  # a kept page's stamp that cannot be told yet (SiteHandler._stamp)


def _quietly(task: asyncio.Future) -> None:
    """A background task whose failure the next request meets and reports."""
    if not task.cancelled():
        task.exception()


# Set for each answer of a kept page; the rest of its headers are kept with it.
PER_ANSWER_HEADERS = frozenset({"Date", "Etag", "Content-Encoding", "Content-Length", "Set-Cookie"})

_theme_loaders: dict[tuple[str, ...], ThemeLoader] = {}  # compiled site.css templates, per theme chain
PAGE_NUMBER = re.compile(r"[0-9]{1,5}")


class BaseHandler(tornado.web.RequestHandler):
    site: dict | None = None
    store: SiteStore | None = None
    theme: Theme | None = None
    is_platform = False
    # A suspended site answers its readers with the "suspended" page; the admin
    # (read-only, `cms.handlers.admin.AdminBase`) and signing in stay open.
    open_while_suspended = False
    # Errors answered in JSON to a request that asks for it (``Accept: application/json``).
    json_errors = False

    @property
    def db(self):
        return self.application.db

    @property
    def themes(self) -> Registry:
        """The application's themes (a test may give the app its own `Registry`)."""
        return self.settings.get("themes") or registry()

    @property
    def cms(self):
        """The application's `Settings`."""
        return self.application.cms_settings

    async def prepare(self) -> None:
        # A stopping process waits for this handler before it closes the database client.
        self.application.in_flight.track(asyncio.current_task())
        self.refuse_while_database_down()
        resolved = await self.application.resolver.resolve(self.request.host)
        if resolved is PLATFORM_SITE:
            self.is_platform = True
        elif resolved is not None:
            self.site = resolved
            if resolved.get("suspended") and not self.open_while_suspended:
                raise Suspended(resolved["name"])
            self.store = SiteStore(self.db, resolved)
            self.theme = self.themes.get(resolved.get("theme"))
            if self.theme.name != resolved.get("theme", self.theme.name):
                log.warning("site %s: theme %r unusable, using %s: %s", resolved.get("name"),
                            resolved.get("theme"), self.theme.name, self.themes.problem(resolved.get("theme")))

    def refuse_while_database_down(self) -> None:
        """A 503 at once while the database is known to be away (see `cms.supervisor`).

        The site is taken from the resolver's memory, so the page wears its theme.
        """
        if self.application.monitor.available:
            return
        known = self.application.resolver.known(self.request.host)
        if known is PLATFORM_SITE:
            self.is_platform = True
        elif known is not None:
            self.site = known
            self.theme = self.themes.get(known.get("theme"))
        raise tornado.web.HTTPError(503)

    # --- the signed-in person (see cms/sessions.py) --------------------------------

    _user: dict | None = None
    session: dict | None = None  # the server's record of this sign-in (cms/store/sessions.py)

    async def load_current_user(self) -> None:
        """Load the session's user, once, from a ``prepare`` that needs it (Tornado's hook is sync)."""
        self._user, self.session = await sessions.load(self)

    def get_current_user(self) -> dict | None:
        return self._user  # None unless the handler called load_current_user

    def get_user_locale(self) -> tornado.locale.Locale:
        """The SITE's language (``_()`` in themes, cms.i18n), never the reader's
        Accept-Language: a site's pages are kept and served alike to every reader."""
        return locale_for(site_language(self.site))

    # --- headers and cookies ---------------------------------------------------------

    frame_policy = "SAMEORIGIN"  # the admin says DENY: its forms must not be framed
    frame_ancestors = "'self'"  # the same in the Content-Security-Policy (the admin: 'none')
    form_action = "'self'"  # where forms may lead (the platform's pages: to the sites too)
    _csp_nonce: str | None = None

    def set_default_headers(self) -> None:
        # Safe defaults on every answer, error pages included.
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "strict-origin-when-cross-origin")
        self.set_header("X-Frame-Options", self.frame_policy)
        self._csp_nonce = None  # an error page starts over (clear() calls this again)
        self.set_header("Content-Security-Policy", csp.policy(self.frame_ancestors, form_action=self.form_action))
        if self.request.protocol == "https":
            self.set_header("Strict-Transport-Security", csp.HSTS)

    def csp_nonce(self) -> str:
        """A nonce for an inline ``<style>``/``<script>`` of this answer only (templates:
        ``nonce="{{ csp_nonce() }}"``). A reader page that uses one is not kept."""
        if self._csp_nonce is None:
            self._csp_nonce = secrets.token_urlsafe(16)
            self.set_header("Content-Security-Policy", csp.policy(self.frame_ancestors, self._csp_nonce, self.form_action))
        return self._csp_nonce

    def set_cookie(self, name: str, value: str | bytes, *args: Any, **kwargs: Any) -> None:
        """Every cookie (signed ones and ``_xsrf`` included) with safe defaults:
        ``Secure`` when the request came over https (behind the router too, see
        ``CMS_TRUST_PROXY``), ``SameSite=Lax``, and ``HttpOnly`` except for the
        XSRF cookie, which scripts read to send back in ``X-XSRFToken``."""
        kwargs.setdefault("secure", self.request.protocol == "https")
        kwargs.setdefault("samesite", "Lax")
        kwargs.setdefault("httponly", name != self.settings.get("xsrf_cookie_name", "_xsrf"))
        super().set_cookie(name, value, *args, **kwargs)

    def get_signed_cookie(self, name: str, value: str | None = None, max_age_days: float = 31,
                          min_version: int | None = None) -> bytes | None:
        """Tornado's, accepting only version-2 signatures: the app never issued
        version-1 ones, and Tornado checks those against the key as a string,
        which the versioned keys (`cms.app.cookie_signing`) are not (a 500)."""
        return super().get_signed_cookie(name, value, max_age_days, min_version=max(min_version or 2, 2))

    # --- templates ---------------------------------------------------------------

    def get_template_path(self) -> str | None:
        # Loaders are cached per template path across applications: key by the
        # theme's folder, so two registries' "journal" never share a loader.
        return "theme:%s" % self.theme.path if self.theme else "platform"

    def create_template_loader(self, template_path: str) -> template.BaseLoader:
        if template_path.startswith("theme:") and self.theme is not None:
            return ThemeLoader(self.theme.template_dirs, whitespace="single")
        return self.application.platform_loader

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace.update(
            site=self.site,
            theme=self.theme,
            theme_settings=self.theme.settings_for(self.site) if self.theme and self.site else {},
            sidebar=getattr(self, "sidebar", None) or {},
            format_date=self.format_date,
            iso_date=self.iso_date,
            rfc822_date=self.rfc822_date,
            absolute_url=self.absolute_url,
            csp_nonce=self.csp_nonce,
            site_css_url=self.site_css_url,
            base_domain=self.cms.base_domain,
            page_has_code=False,  # themes link pygments.css only then (cms.handlers.public.ReaderHandler)
            site_logo=None,  # {"url", "width", "height"} on reader pages (cms.handlers.cards.site_logo)
            query="",  # the search box's value; the search page passes its own
            extra_query=None,  # query arguments Pagination keeps (the search page passes q)
            text_direction=direction((self.site or {}).get("language") or "en"),  # <html dir> (cms.text.direction)
        )
        return namespace

    # --- the site's stylesheet: a served file, so reader pages need no inline style ------

    _site_css: tuple[bytes, str] | None = None

    def site_css(self) -> tuple[bytes, str]:
        """The theme's ``site.css`` template (the site's colours as CSS variables)
        rendered with this site's settings, and a version of it for its URL."""
        if self._site_css is None:
            dirs = tuple(str(d) for d in self.theme.template_dirs)
            loader = _theme_loaders.get(dirs) if self.settings.get("compiled_template_cache", True) else None
            if loader is None:
                loader = _theme_loaders[dirs] = ThemeLoader(self.theme.template_dirs, whitespace="single")
            has_one = any((d / SITE_CSS).is_file() for d in self.theme.template_dirs)
            css = loader.load(SITE_CSS).generate(**self.get_template_namespace()) if has_one else b""
            self._site_css = (css, hashlib.sha256(css).hexdigest()[:16])
        return self._site_css

    def site_css_url(self) -> str:
        """``/site.css?v=<version>``: a new URL whenever the site's colours change."""
        return "/site.css?v=%s" % self.site_css()[1]

    def static_url(self, path: str, include_host: bool | None = None, **kwargs: Any) -> str:
        """A versioned URL of a file of the site's theme (or of a parent theme)."""
        from cms.handlers.static import ThemeStaticHandler

        if self.theme is None:
            raise ValueError("no theme here to serve %s from" % path)
        found = self.theme.static_file(path)
        owner = found[0].name if found else self.theme.name
        return ThemeStaticHandler.theme_url(owner, path, self.themes.directory)

    # --- helpers -------------------------------------------------------------------

    def forget_cached_sites(self) -> None:
        """After a write to a site document: this process re-reads it on the next request.

        Other processes follow the platform change counter the store bumped.
        """
        self.application.resolver.invalidate()

    @property
    def tz(self) -> dt.tzinfo:
        return ZoneInfo(self.site.get("timezone", "UTC")) if self.site else dt.timezone.utc

    def format_date(self, when: dt.datetime | None, style: str = "long") -> str:
        """A date in the site's time zone and language: ``long`` ("5. März 2026") or
        ``medium`` (shorter); a strftime format (a theme's own, "%-d %b") stays as it was."""
        if when is not None and "%" in style:
            return when.astimezone(self.tz).strftime(style)
        return format_date(when, site_language(self.site), self.tz, style)

    def iso_date(self, when: dt.datetime | None) -> str:
        if not when:
            return ""
        # Milliseconds at most: what MongoDB keeps, and the most HTML's datetime takes (three digits).
        spec = "milliseconds" if when.microsecond else "seconds"
        return when.astimezone(dt.timezone.utc).isoformat(timespec=spec).replace("+00:00", "Z")

    @staticmethod
    def rfc822_date(when: dt.datetime) -> str:
        return email.utils.format_datetime(when.astimezone(dt.timezone.utc))

    def site_origin(self) -> str:
        """``scheme://host[:port]`` of this site's primary address (the platform's on
        the base domain): what every absolute URL is built from, never the Host's
        spelling (`cms.tenancy.primary_host`)."""
        host = primary_host(self.site, self.cms.base_domain) if self.site else self.cms.base_domain
        return origin(self.request.protocol, host, self.request.host)

    def absolute_url(self, path: str) -> str:
        """``path`` (starting with ``/``) at the site's primary address."""
        return self.site_origin() + path

    def here_url(self, path: str) -> str:
        """``path`` at the host this request came to: for what must come back to this
        very host (a sign-in's redirect URI, whose cookies are this host's)."""
        return "%s://%s%s" % (self.request.protocol, self.request.host, path)

    def page_number(self) -> int:
        """``?page=N``; anything but a positive whole number is a 404."""
        raw = self.get_query_argument("page", "1")
        # ASCII digits only, and few of them: str.isdigit() takes "²" (int() does
        # not), and int() of thousands of digits is refused by Python itself.
        if not PAGE_NUMBER.fullmatch(raw) or int(raw) == 0:
            raise tornado.web.HTTPError(404)
        self.page_shown = int(raw)
        return self.page_shown

    page_shown = 1  # the page of a list this answer shows (its canonical URL and title say it)

    async def not_found(self) -> None:
        """Answer 404 -- unless the site's redirects table knows where the page went
        (a renamed slug or tag, an imported permalink: cms/store/redirects.py).

        Only misses pay for the lookup, and it is kept under the site's change counter.
        """
        if self.store is not None and self.request.method in ("GET", "HEAD"):
            counter = await self.application.changes.counter(self.site["_id"])
            found = await self.store.redirects.resolve(self.request.path, counter)
            if found is None and self.request.path != self.request.path.lower():
                # Slugs, tags and usernames are lower case; people type "/tags/Editor".
                found = await self.store.redirects.resolve(self.request.path.lower(), counter)
            if found is not None:
                query = self.request.query
                target = found.to + (("&" if "?" in found.to else "?") + query if query else "")
                self.redirect(target, status=found.code)
                raise tornado.web.Finish()
        raise tornado.web.HTTPError(404)

    # --- errors -----------------------------------------------------------------------

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        # The database out of reach is a 503 (come back soon), not a bug of ours (500).
        if status_code == 500 and is_unavailable(kwargs.get("exc_info", (None, None))[1]):
            status_code = 503
        super().send_error(status_code, **kwargs)

    def log_exception(self, typ: Any, value: BaseException | None, tb: Any) -> None:
        if isinstance(value, Suspended):
            return  # every reader of a suspended site: the access log's 503 line says enough
        if is_unavailable(value):
            # Expected while the database is away: one line, no traceback, and
            # the next requests are answered at once (the monitor knows).
            self.application.monitor.report_failure(value)
            log.warning("%s %s: 503, the database is unavailable", self.request.method, self.request.uri)
            return
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None))[1]
        if isinstance(error, Suspended):
            return self.write_suspended()
        reason = self._reason if status_code in http.client.responses else "Error"
        if status_code == 503:
            self.set_header("Retry-After", str(RETRY_AFTER))  # what was refused may be sent again then
        _ = self.locale.translate  # a site's error page speaks its language (cms.i18n)
        if status_code == 404:
            reason = _("Not Found")
        message = {
            404: _("The page you were looking for is not here."),
            411: "Send the request's body with a Content-Length.",
            413: "The request is too large.",
            414: "The address is too long.",
            431: "The request's headers are too large.",
            500: _("Something went wrong on our side. Please try again in a moment."),
            503: _("We cannot reach our database just now. Please try again in a moment."),
        }.get(status_code, reason)
        if isinstance(error, Refusal):
            message = error.message
        if self.json_errors and "application/json" in self.request.headers.get("Accept", ""):
            # A page's script asked (the admin's editor): it reads what happened, and why.
            code = getattr(error, "code", None) or "http_%d" % status_code
            self.finish({"error": message, "code": code})
            return
        traceback = None
        if self.settings.get("serve_traceback") and "exc_info" in kwargs:
            import traceback as tb

            traceback = "".join(tb.format_exception(*kwargs["exc_info"]))
        context = dict(status_code=status_code, reason=reason, message=message, traceback=traceback)
        if self.site is not None:
            try:
                # render(), not render_string(): it links the UIModules' scripts and styles
                # (the phone menu's script), so the error page works like every other page.
                tornado.web.RequestHandler.render(self, "error.html", **context)
                return
            except Exception:  # a broken theme must not hide the original error
                log.exception("the theme's error page failed; using the plain one")
        self.finish(self.application.platform_loader.load("error.html").generate(
            **{**self.get_template_namespace(), "site": None, **context}
        ))


    def write_suspended(self) -> None:
        """The plain page readers of a suspended site get: no theme, no content, no reason
        (that is for the owner, in the admin), and no copy kept by a cache on the way."""
        self.set_header("Cache-Control", "no-store")
        self.finish(self.application.platform_loader.load("suspended.html").generate(
            **{**self.get_template_namespace(), "site": None}))


class SiteHandler(BaseHandler):
    """A reader page of one site: unknown hosts and the platform host are 404.

    GET and HEAD answers are served from the application's `PageCache` when
    a valid copy is there; otherwise the page is rendered and its 200 answer
    kept (see `cms.pagecache` for what makes a copy stale, and how a changed
    page is re-rendered once while the others get the stale copy). A handler
    whose answer depends on more than the URL sets ``cacheable = False``.
    """

    cacheable = True
    # (type, slug, version) when the page shows one post: it is then kept under the
    # site's structure counter and that version, so another post's edit leaves it.
    kept_as: tuple | None = None
    _structure = 0  # the site's s counter before rendering
    _cache_entry: Entry | None = None  # what the answer is kept as, once rendered
    _cache_key: Any = None
    _claimed: Any = None  # the key this request renders for the others

    def get_current_user(self) -> None:
        # A kept page is served to everyone: nothing on it may depend on who asks.
        return None

    def get_template_namespace(self) -> dict[str, Any]:
        # Every UIModule of a page asks for it again (a home page: 25 times, a fifth
        # of its rendering); on a reader page it is the same from start to end.
        made = self.__dict__.get("_namespace")
        if made is None:
            made = self._namespace = super().get_template_namespace()
        return dict(made)

    async def prepare(self) -> None:
        await super().prepare()
        if self.site is None:
            raise tornado.web.HTTPError(404)
        if self.request.method not in ("GET", "HEAD"):
            return
        location = self.canonical_location()
        if location is not None:
            # One address per page: the page cache and every link see only that one.
            self.redirect(location, permanent=True)
            return
        if self.cacheable:
            await self.serve_cached()

    def canonical_query(self) -> str:
        """The query string this page is canonical with (a list drops ``page=1``)."""
        return self.request.query

    def canonical_location(self) -> str | None:
        """Where this GET belongs when that is not here: the site's primary address
        (another of its hosts, another spelling of it: ``MAG.LOCALHOST``, a trailing
        dot) with the canonical query, and without a trailing slash; else None.

        A trailing slash alone moves only once the page is found (`render`): ``/posts/``
        is the page ``posts``, and where there is none it stays a plain 404.
        """
        site_origin = self.site_origin()
        path = self.request.path
        if path != "/" and path.endswith("/"):
            path = path.rstrip("/") or "/"
            self._without_slash = site_origin + path + ("?" + self.request.query if self.request.query else "")
        query = self.canonical_query()
        here = "%s://%s" % (self.request.protocol, self.request.host)
        if (here, self.request.query) == (site_origin, query):
            return None
        return site_origin + path + ("?" + query if query else "")

    _without_slash: str | None = None

    def render(self, template_name: str, **kwargs: Any) -> Any:
        if self._without_slash is not None:  # the page is there: at its one address
            self.redirect(self._without_slash, permanent=True)
            return None
        return super().render(template_name, **kwargs)

    async def serve_cached(self) -> None:
        cache = self.application.page_cache
        site_id = self.site["_id"]
        key = page_key(site_id, self.request)
        stamp = await self._stamp(cache.depends(key))
        if stamp is UNKNOWN and cache.newest(key) is not None:
            # A post's page, and the site's listing is being read again after a change
            # elsewhere: the kept page meanwhile (it is checked again once that is in).
            return self.answer(cache.newest(key))
        entry, fresh = cache.lookup(key, stamp)
        if fresh:
            return self.answer(entry)
        if getattr(self.request, "cms_revalidate", None) == key:  # never from the wire
            self._claimed = key  # the background render, claimed for it (cms.fastpath.revalidate)
            return await self._render_and_keep(key)
        flight = cache.claim(key)
        if entry is not None:
            if flight is None:
                # The first to find it stale: the page renders in the background, and
                # this reader waits for it only so long (a member or a reload longer).
                flight = cache.flight(key)
                revalidate(self.application, self.request, key)
                budget = RENDER_WAIT if self.wants_fresh() else cache.render_budget
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(flight), budget)
            newest = cache.newest(key)
            if newest is not None or not flight.done():
                return self.answer(newest or entry)  # the new page, or the previous one meanwhile
            # The page is gone (its render found no post): this request shows why.
            return await self._render_and_keep(key)
        if flight is not None:
            # Nothing to show yet: wait for that render rather than repeat it.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(flight), RENDER_WAIT)
            entry, fresh = cache.lookup(key, await self._stamp(cache.depends(key)))
            if entry is not None:
                return self.answer(entry)
            # It was not kept (an error page): render this one too, without waiting.
        else:
            self._claimed = key
        await self._render_and_keep(key)

    def wants_fresh(self) -> bool:
        """A member of the site (they may just have changed the page) or a reload that
        says ``no-cache`` waits for the new page rather than take the previous one."""
        asked = self.request.headers.get("Cache-Control", "") + self.request.headers.get("Pragma", "")
        return "no-cache" in asked or bool(self.get_cookie(sessions.COOKIE))

    async def _render_and_keep(self, key: Any) -> None:
        """Let the handler render; `finish` keeps its answer under ``key``."""
        cache, site_id = self.application.page_cache, self.site["_id"]
        # The counters before the data: a write landing during the render only
        # makes the page's stamp out of date at once, never a stale page kept as new.
        stamp = await self.application.changes.counter(site_id)
        self._structure = await self.application.changes.structure(site_id)
        self.store.posts.counter_is(stamp)
        expires = cache.publication(site_id, stamp)
        if expires is None:
            upcoming = await self.store.posts.next_publication()
            expires = upcoming.timestamp() if upcoming else float("inf")
            cache.remember_publication(site_id, stamp, expires)
        self._cache_key, self._cache_entry = key, Entry(stamp, expires, 200, "", b"")

    async def _stamp(self, depends: tuple | None) -> Any:
        """What a kept entry of this page must have been made under to be fresh now:
        `UNKNOWN` when the site's listing, read again, is not in within the budget."""
        changes, site_id = self.application.changes, self.site["_id"]
        if depends is None:
            return await changes.counter(site_id)
        posts = self.store.posts
        posts.counter_is(await changes.counter(site_id))
        reading = asyncio.ensure_future(posts.listing())
        if not reading.done():
            budget = RENDER_WAIT if self.wants_fresh() else self.application.page_cache.render_budget
            await asyncio.wait({reading}, timeout=budget)
            if not reading.done():
                reading.add_done_callback(_quietly)  # it finishes for the next requests
                return UNKNOWN
        return await changes.structure(site_id), reading.result().version(*depends)

    def answer(self, entry: Entry) -> None:
        """Send a kept page: gzipped when the client takes it, 304 when its ETag matches."""
        self.set_status(entry.status)
        self.set_header("Content-Type", entry.content_type)
        self.set_header("Cache-Control", CACHE_CONTROL)
        body, etag, gzipped = entry.variant(self.request.headers.get("Accept-Encoding", ""))
        if entry.gzipped is not None:
            self.set_header("Vary", "Accept-Encoding")
        if gzipped:
            self.set_header("Content-Encoding", "gzip")
        if entry.headers is None:  # what cms.fastpath answers with from now on
            entry.headers = [(name, value) for name, value in self._headers.get_all()
                             if name not in PER_ANSWER_HEADERS]
        else:  # rendered by another request: when it came to be is part of the page
            for name, value in entry.headers:
                if name == "Last-Modified":
                    self.set_header(name, value)
        self.set_header("Etag", etag)  # given, so Tornado's finish hashes nothing
        if not_modified(self.request.headers, etag, self._headers.get("Last-Modified"),
                        entry.shared_second):
            self.set_status(304)
            self._write_buffer = []
        else:
            self._write_buffer = [body]
        super().finish()

    def finish(self, chunk: Any = None) -> Any:
        entry, self._cache_entry = self._cache_entry, None
        # A page that used a CSP nonce must not be kept: the next reader would get
        # a body whose nonce does not match their answer's policy.
        if entry is not None and self.get_status() == 200 and "Set-Cookie" not in self._headers \
                and self._csp_nonce is None:
            if chunk is not None:
                self.write(chunk)
            content_type = str(self._headers.get("Content-Type", "text/html; charset=UTF-8"))
            # When this answer came to be: kept pages are made again on every change of
            # what they show, so a crawler's If-Modified-Since gets a 304 until then.
            now = int(time.time())
            self.set_header("Last-Modified", httputil.format_timestamp(now))
            previous = self.application.page_cache.newest(self._cache_key)
            entry = Entry.made(entry.stamp, entry.expires, 200, content_type, b"".join(self._write_buffer))
            if self.kept_as is not None:
                kind, slug, version = self.kept_as
                entry.stamp, entry.depends = (self._structure, version), (kind, slug)
            # Made again within the second of the copy before: the dates cannot tell them apart.
            entry.shared_second = previous is not None and previous.made_second == now
            entry.made_second = now
            self.application.page_cache.put(self._cache_key, entry)
            return self.answer(entry)
        return super().finish(chunk)

    def on_finish(self) -> None:
        if self._claimed is not None:
            if self.get_status() != 200:  # not kept (gone, say): no previous copy either
                self.application.page_cache.discard(self._claimed)
            self.application.page_cache.release(self._claimed)
            self._claimed = None

    async def head(self, *args: Any, **kwargs: Any) -> None:
        """Crawlers and feed readers ask with HEAD: the GET's status and headers.

        (Where there is no GET, Tornado's own ``get`` answers 405 as usual.)
        """
        await self.get(*args, **kwargs)


class PlatformHandler(BaseHandler):
    """A page of the platform itself (the bare base domain)."""

    async def prepare(self) -> None:
        await super().prepare()
        if not self.is_platform:
            raise tornado.web.HTTPError(404)


class NotFoundHandler(BaseHandler):
    """The last route: whatever matched nothing else is a (themed) 404."""

    async def get(self, *args: Any) -> None:
        await self.not_found()

    async def post(self, *args: Any) -> None:
        raise tornado.web.HTTPError(404)

    head = get
    put = delete = patch = post
