"""Sites (the tenants) and the change counters that caches watch.

A write to the ``sites`` collection moves the platform's counter, so every
process re-resolves hosts; a change to one site's document also moves that
site's counter, which drops its kept reader pages (and no other site's).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pymongo

from cms.i18n import LANGUAGES, nearest
from cms.store.changes import PLATFORM, Changes
from cms.store.errors import Duplicate, Invalid, NotFound
from cms.store.ids import new_id
from cms.text.slugs import slugify

SITE_NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
# Names that would shadow the platform's own hosts or pages, mail and DNS
# conventions, or pass for the operators: ``sites`` is the wildcard Route's own
# host (openshift/template.yaml), the others what people expect a platform to own.
RESERVED_NAMES = frozenset(
    {"www", "admin", "api", "app", "platform", "static", "media", "mail", "smtp", "ftp", "root", "help", "status",
     "console", "signup", "signin", "login", "logout", "auth", "account", "accounts", "sites", "new", "handover",
     "imap", "pop", "pop3", "webmail", "mx", "ns", "ns1", "ns2", "dns", "cdn", "assets", "files", "docs",
     "support", "security", "abuse", "postmaster", "hostmaster", "webmaster", "autoconfig", "autodiscover",
     "wpad", "localhost", "operator", "operators", "billing", "blog-admin"}
)
# A name people choose for themselves (`validate_new_site_name`) is at least
# this long; operators may still make shorter ones from the command line.
MIN_CHOSEN_NAME = 3
MAX_NAME = 40
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
MAX_TITLE = 120
MAX_TAGLINE = 200
MAX_REASON = 500
MAX_QUOTA_MB = 1024 * 1024  # a terabyte: more is a typing slip, not a plan


def _for_example(name: str, shortest: int = 1) -> str:
    """A site name is a DNS label (``<name>.<base>``): ASCII only, no IDN. Someone who
    typed one in their own script is shown its transliteration (cms/text/slugs.py)."""
    suggestion = slugify(name or "", MAX_NAME)
    if len(suggestion) >= shortest and SITE_NAME_RE.match(suggestion) and "--" not in suggestion:
        return " (for example %s)" % suggestion
    return ""


def validate_site_name(name: str) -> str:
    if not SITE_NAME_RE.match(name or ""):
        raise Invalid(
            "invalid site name %r: use 1 to 40 lowercase letters, digits and inner hyphens%s"
            % (name, _for_example(name))
        )
    if name in RESERVED_NAMES:
        raise Invalid("the site name %r is reserved" % name)
    return name


def validate_new_site_name(name: str) -> str:
    """A name someone picks on the sign-up page: the rules of `validate_site_name`,
    plus at least `MIN_CHOSEN_NAME` characters and no ``--`` (``xn--`` names are
    punycode, and look like another name in a browser)."""
    name = (name or "").strip().lower()
    if len(name) < MIN_CHOSEN_NAME or len(name) > MAX_NAME or not SITE_NAME_RE.match(name) or "--" in name:
        raise Invalid("use %d to %d lowercase letters, digits and single hyphens, starting and ending with a "
                      "letter or digit%s" % (MIN_CHOSEN_NAME, MAX_NAME, _for_example(name, MIN_CHOSEN_NAME)))
    if name in RESERVED_NAMES:
        raise Invalid("the name %s is reserved for the platform" % name)
    return name


DOMAIN_RE = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def validate_domain(domain: str, base_domain: str | None = None) -> str:
    """A custom domain, lowercased; the platform's own names are not for taking."""
    domain = (domain or "").strip().lower().rstrip(".")
    if not DOMAIN_RE.match(domain):
        raise Invalid("invalid domain %r" % domain)
    if base_domain and (domain == base_domain or domain.endswith("." + base_domain)):
        raise Invalid("%s is one of the platform's own addresses" % domain)
    return domain


def quota_bytes(site: dict, default_mb: int) -> int:
    """The media storage a site may use: its own quota, else the platform's default."""
    return int(site.get("quota_mb") or default_mb) * 1024 * 1024


class Sites:
    """The platform's list of sites."""

    def __init__(self, db) -> None:
        self._collection = db.sites
        self.changes = Changes(db)

    async def create(
        self,
        name: str,
        title: str | None = None,
        theme: str = "journal",
        tagline: str = "",
        timezone: str = "UTC",
        language: str = "en",
        created_by: Any = None,
        first_steps: dict | None = None,
    ) -> dict:
        """A new site; ``created_by``: the account that started it on the sign-up page,
        ``first_steps``: what its dashboard's first steps point at (`cms.store.signup`)."""
        from cms.themes import registry

        validate_site_name(name)
        if not registry().has(theme):  # a broken theme cannot be chosen either
            raise Invalid("unknown theme %r (available: %s)" % (theme, ", ".join(registry().names())))
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise Invalid("unknown time zone %r" % timezone) from None
        site = {
            "_id": new_id(),
            "name": name,
            "title": (title or name.replace("-", " ").title()).strip()[:120],
            "tagline": tagline,
            "theme": theme,
            "theme_settings": {},
            "timezone": timezone,
            "language": nearest(language),  # what the themes speak (an import's "en-US" is "en")
            "status": "active",
            "created_at": dt.datetime.now(dt.timezone.utc),
            **({"created_by": created_by} if created_by is not None else {}),
            **({"first_steps": first_steps} if first_steps is not None else {}),
        }
        try:
            await self._collection.insert_one(site)
        except pymongo.errors.DuplicateKeyError:
            raise Duplicate("a site named %r already exists" % name) from None
        await self.changes.bump(PLATFORM)
        return site

    async def changed(self, site_id: Any) -> None:
        """After a write to one site's document: every process re-reads it
        (the platform counter, which the host resolver follows) and drops the
        kept pages of that site alone (its own counter), not those of every site."""
        await self.changes.bump(PLATFORM)
        await self.changes.bump(site_id)

    async def by_name(self, name: str) -> dict | None:
        return await self._collection.find_one({"name": name, "status": "active"})

    async def by_domain(self, host: str) -> dict | None:
        # ``$in`` rather than plain equality: same meaning in MongoDB, and the
        # embedded server misses array elements on an indexed field otherwise
        # (pinned in tests/http/test_embedded_database.py).
        return await self._collection.find_one({"domains": {"$in": [host]}, "status": "active"})

    async def count(self) -> int:
        return await self._collection.count_documents({})

    async def first_names(self, limit: int) -> tuple[list[str], int]:
        """The names of the first ``limit`` active sites, oldest first, and how many are active."""
        active = {"status": "active"}
        cursor = self._collection.find(active, {"name": 1}).sort([("created_at", 1), ("_id", 1)]).limit(limit)
        return [site["name"] async for site in cursor], await self._collection.count_documents(active)

    async def set_domains(self, site_id: Any, domains: list[str], base_domain: str | None = None) -> list[str]:
        """Give a site exactly these custom domains, verified (the operator's command);
        an empty list clears them. See `cms.store.domains` for the owner's way."""
        from cms.store.domains import SiteDomains  # it builds on this module

        return await SiteDomains(self._collection.database, site_id, base_domain).replace(domains)

    async def update_settings(
        self, site_id: Any, *, title: str, tagline: str = "", timezone: str = "UTC", language: str = "en"
    ) -> dict:
        """Title, tagline, time zone and language; every process sees them on its next request."""
        title = " ".join((title or "").split())
        if not title:
            raise Invalid("a title is required")
        if len(title) > MAX_TITLE:
            raise Invalid("the title is too long: at most %d characters" % MAX_TITLE)
        tagline = " ".join((tagline or "").split())
        if len(tagline) > MAX_TAGLINE:
            raise Invalid("the tagline is too long: at most %d characters" % MAX_TAGLINE)
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise Invalid("unknown time zone %r" % timezone) from None
        language = (language or "").strip()
        if language not in LANGUAGES:  # the settings' picker offers exactly these (cms.i18n)
            raise Invalid("unknown language %r: choose one of %s" % (
                language[:20], ", ".join("%s (%s)" % (name, code) for code, name in LANGUAGES.items())))
        site = await self._collection.find_one_and_update(
            {"_id": site_id},
            {"$set": {"title": title, "tagline": tagline, "timezone": timezone, "language": language}},
            return_document=pymongo.ReturnDocument.AFTER,
        )
        if site is None:
            raise NotFound("no such site")
        await self.changed(site_id)
        return site

    async def delete(self, site_id: Any) -> int:
        """Delete a site and everything of it; its host is a 404 from the next request.

        The site document goes first (so nothing can be read or added through
        the host any more), then its media files, then every document with its
        ``site_id`` in every collection of the database -- all of them, not a
        list kept here, so a collection added later (comments, subscribers...)
        cannot be forgotten. Returns how many documents went.
        """
        result = await self._collection.delete_one({"_id": site_id})
        if result.deleted_count != 1:
            raise NotFound("no such site")
        await self.changes.bump(PLATFORM)
        db = self._collection.database
        from cms.store.media import BUCKET, Media  # media imports this module

        deleted = 1 + await Media(db, site_id).delete_all()
        for name in sorted(await db.list_collection_names()):
            # GridFS's own collections went with Media.delete_all (nx-27017 keeps them
            # as tables named media_files/media_chunks, which hold no site_id field).
            if name.startswith(("system.", BUCKET + ".", BUCKET + "_files", BUCKET + "_chunks")):
                continue
            deleted += (await db[name].delete_many({"site_id": site_id})).deleted_count
        return deleted

    async def by_id(self, site_id: Any) -> dict | None:
        """A site whatever its status (the console's view; readers resolve active sites only)."""
        if not isinstance(site_id, str):
            return None
        return await self._collection.find_one({"_id": site_id})

    async def suspend(self, site_id: Any, reason: str, by: str) -> dict:
        """Suspend a site: readers get the "suspended" page, its admin is read-only, and
        its owner sees ``reason``. Every process drops its kept pages of the site."""
        reason = " ".join((reason or "").split())
        if not reason:
            raise Invalid("say why the site is suspended: its owner reads the reason")
        if len(reason) > MAX_REASON:
            raise Invalid("the reason is too long: at most %d characters" % MAX_REASON)
        suspended = {"reason": reason, "by": by, "at": dt.datetime.now(dt.timezone.utc)}
        return await self._set(site_id, {"$set": {"suspended": suspended}})

    async def unsuspend(self, site_id: Any) -> dict:
        return await self._set(site_id, {"$unset": {"suspended": ""}})

    async def set_quota(self, site_id: Any, quota_mb: int | None) -> dict:
        """The site's own media quota in MB; None: the platform's default (``CMS_SITE_QUOTA_MB``)."""
        if quota_mb is None:
            return await self._set(site_id, {"$unset": {"quota_mb": ""}})
        if not isinstance(quota_mb, int) or not 1 <= quota_mb <= MAX_QUOTA_MB:
            raise Invalid("the quota is a whole number of MB from 1 to %d" % MAX_QUOTA_MB)
        return await self._set(site_id, {"$set": {"quota_mb": quota_mb}})

    async def set_comment_settings(self, site_id: Any, settings: dict) -> dict:
        """Comments off / moderated / open and closing after N days (checked by
        `cms.store.comments.check_settings`)."""
        return await self._set(site_id, {"$set": {"comments": settings}})

    async def set_newsletter_settings(self, site_id: Any, settings: dict) -> dict:
        """What newsletters carry of a post (``{"content": "excerpt" | "full"}``, checked by
        the caller against `cms.store.subscribers.CONTENTS`)."""
        return await self._set(site_id, {"$set": {"newsletter": settings}})

    async def _set(self, site_id: Any, update: dict) -> dict:
        site = await self._collection.find_one_and_update(
            {"_id": site_id}, update, return_document=pymongo.ReturnDocument.AFTER)
        if site is None:
            raise NotFound("no such site")
        await self.changed(site_id)
        return site

    async def update_theme(self, site_id: Any, theme: str, settings: dict | None = None, themes: Any = None) -> dict:
        """Switch a site's theme and settings; every process sees it on its next request.

        ``settings`` is checked against the theme's schema (`Invalid` names the
        problem); ``themes`` is a `cms.themes.Registry` (the app's by default).
        Bumping the platform counter drops the site caches of every process.
        """
        from cms.themes import SettingsError, ThemeError, registry

        themes = themes or registry()
        try:
            clean = themes.require(theme).validate_settings(settings or {})
        except (ThemeError, SettingsError) as e:
            raise Invalid(str(e)) from None
        site = await self._collection.find_one_and_update(
            {"_id": site_id},
            # theme_chosen: the dashboard's first steps tick "pick a theme".
            {"$set": {"theme": theme, "theme_settings": clean, "theme_chosen": True}},
            return_document=pymongo.ReturnDocument.AFTER,
        )
        if site is None:
            raise NotFound("no such site")
        await self.changed(site_id)
        return site
