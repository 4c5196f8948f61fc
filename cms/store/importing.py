"""Posts written by an import, many at a time.

An author's save (`Posts.create`) is one post: a render, a revision, the post,
a bump of the change counter and an event for live readers -- a dozen round
trips. An import of 10,000 posts made that way took most of an hour, moved the
counter 10,000 times (every reader page missed the cache and re-read the
site's listing, which grew with every post) and told open reader pages of
each post. Here a batch of posts is rendered in one task of the render pool
and written with one ``insert_many`` of revisions and one of posts; each post
is still exactly what `Posts.create` makes of its text (the same helpers
build it), as version 1 with its revision. Nothing here moves the change
counter or writes events: the import does that once in a while and once at
the end (`cms.importers.common.ImportRun`). No publish hook runs either, so
imported posts are not sent to anyone as new.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any, Iterable

import pymongo

from cms import render_pool
from cms.images.markup import media_urls, responsive
from cms.render_pool import RenderRefused
from cms.store.errors import Invalid, StoreError
from cms.store.events import Events
from cms.store.ids import new_id
from cms.store.media import Media, image_of
from cms.store.posts import BAD_FORM, SLUG_TRIES, Posts, slug_of_title, written
from cms.store.revisions import Revisions, revision_of
from cms.store.scoped import Scoped

log = logging.getLogger(__name__)

DUPLICATE = 11000


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclasses.dataclass
class NewPost:
    """One post to create, as `Posts.create` takes it; ``featured_url``: a ``/media/`` URL of this site."""

    post_id: str
    type: str
    title: str
    markdown: str
    author_id: Any
    editor_id: Any
    slug: str | None = None  # None: made from the title (`slug_of_title`)
    tags: list[str] = dataclasses.field(default_factory=list)
    status: str = "published"
    published_at: dt.datetime | None = None
    custom_excerpt: str | None = None
    featured_url: str | None = None
    featured_alt: str = ""
    featured_caption: str = ""


class ImportedPosts:
    """Batches of new posts of one site (see the module docstring)."""

    def __init__(self, db, site_id: Any) -> None:
        self._db, self._site_id = db, site_id
        self._posts = Scoped(db.posts, site_id, affects_pages=False)
        self._revisions = Scoped(db.revisions, site_id, affects_pages=False)

    async def existing(self, post_ids: Iterable[str]) -> dict[str, dict]:
        """The posts of these ids that this site has (not in the Trash), by id."""
        ids = list(post_ids)
        if not ids:
            return {}
        cursor = self._posts.find({"_id": {"$in": ids}, "status": {"$ne": "trashed"}})
        return {post["_id"]: post async for post in cursor}

    async def free_slugs(self, type: str, bases: list[str]) -> list[str]:
        """For each base slug, itself when no post of the type has it here nor an earlier one
        of the list, else the first free ``base-2``, ``base-3``... (as `Posts.free_slug`)."""
        taken = {post["slug"] async for post in self._posts.find(
            {"type": type, "slug": {"$in": list(dict.fromkeys(bases))}}, {"slug": 1})}
        chosen: list[str] = []
        for base in bases:
            candidate, n = base, 1
            while candidate in taken:
                n += 1
                candidate = "%s-%d" % (base[:75], n)
                if candidate not in taken and await self._posts.find_one(
                        {"type": type, "slug": candidate}, {"_id": 1}) is not None:
                    taken.add(candidate)
            taken.add(candidate)
            chosen.append(candidate)
        return chosen

    async def create_many(self, drafts: list[NewPost]) -> list[dict | StoreError]:
        """Each draft stored as a new post (version 1 with its revision), or the reason it was not."""
        results: list[dict | StoreError | None] = [None] * len(drafts)
        texts: list[tuple[str, str, str | None, list[str]] | None] = []
        for n, draft in enumerate(drafts):
            try:
                title, markdown, excerpt, tags = written(draft.title, draft.markdown, draft.custom_excerpt, draft.tags)
                texts.append((Posts._checked_title(title, markdown, draft.status), markdown, excerpt, tags))
            except Invalid as error:
                results[n] = error
                texts.append(None)
        todo = [n for n in range(len(drafts)) if results[n] is None]
        rendered = await render_pool.render_many([(texts[n][1], texts[n][2]) for n in todo],
                                                 (self._site_id, "import"))
        renders: dict[int, Any] = {}
        for n, done in zip(todo, rendered):
            if isinstance(done, RenderRefused):
                results[n] = done
            else:
                renders[n] = done
        urls = {n: media_urls(renders[n].html) for n in renders}
        wanted = [url for found in urls.values() for url in found]
        wanted += [drafts[n].featured_url for n in renders if drafts[n].featured_url]
        items = await Media(self._db, self._site_id).by_urls(dict.fromkeys(wanted))
        now = utcnow()
        posts: dict[int, dict] = {}
        for n, done in renders.items():
            draft, (title, markdown, excerpt, tags) = drafts[n], texts[n]
            html = responsive(done.html, {url: image_of(items[url]) for url in urls[n] if url in items})
            featured = None
            if draft.featured_url in items:
                featured = image_of(items[draft.featured_url], alt=" ".join(draft.featured_alt.split())[:300]
                                    or items[draft.featured_url].get("alt", ""),
                                    caption=" ".join(draft.featured_caption.split())[:500])
            media_ids = list(dict.fromkeys([items[url]["_id"] for url in urls[n] if url in items]
                                           + ([featured["media_id"]] if featured else [])))
            slug = draft.slug or slug_of_title(title, draft.post_id, draft.type)
            try:
                content = Posts._content(title, slug, markdown, excerpt, tags, done, html, featured, media_ids)
            except Invalid as error:
                results[n] = error
                continue
            posts[n] = {
                "_id": draft.post_id, "type": draft.type, **content, "author_id": draft.author_id,
                "status": draft.status,
                "published_at": (draft.published_at or now) if draft.status == "published" else draft.published_at,
                "created_at": now, "updated_at": now, "updated_by": draft.editor_id or draft.author_id,
                "version": 1, "save_id": new_id(),
            }
        for n, post in (await self._insert(posts)).items():
            results[n] = post
        return [result if result is not None else StoreError("not written") for result in results]

    async def _insert(self, posts: dict[int, dict]) -> dict[int, dict | StoreError]:
        """Revisions first, then the posts (the order of `cms.store.saving`), each in one write."""
        if not posts:
            return {}
        order = list(posts)
        revisions = Revisions(self._db, self._site_id)
        for n in await _refused(self._revisions, [revision_of(posts[n]) for n in order], order):
            await revisions.prepare(posts[n])  # one left by a run that stopped: replaced
        done: dict[int, dict | StoreError] = {n: posts[n] for n in order}
        for n in await _refused(self._posts, [posts[n] for n in order], order):
            done[n] = await self._insert_one(posts[n], revisions)
        return done

    async def _insert_one(self, post: dict, revisions: Revisions) -> dict | StoreError:
        """A post the batch write refused: its slug was taken meanwhile (the next free one), or its id."""
        for _ in range(SLUG_TRIES):
            if await self._posts.find_one({"_id": post["_id"]}, {"_id": 1}) is not None:
                return post  # written already (by a run that stopped)
            if await self._posts.find_one({"type": post["type"], "slug": post["slug"]}, {"_id": 1}) is None:
                await revisions.forget(post)  # not the slug: the id, which another site's post has
                return Invalid(BAD_FORM)
            post["slug"] = (await self.free_slugs(post["type"], [post["slug"]]))[0]
            await revisions.prepare(post)
            try:
                await self._posts.insert_one(post)
                return post
            except pymongo.errors.DuplicateKeyError:
                continue
        await revisions.forget(post)
        return Invalid("no free slug for %r: give this %s a slug of its own" % (post["title"], post["type"]))

    async def announce(self, newest: dict, count: int) -> None:
        """One event for open reader pages: ``count`` posts came, ``newest`` first (not one per post)."""
        author = await self._db.users.find_one({"_id": newest.get("author_id")}, {"username": 1})
        data = {"id": str(newest["_id"]), "title": newest.get("title", ""), "url": "/posts/%s" % newest["slug"],
                "tags": [], "author": (author or {}).get("username", ""), "count": count}
        await Events(self._db, self._site_id).add("posts", "published", "imported:%s" % newest["_id"], data)


async def _refused(collection: Scoped, documents: list[dict], order: list[int]) -> list[int]:
    """Insert ``documents`` in one unordered write; the ``order`` numbers of those a unique index refused."""
    try:
        await collection.insert_many(documents, ordered=False)
    except pymongo.errors.BulkWriteError as error:
        refused = [order[e["index"]] for e in error.details.get("writeErrors", [])]
        if any(e.get("code") != DUPLICATE for e in error.details.get("writeErrors", [])):
            raise
        return refused
    return []
