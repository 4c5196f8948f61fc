"""Data access. Handlers use these stores, never a raw collection.

Platform-wide data (sites, people) lives in `Sites` and `Users`. Everything
that belongs to one site goes through a `SiteStore`, whose collections are
`Scoped`: ``site_id`` is added to every filter and every new document there,
in one place, so no query can forget it.
"""

import functools

from cms.store.autosaves import Autosaves
from cms.store.comments import Comments
from cms.store.errors import Conflict, Duplicate, Invalid, NotFound, StoreError
from cms.store.events import Events
from cms.store.imports import ImportedItems, ImportJobs
from cms.store.invitations import Invitations
from cms.store.media import Media
from cms.store.members import ROLES, Members
from cms.store.pages import Page
from cms.store.posts import Posts
from cms.store.presence import Presence
from cms.store.redirects import Redirects
from cms.store.revisions import Revisions
from cms.store.scoped import Scoped
from cms.store.sessions import PersonSessions, Sessions
from cms.store.sites import Changes, Sites
from cms.store.subscribers import Subscribers
from cms.store.trash import Trash
from cms.store.users import Users

__all__ = [
    "ROLES", "Autosaves", "Changes", "Comments", "Conflict", "Duplicate", "Events", "Invalid", "Invitations", "Media", "Members",
    "NotFound", "Page", "PersonSessions", "Posts", "Redirects", "Revisions", "Scoped", "Sessions", "SiteStore", "Sites",
    "StoreError", "Subscribers", "Trash", "Users",
]


class SiteStore:
    """Every store of one site, bound to its ``site_id``.

    Each store is made on first use: a request (a kept reader page above all)
    touches one or two of them, and some are not cheap to make (the media
    store opens a GridFS bucket).
    """

    def __init__(self, db, site: dict) -> None:
        self.db = db
        self.site = site
        self.site_id = site["_id"]

    @functools.cached_property
    def posts(self) -> Posts:
        return Posts(self.db, self.site_id)

    @functools.cached_property
    def trash(self) -> Trash:
        return Trash(self.db, self.site_id)

    @functools.cached_property
    def members(self) -> Members:
        return Members(self.db, self.site_id)

    @functools.cached_property
    def revisions(self) -> Revisions:
        return Revisions(self.db, self.site_id)

    @functools.cached_property
    def autosaves(self) -> Autosaves:
        return Autosaves(self.db, self.site_id)

    @functools.cached_property
    def presence(self) -> Presence:
        return Presence(self.db, self.site_id)

    @functools.cached_property
    def media(self) -> Media:
        return Media(self.db, self.site_id)

    @functools.cached_property
    def invitations(self) -> Invitations:
        return Invitations(self.db, self.site_id)

    @functools.cached_property
    def import_jobs(self) -> ImportJobs:
        return ImportJobs(self.db, self.site_id)

    @functools.cached_property
    def imported_items(self) -> ImportedItems:
        return ImportedItems(self.db, self.site_id)

    @functools.cached_property
    def redirects(self) -> Redirects:
        return Redirects(self.db, self.site_id)

    @functools.cached_property
    def events(self) -> Events:
        return Events(self.db, self.site_id)

    @functools.cached_property
    def comments(self) -> Comments:
        return Comments(self.db, self.site_id)

    @functools.cached_property
    def sessions(self) -> Sessions:
        return Sessions(self.db, self.site_id)

    @functools.cached_property
    def subscribers(self) -> Subscribers:
        return Subscribers(self.db, self.site_id)
