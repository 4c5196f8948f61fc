"""Starting a site from the platform page: invitation codes, a person's sites, a new site.

`SignupCodes` are what ``CMS_SIGNUP=invite`` asks for: operators make them
with ``python -m cms signup-invite``; each starts one site. Only the code's
SHA-256 is stored; using one is an atomic ``find_one_and_delete``, so two
people typing the same code at once start one site between them.

`PersonSites` is the one cross-site read of memberships, keyed by the person:
the sites they belong to ("Your sites") and how many they own (the
``CMS_SITES_PER_ACCOUNT`` limit).

`NewSites.start` makes a site with its owner and a draft About page, or
nothing: a failure half-way removes what was made. `first_steps` is the
short list its dashboard shows until each step is done.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import logging
import secrets
from typing import Any, AsyncIterator

import pymongo

from cms.store.errors import Invalid, StoreError
from cms.store.ids import new_id
from cms.store.members import ROLES, Members
from cms.store.posts import Posts
from cms.store.sites import MAX_TITLE, Sites, validate_new_site_name

log = logging.getLogger(__name__)

CODE_DAYS = 30
MAX_CODE_DAYS = 366
MAX_CODE = 100
LOCK_SECONDS = 60  # a site start lasts well under this; a lock older than it was left by a dead process
ABOUT_SLUG = "about"
ABOUT_DRAFT = (
    "Tell your readers who you are, what you write about and how to reach you.\n\n"
    "This page is a draft: publish it when it says what you want it to say."
)


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode("utf-8")).hexdigest()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class SignupCodes:
    """Invitation codes to start a site (``CMS_SIGNUP=invite``)."""

    def __init__(self, db) -> None:
        self._codes = db.signup_codes

    async def create(self, note: str = "", days: float = CODE_DAYS) -> str:
        """A new code, good for one site within ``days`` (the only time it exists in clear)."""
        if not 0 < days <= MAX_CODE_DAYS:  # NaN too
            raise Invalid("a code must be valid for more than 0 and at most %d days" % MAX_CODE_DAYS)
        code = secrets.token_urlsafe(12)
        now = utcnow()
        await self._codes.insert_one({"_id": new_id(), "code_hash": _hash(code), "note": " ".join(note.split())[:200],
                                      "created_at": now, "expires_at": now + dt.timedelta(days=days)})
        return code

    async def is_open(self, code: Any) -> bool:
        """Whether the code would start a site now."""
        if not isinstance(code, str) or not code.strip() or len(code) > MAX_CODE:
            return False
        found = await self._codes.find_one({"code_hash": _hash(code)})
        return found is not None and found["expires_at"] > utcnow()

    async def use(self, code: Any) -> dict | None:
        """Take the code (it works once); None when there is no such open code."""
        if not isinstance(code, str) or not code.strip() or len(code) > MAX_CODE:
            return None
        found = await self._codes.find_one_and_delete({"code_hash": _hash(code)})
        if found is None or found["expires_at"] <= utcnow():
            return None
        return found

    async def give_back(self, used: dict) -> None:
        """Put a code taken by `use` back, when the site it was for could not be made."""
        await self._codes.insert_one(used)


class PersonSites:
    """The sites one person is a member of, across the platform."""

    def __init__(self, db, user_id: Any) -> None:
        self._db = db
        self._user_id = user_id

    async def list(self) -> list[dict]:
        """``{"site", "role"}`` for each site they belong to, by title."""
        roles = {m["site_id"]: m["role"]
                 async for m in self._db.memberships.find({"user_id": self._user_id}, {"site_id": 1, "role": 1})}
        if not roles:
            return []
        sites = [site async for site in self._db.sites.find({"_id": {"$in": list(roles)}})]
        rows = [{"site": site, "role": roles[site["_id"]]} for site in sites]
        return sorted(rows, key=lambda row: (row["site"].get("title", "").lower(), row["site"]["name"]))

    async def role_in(self, site: dict) -> str | None:
        return await Members(self._db, site["_id"]).role_of(self._user_id)

    async def owned(self) -> int:
        """How many sites they own (what ``CMS_SITES_PER_ACCOUNT`` limits)."""
        return await self._db.memberships.count_documents({"user_id": self._user_id, "role": ROLES[0]})


class AtLimit(Invalid):
    """The person owns as many sites as an account may."""

    def __init__(self, owned: int) -> None:
        super().__init__("you own %d sites, the most one account may have here" % owned)
        self.owned = owned


class Busy(StoreError):
    """Another site of the same person is being made at this moment."""


class NewSites:
    """A site started by a person: the site, its owner, a draft About page.

    One person's sites are made one at a time (a lock document per person,
    ``site_starts``), so the per-account limit holds when several are asked
    for at once: counting and creating are then one step. A lock left by a
    process that died mid-way is taken over after `LOCK_SECONDS`.
    """

    def __init__(self, db) -> None:
        self._db = db
        self._sites = Sites(db)
        self._locks = db.site_starts

    @contextlib.asynccontextmanager
    async def _one_at_a_time(self, user_id: Any) -> AsyncIterator[None]:
        key, now = "start:%s" % user_id, utcnow()
        try:
            await self._locks.insert_one({"_id": key, "at": now})
        except pymongo.errors.DuplicateKeyError:
            stale = {"_id": key, "at": {"$lt": now - dt.timedelta(seconds=LOCK_SECONDS)}}
            if await self._locks.find_one_and_replace(stale, {"_id": key, "at": now}) is None:
                raise Busy("another of your sites is being created just now: try again in a moment") from None
        try:
            yield
        finally:
            await self._locks.delete_one({"_id": key, "at": now})

    async def start(self, owner: dict, name: str, title: str, theme: str, limit: int | None = None) -> dict:
        """Make the site with ``owner`` as its owner, who may own at most ``limit`` sites;
        `Invalid` (`AtLimit`), `Duplicate` or `Busy` change nothing."""
        name = validate_new_site_name(name)
        title = " ".join((title or "").split())
        if len(title) > MAX_TITLE:
            raise Invalid("the title is too long: at most %d characters" % MAX_TITLE)
        async with self._one_at_a_time(owner["_id"]):
            owned = await PersonSites(self._db, owner["_id"]).owned()
            if limit is not None and owned >= limit:
                raise AtLimit(owned)
            return await self._make(owner, name, title, theme)

    async def _make(self, owner: dict, name: str, title: str, theme: str) -> dict:
        about_id = new_id()
        site = await self._sites.create(name, title=title or None, theme=theme, created_by=owner["_id"],
                                        first_steps={"about_page_id": about_id})
        try:
            await Members(self._db, site["_id"]).add(owner["_id"], ROLES[0])
            await Posts(self._db, site["_id"]).create(
                title="About", slug=ABOUT_SLUG, markdown=ABOUT_DRAFT, author_id=owner["_id"], type="page",
                status="draft", post_id=about_id)
        except BaseException:
            log.warning("site %s could not be set up; removing it", name)
            await self._sites.delete(site["_id"])
            raise
        log.info("%s started the site %s", owner["_id"], name)
        return site

    async def available(self, name: str) -> bool:
        """Whether no site has that name (one being deleted included)."""
        return await self._db.sites.find_one({"name": name}, {"_id": 1}) is None


@dataclasses.dataclass
class Step:
    label: str
    done: bool
    href: str


async def first_steps(db, site: dict) -> list[Step] | None:
    """The first steps of a site started on the sign-up page, each ticked once done;
    None for other sites, and once every step is done."""
    started = site.get("first_steps")
    if not isinstance(started, dict):
        return None
    posts = Posts(db, site["_id"])
    about = await posts.get(started.get("about_page_id"), "page") if started.get("about_page_id") else None
    steps = [
        Step("Write a first post", (await posts.state_counts("post"))["published"] > 0, "/admin/posts/new"),
        Step("Pick a theme", bool(site.get("theme_chosen")), "/admin/theme"),
        Step("Fill in the About page", about is not None and await posts.get_visible("page", about["slug"]) is not None,
             "/admin/pages/%s" % about["_id"] if about else "/admin/pages"),
    ]
    return None if all(step.done for step in steps) else steps
