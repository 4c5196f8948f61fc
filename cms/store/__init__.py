"""Data access. Handlers use these stores, never a raw collection.

Platform-wide data (sites, people) lives in `Sites` and `Users`. Everything
that belongs to one site goes through a `SiteStore`, whose collections are
`Scoped`: ``site_id`` is added to every filter and every new document there,
in one place, so no query can forget it.
"""

from cms.store.autosaves import Autosaves
from cms.store.errors import Conflict, Duplicate, Invalid, NotFound, StoreError
from cms.store.invitations import Invitations
from cms.store.media import Media
from cms.store.members import ROLES, Members
from cms.store.pages import Page
from cms.store.posts import Posts
from cms.store.revisions import Revisions
from cms.store.scoped import Scoped
from cms.store.sites import Changes, Sites
from cms.store.users import Users

__all__ = [
    "ROLES", "Autosaves", "Changes", "Conflict", "Duplicate", "Invalid", "Invitations", "Media", "Members",
    "NotFound", "Page", "Posts", "Revisions", "Scoped", "SiteStore", "Sites", "StoreError", "Users",
]


class SiteStore:
    """Every store of one site, bound to its ``site_id``."""

    def __init__(self, db, site: dict) -> None:
        self.site = site
        self.site_id = site["_id"]
        self.posts = Posts(db, self.site_id)
        self.members = Members(db, self.site_id)
        self.revisions = Revisions(db, self.site_id)
        self.autosaves = Autosaves(db, self.site_id)
        self.media = Media(db, self.site_id)
        self.invitations = Invitations(db, self.site_id)
