"""Posts and static pages of one site.

Both live in ``posts`` with ``type`` "post" or "page", so a page and a post may
share a slug. Readers only ever see *visible* documents: published, with a
publication time that has come. Markdown is rendered and sanitised on save, in
a worker process (`cms.render_pool`), and the HTML stored beside the source.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any, Iterable, Mapping

import pymongo

from cms import render_pool
from cms.images.markup import media_urls, responsive
from cms.store import events, subscribers
from cms.store.errors import Conflict, Duplicate, Invalid, NotFound
from cms.store.ids import new_id
from cms.store.listing import LISTINGS, Listing
from cms.store.media import Media, image_of
from cms.store.pages import Page
from cms.store.redirects import Redirects
from cms.store.saving import Saver, shown, structural
from cms.store.scoped import Scoped
from cms.text.chars import xml_safe
from cms.text.slugs import is_slug, slugify

TYPES = ("post", "page")
STATUSES = ("draft", "pending", "published")  # pending: in review, waiting for an editor (issue 16.9)
# What the admin shows: "scheduled" is stored as "published" with a future
# ``published_at``, so the reader query (`Posts.visible`) needs no change.
STATES = ("draft", "pending", "scheduled", "published")
MAX_TITLE = 200
MAX_TAGS = 20
SEARCH_TERMS = 12
SEARCH_CANDIDATES = 300
SLUG_TRIES = 50  # new posts with one title at one moment; each round one of them gets its slug
_WORD = re.compile(r"\w+", re.UNICODE)
KEEP: Any = object()  # `Posts.update`: leave the featured image as it is
_ID = re.compile(r"[0-9a-f]{24}")
BAD_FORM = "this form cannot be saved: open the editor again"
# What makes two saves of one base version the same save (`Posts._not_saved`).
SAME_SAVE = ("title", "slug", "markdown", "tags", "custom_excerpt", "status", "published_at", "featured_image",
             "author_id", "updated_by")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def clean_tags(tags: Iterable[str], merge: bool = False) -> tuple[list[str], list[str]]:
    """Tag names and their slugs, without duplicates; `Invalid` rather than drop a tag.

    A tag in any script has a slug (cms/text/slugs.py); one without a letter, digit
    or emoji ("!!!") has none and is refused with its name. Two spellings of one
    tag ("Путешествия, ПУТЕШЕСТВИЯ") are one tag, the first spelling wins; two
    different tags that would share an address ("C, C++") are refused, unless
    ``merge`` (retagging merges on purpose).
    """
    names: list[str] = []
    slugs: list[str] = []
    for raw in tags:
        name = " ".join(raw.split())[:50]
        if not name:
            continue
        slug = slugify(name, 50)
        if not slug:
            raise Invalid("the tag %r has no letter, digit or emoji to make its address from" % name)
        if slug in slugs:
            first = names[slugs.index(slug)]
            if not merge and first.casefold() != name.casefold():
                raise Invalid("the tags %r and %r would share one address, /tags/%s: keep one" % (first, name, slug))
            continue
        names.append(name)
        slugs.append(slug)
    if len(slugs) > MAX_TAGS:
        raise Invalid("too many tags: at most %d" % MAX_TAGS)
    return names, slugs



def slug_of_title(title: str, post_id: str, kind: str = "post") -> str:
    """The slug a new post gets from its title; a title with no letter, digit or emoji
    ("!!!", "…") gets one from the end of its id, so such posts never queue up as
    ``untitled``, ``untitled-2``... (ids end in a counter: they differ)."""
    return slugify(title) or "%s-%s" % (kind, post_id[-8:])

def written(title: Any, markdown: Any, custom_excerpt: Any, tags: Iterable[str]) -> tuple[Any, Any, Any, list]:
    """What an author wrote without the characters XML cannot carry (cms/text/chars.py):
    one of them would break the site's feeds and sitemap."""
    def safe(value: Any) -> Any:
        return xml_safe(value) if isinstance(value, str) else value

    return safe(title), safe(markdown), safe(custom_excerpt), [safe(tag) for tag in tags]


def search_terms(query: str) -> list[str]:
    """The words of a reader's query; operators and punctuation are dropped."""
    return _WORD.findall(query.lower())[:SEARCH_TERMS]


def state_of(post: dict, now: dt.datetime | None = None) -> str:
    """``"draft"``, ``"pending"`` (in review), ``"scheduled"`` or ``"published"``, as the admin shows it."""
    if post.get("status") == "pending":
        return "pending"
    if post.get("status") != "published":
        return "draft"
    when = post.get("published_at")
    return "scheduled" if when and when > (now or utcnow()) else "published"


def state_filter(state: str, now: dt.datetime | None = None) -> dict:
    now = now or utcnow()
    if state in ("draft", "pending"):
        return {"status": state}
    if state == "scheduled":
        return {"status": "published", "published_at": {"$gt": now}}
    if state == "published":
        return {"status": "published", "published_at": {"$lte": now}}
    raise Invalid("unknown state %r" % state)



async def first_free_slug(posts: Scoped, type: str, base: str) -> str:
    """``base`` if no post of that type has it in this site's ``posts``, else ``base-2``, ``base-3``..."""
    candidate, n = base, 1
    while await posts.find_one({"type": type, "slug": candidate}, {"_id": 1}):
        n += 1
        candidate = "%s-%d" % (base[:75], n)
    return candidate

class Posts:
    def __init__(self, db, site_id: Any) -> None:
        self._db, self._site_id = db, site_id
        self._posts = Scoped(db.posts, site_id)

    @functools.cached_property
    def _media(self) -> Media:
        """Only saving needs it (to resolve images): made then, not for every reader page."""
        return Media(self._db, self._site_id)

    @functools.cached_property
    def _saver(self) -> Saver:
        return Saver(self._db, self._site_id)

    # --- media: responsive body images, the featured image, usage ------------------

    async def _with_media(self, html: str, featured: Mapping[str, Any] | None) -> tuple[str, dict | None, list[str]]:
        """(html, featured_image, media_ids) for a post being saved.

        ``<img>`` tags pointing at this site's ``/media/`` files get srcset/sizes
        (cms/images/markup.py). ``featured`` is ``{"url" or "media_id", "alt",
        "caption"}``; it must name an item of this site's library, and is stored
        as `image_of` describes it. ``media_ids`` lists every item the post shows.
        """
        urls = media_urls(html)
        wanted = dict(featured or {})
        featured_url = str(wanted.get("url") or "").strip()
        items = await self._media.by_urls(urls + ([featured_url] if featured_url else []))
        html = responsive(html, {url: image_of(items[url]) for url in urls if url in items})
        image = None
        if featured_url or wanted.get("media_id"):
            item = items.get(featured_url) if featured_url else await self._media.get(wanted.get("media_id"))
            if item is None:
                raise Invalid("the featured image must be an image of this site's media library")
            alt = " ".join(str(wanted.get("alt") or "").split())[:300] or item.get("alt", "")
            image = image_of(item, alt=alt, caption=" ".join(str(wanted.get("caption") or "").split())[:500])
        ids: list[str] = []
        for item_id in [items[url]["_id"] for url in urls if url in items] + ([image["media_id"]] if image else []):
            if item_id not in ids:
                ids.append(item_id)
        return html, image, ids

    async def featured_preview(self, featured: Mapping[str, Any] | None) -> dict | None:
        """The featured image a save of ``featured`` would store, for the live preview.

        Raises `Invalid` with Save's own reason when it names no image of this
        site's library, so the preview never shows what Save would refuse.
        """
        _, image, _ = await self._with_media("", featured)
        return image
    # --- end media ---------------------------------------------------------------------

    # --- writing ---------------------------------------------------------------

    async def create(
        self,
        *,
        title: str,
        markdown: str,
        author_id: Any,
        type: str = "post",
        slug: str | None = None,
        tags: Iterable[str] = (),
        status: str = "published",
        published_at: dt.datetime | None = None,
        custom_excerpt: str | None = None,
        featured_image: Mapping[str, Any] | None = None,
        editor_id: Any = None,
        post_id: str | None = None,
        comments_closed: bool = False,
    ) -> dict:
        """Store a new post as version 1, with its first revision (``editor_id``: who saved it).

        ``post_id`` is the id the new-post form was given when it was opened:
        the same form sent again (its client never heard that the first one
        was saved) is that post, done, not a second post (`_sent_again`).
        """
        if type not in TYPES:
            raise Invalid("unknown type %r" % type)
        title, markdown, custom_excerpt, tags = written(title, markdown, custom_excerpt, tags)
        given_id = post_id is not None
        if given_id and not _ID.fullmatch(str(post_id)):
            raise Invalid(BAD_FORM)
        title = self._checked_title(title, markdown, status)
        chosen = bool(slug)
        editor_id = editor_id or author_id
        sent = {"type": type, "title": title, "markdown": markdown, "tags": clean_tags(tags)[0],
                "custom_excerpt": custom_excerpt or "", "status": status, "author_id": author_id,
                "updated_by": editor_id, **({"slug": slug} if chosen else {})}
        if given_id and (earlier := await self.get(post_id)) is not None:
            return await self._sent_again(earlier, sent)
        post_id = post_id or new_id()
        if slug:
            await self._check_slug(type, slug)
        else:
            slug = await self._free_slug(type, slug_of_title(title, post_id, type))
        # Off the event loop; one person's renders take turns (cms/render_pool.py).
        rendered = await render_pool.render(markdown, custom_excerpt, (self._site_id, editor_id))
        html, featured, media_ids = await self._with_media(rendered.html, featured_image)
        now = utcnow()
        post = {
            "_id": post_id,
            "type": type,
            **self._content(title, slug, markdown, custom_excerpt, tags, rendered, html, featured, media_ids),
            "author_id": author_id,
            "status": status,
            "published_at": (published_at or now) if status == "published" else published_at,
            "created_at": now,
            "updated_at": now,
            "updated_by": editor_id,
            "version": 1,
            "save_id": new_id(),
            **({"comments_closed": True} if comments_closed else {}),  # closed by hand (cms/store/comments.py)
        }
        for _ in range(SLUG_TRIES):
            try:
                saved = await self._saver.insert(post)
            except pymongo.errors.DuplicateKeyError:
                if given_id and (earlier := await self.get(post_id)) is not None:
                    return await self._sent_again(earlier, sent)  # the same form, twice at one moment
                if await self._posts.find_one({"type": type, "slug": post["slug"]}, {"_id": 1}) is None:
                    # Not the slug: the id, which another site's post has. Its revision goes too.
                    await self._saver.revisions.forget(post)
                    raise Invalid(BAD_FORM) from None
                if chosen:
                    await self._saver.revisions.forget(post)  # the revision of a post that never was
                    raise Duplicate("the slug %r is already used by another %s of this site" % (slug, type)) from None
                # Another new post took the free slug first (same title, same moment): the next one.
                post["slug"] = await self._free_slug(type, slug_of_title(title, post["_id"], type))
            else:
                await events.post_published(self._db, self._site_id, saved)  # live readers (cms.live)
                await subscribers.post_published(self._db, self._site_id, saved)  # e-mail subscribers
                return saved
        await self._saver.revisions.forget(post)
        raise Duplicate("no free slug for %r: give this %s a slug of its own" % (title, type))

    async def _sent_again(self, earlier: dict, sent: dict) -> dict:
        """A new-post form whose post exists: the same words from the same person is that
        save, done (its remaining steps run again); anything else is a conflict."""
        await self._saver.revisions.settle(earlier)
        if earlier["version"] == 1 and all(earlier.get(field) == value for field, value in sent.items()):
            await self._saver.finish(earlier)
            return earlier
        raise Conflict("someone else saved this %s (version %d) after you opened version 0"
                       % (earlier["type"], earlier["version"]), earlier)

    async def update(
        self,
        post_id: Any,
        expected_version: int,
        *,
        title: str,
        markdown: str,
        slug: str | None = None,
        tags: Iterable[str] = (),
        status: str = "draft",
        published_at: dt.datetime | None = None,
        custom_excerpt: str | None = None,
        editor_id: Any = None,
        featured_image: Mapping[str, Any] | None = KEEP,
        author_id: Any = None,
        comments_closed: bool | None = None,
        review_note: dict | None = None,
    ) -> dict:
        """Save a new version of a post; refuse it if ``expected_version`` is stale.

        The version check and the write are one atomic replace with
        ``{"version": expected_version}`` in the filter, so of two people who
        loaded version 3, only the first to save wins; the second gets
        `Conflict` carrying what is stored now. The save is one step with its
        revision and the change counter (cms/store/saving.py); the same save
        sent again is answered as done (`_not_saved`). ``author_id`` (None: keep the
        author) is stored as given: the caller checks it names a member. (A replace rather than
        ``$set``: the embedded nx-27017 stores datetimes written by ``$set`` as
        strings; tests/http/test_admin_revisions.py pins that gap down.)
        """
        current = await self.get(post_id)
        if current is None:
            raise NotFound("no such post")
        title, markdown, custom_excerpt, tags = written(title, markdown, custom_excerpt, tags)
        title = self._checked_title(title, markdown, status)
        kind = current["type"]
        if slug:
            await self._check_slug(kind, slug, except_id=post_id)
        else:
            slug = current["slug"]
        # Off the event loop; one person's renders take turns (cms/render_pool.py).
        rendered = await render_pool.render(markdown, custom_excerpt, (self._site_id, editor_id))
        if featured_image is KEEP:
            kept = current.get("featured_image")
            html, _, media_ids = await self._with_media(rendered.html, None)
            if kept and kept.get("media_id") not in media_ids:
                media_ids.append(kept["media_id"])
        else:
            html, kept, media_ids = await self._with_media(rendered.html, featured_image)
        now = utcnow()
        if status == "published":
            published_at = published_at or current.get("published_at") or now
        fields = {
            **self._content(title, slug, markdown, custom_excerpt, tags, rendered, html, kept, media_ids),
            "status": status,
            "published_at": published_at,
            "updated_at": now,
            "updated_by": editor_id,
        }
        if status != "published" and state_of(current, now) == "published":
            # Unpublished: its date is remembered, so publishing it again keeps it (issue 16.5).
            fields["was_published_at"] = current["published_at"]
        if author_id is not None:
            fields["author_id"] = author_id
        if comments_closed is not None:  # None: as it was (cms/store/comments.py reads it)
            fields["comments_closed"] = bool(comments_closed)
        if review_note is not None or status == "pending":
            # An editor's note when sending it back ({"text", "by", "at"}); submitted again, it is answered.
            fields["review_note"] = review_note or None
        replacement = {**current, **fields, "version": int(expected_version) + 1, "save_id": new_id()}
        if current["version"] == int(expected_version):
            # A save that crashed before its revision matched (or older code) is mended first.
            await self._saver.revisions.settle(current)
            try:
                saved = await self._saver.replace(replacement, int(expected_version), was_shown=shown(current),
                                                  structure=structural(current, replacement))
            except pymongo.errors.DuplicateKeyError:
                raise Duplicate("the slug %r is already used by another %s of this site" % (slug, kind)) from None
            if saved is not None:
                await self._keep_old_address(current, saved)
                if not shown(current):  # newly published (or scheduled): live readers (cms.live)
                    await events.post_published(self._db, self._site_id, saved)
                    await subscribers.post_published(self._db, self._site_id, saved)  # e-mail subscribers
                return saved
        return await self._not_saved(post_id, replacement, int(expected_version))

    async def _keep_old_address(self, before: dict, after: dict) -> None:
        """A published post or page whose slug changed: its old address leads to the new
        one (cms/store/redirects.py). A draft's address was never public: nothing to keep."""
        if before["slug"] == after["slug"] or not shown(before):
            return
        prefix = "/posts/" if before["type"] == "post" else "/"
        await Redirects(self._db, self._site_id).moved(prefix + before["slug"], prefix + after["slug"], source="slug")

    async def _not_saved(self, post_id: Any, replacement: dict, expected_version: int) -> dict:
        """The stored post moved past ``expected_version``: this very save done before, or a conflict.

        A client that sent a save and never heard back (the database died
        after the post write) sends it again; the same base version and the
        same content from the same person is that save, done: its remaining
        steps run again and it is answered as done.
        """
        latest = await self.get(post_id)
        if latest is None:
            raise NotFound("no such post")
        if latest["version"] == expected_version + 1 and all(
            latest.get(field) == replacement.get(field) for field in SAME_SAVE
        ):
            await self._saver.finish(latest)
            return latest
        # A save that lost a race may have written its revision over the winner's.
        await self._saver.revisions.settle(latest)
        raise Conflict(
            "someone else saved this %s (version %d) after you opened version %d"
            % (latest["type"], latest["version"], expected_version),
            latest,
        )

    async def get(self, post_id: Any, type: str | None = None) -> dict | None:
        """Any post or page of this site by id, whatever its status (admin side), but not
        one in the Trash (cms/store/trash.py): nothing edits or shows it there."""
        if not isinstance(post_id, str):
            return None
        filter: dict[str, Any] = {"_id": post_id, "status": {"$ne": "trashed"}}
        if type:
            filter["type"] = type
        return await self._posts.find_one(filter)

    async def admin_list(
        self,
        type: str = "post",
        *,
        state: str | None = None,
        tag: str | None = None,
        author_id: Any = None,
        query: str | None = None,
        number: int = 1,
        per_page: int = 20,
    ) -> Page:
        """Every post of the site (not the Trash's), newest change first, filtered as the admin asks."""
        filter: dict[str, Any] = {"type": type, "status": {"$ne": "trashed"}}
        if state:
            filter.update(state_filter(state))
        if tag:
            filter["tag_slugs"] = tag
        if author_id is not None:
            filter["author_id"] = author_id
        if query and query.strip():
            filter["title"] = {"$regex": re.escape(query.strip()[:100]), "$options": "i"}
        total = await self._posts.count_documents(filter)
        cursor = (
            self._posts.find(filter, {"markdown": 0, "toc": 0, "html": 0})
            .sort([("updated_at", -1), ("_id", -1)])
            .skip((number - 1) * per_page)
            .limit(per_page)
        )
        return Page([post async for post in cursor], number, per_page, total)

    async def state_counts(self, type: str = "post") -> dict[str, int]:
        now = utcnow()
        return {state: await self._posts.count_documents({"type": type, **state_filter(state, now)}) for state in STATES}

    async def upcoming(self, limit: int = 5) -> list[dict]:
        """Scheduled posts, soonest first."""
        cursor = self._posts.find({"type": "post", **state_filter("scheduled")}, {"html": 0, "toc": 0})
        return [p async for p in cursor.sort("published_at", 1).limit(limit)]

    # --- tags (admin side: every post of the site, whatever its state) -------------

    async def all_tags(self) -> list[dict]:
        """Each tag of the site's posts: ``{"slug", "name", "count"}``, by name."""
        counts: dict[str, dict] = {}
        async for post in self._posts.find({"type": "post", "status": {"$ne": "trashed"}}, {"tags": 1, "tag_slugs": 1}):
            for name, slug in zip(post.get("tags", []), post.get("tag_slugs", [])):
                entry = counts.setdefault(slug, {"slug": slug, "name": name, "count": 0})
                entry["count"] += 1
        return sorted(counts.values(), key=lambda t: (t["name"].lower(), t["slug"]))

    async def retag(self, from_slugs: Iterable[str], to_name: str | None, editor_id: Any = None) -> list[dict]:
        """Rename or merge tags (``to_name``), or delete them (None), on every post of the site.

        Each post keeps ``tags`` and ``tag_slugs`` in step and gets a new
        version, written with its revision by the same version-checked save
        as an edit (retried if someone saves in between), so an editor who had
        the post open sees a conflict instead of silently undoing the change.
        Returns the saved posts.
        """
        sources = [slug for slug in dict.fromkeys(from_slugs) if slug]
        if not sources:
            raise Invalid("pick the tags to change")
        if to_name is not None:
            to_name = " ".join(to_name.split())[:50]
            if not slugify(to_name, 50):
                raise Invalid("the new tag name needs a letter or a digit")
        saved: list[dict] = []
        touched: set[str] = set()  # the sources some post really had
        cursor = self._posts.find({"tag_slugs": {"$in": sources}}, {"_id": 1})
        for post_id in [post["_id"] async for post in cursor]:
            for _ in range(5):
                current = await self.get(post_id)
                if current is None or not set(sources) & set(current.get("tag_slugs", [])):
                    break
                touched.update(set(sources) & set(current["tag_slugs"]))
                names = []
                for name, slug in zip(current["tags"], current["tag_slugs"]):
                    if slug not in sources:
                        names.append(name)
                    elif to_name is not None:
                        names.append(to_name)
                names, slugs = clean_tags(names, merge=True)
                replacement = {**current, "tags": names, "tag_slugs": slugs, "updated_at": utcnow(),
                               "updated_by": editor_id, "version": current["version"] + 1, "save_id": new_id()}
                await self._saver.revisions.settle(current)
                done = await self._saver.replace(replacement, current["version"], was_shown=shown(current))
                if done is not None:
                    saved.append(done)
                    break
        if to_name is not None:
            # Links to the old tags' pages lead to the new one (a deleted tag just goes).
            redirects = Redirects(self._db, self._site_id)
            for slug in [slug for slug in sources if slug in touched]:
                await redirects.moved("/tags/" + slug, "/tags/" + slugify(to_name, 50), source="tag")
        return saved

    @staticmethod
    def _checked_title(title: str, markdown: str, status: str) -> str:
        """The title, whitespace folded; `Invalid` for what no post may be saved with."""
        if status not in STATUSES:
            raise Invalid("unknown status %r" % status)
        title = " ".join((title or "").split())
        if not title:
            raise Invalid("a title is required")
        if len(title) > MAX_TITLE:
            raise Invalid("the title is too long: at most %d characters" % MAX_TITLE)
        if not (markdown or "").strip():
            raise Invalid("the body is empty")
        return title

    async def _check_slug(self, type: str, slug: str, except_id: Any = None) -> None:
        if not is_slug(slug):
            raise Invalid("invalid slug %r: use lowercase letters, digits and inner hyphens" % slug)
        filter: dict[str, Any] = {"type": type, "slug": slug}
        if except_id is not None:
            filter["_id"] = {"$ne": except_id}
        if await self._posts.find_one(filter, {"_id": 1}):
            raise Duplicate("the slug %r is already used by another %s of this site" % (slug, type))

    @staticmethod
    def _content(
        title: str, slug: str, markdown: str, custom_excerpt: str | None, tags: Iterable[str],
        rendered: Any, html: str, featured: dict | None, media_ids: list[str],
    ) -> dict[str, Any]:
        """The fields a save derives from what the author wrote (the same for create and update)."""
        names, tag_slugs = clean_tags(tags)
        return {
            "slug": slug,
            "title": title,
            "markdown": markdown,
            "html": html,
            "toc": rendered.toc,
            "excerpt": rendered.excerpt,
            "custom_excerpt": custom_excerpt or "",
            "reading_minutes": rendered.reading_minutes,
            "words": rendered.words,
            "tags": names,
            "tag_slugs": tag_slugs,
            "featured_image": featured,
            "media_ids": media_ids,
        }

    async def free_slug(self, type: str, base: str) -> str:
        """``base`` if no post of that type has it here, else the first free ``base-2``, ``base-3``..."""
        return await self._free_slug(type, base)

    async def _free_slug(self, type: str, base: str) -> str:
        return await first_free_slug(self._posts, type, base)

    # --- reading (reader side: visible documents only) ---------------------------

    @staticmethod
    def visible(type: str = "post", now: dt.datetime | None = None, **extra: Any) -> dict:
        return {"type": type, "status": "published", "published_at": {"$lte": now or utcnow()}, **extra}

    # Reader queries never filter on ``published_at`` in the database: the
    # embedded server then scans the whole platform (see cms/store/listing.py).
    # They ask for published documents through an index and leave out, by the
    # clock, the scheduled ones -- which lead a newest-first order, so the
    # site's `Listing` says how many to skip.

    known_counter: int | None = None  # the site's change counter, when the caller knows it

    def counter_is(self, counter: int) -> None:
        """The site's change counter, as read before anything about to be shown: the
        listing used from now on is at least that recent."""
        self.known_counter = counter
        self.__dict__.pop("_listing", None)

    async def listing(self) -> Listing:
        """The site's published posts in brief, read once per change (cms/store/listing.py)."""
        listing = self.__dict__.get("_listing")  # once per request: this store lives for one
        if listing is None:
            listing = self._listing = await LISTINGS.get(self._db, self._posts, self._site_id, self.known_counter)
        return listing

    async def _newest(self, extra: dict, skip: int, limit: int, ahead: int, projection: Any = None,
                      type: str = "post") -> list[dict]:
        now = utcnow()
        cursor = (
            self._posts.find({"type": type, "status": "published", **extra}, projection)
            .sort([("published_at", -1), ("_id", -1)])
            .skip(ahead + skip)
            .limit(limit)
        )
        return [post async for post in cursor if post["published_at"] <= now]

    async def published(
        self, number: int = 1, per_page: int = 10, tag: str | None = None, author_id: Any = None
    ) -> Page:
        extra: dict[str, Any] = {}
        if tag:
            extra["tag_slugs"] = tag
        if author_id is not None:
            extra["author_id"] = author_id
        listing, now = await self.listing(), utcnow()
        items = await self._newest(extra, (number - 1) * per_page, per_page,
                                   listing.ahead(tag, author_id, now), {"markdown": 0, "toc": 0})
        return Page(items, number, per_page, listing.count(tag, author_id, now))

    async def next_publication(self) -> dt.datetime | None:
        """When the next scheduled post or page goes live (what reader pages show changes then)."""
        return (await self.listing()).next_publication

    async def recent(self, limit: int = 20, type: str = "post") -> list[dict]:
        return await self._newest({}, 0, limit, (await self.listing()).ahead(type=type), type=type)

    async def all_visible(self, type: str) -> list[dict]:
        return (await self.listing()).visible(type)

    async def get_visible(self, type: str, slug: str) -> dict | None:
        post = await self._posts.find_one({"type": type, "slug": slug})
        visible = post is not None and post.get("status") == "published" and post["published_at"] <= utcnow()
        return post if visible else None

    async def neighbours(self, post: dict) -> tuple[dict | None, dict | None]:
        """The visible posts just before (older) and after (newer) this one."""
        return (await self.listing()).neighbours(post)

    async def tag_name(self, tag_slug: str) -> str | None:
        return (await self.listing()).tag_name(tag_slug)

    async def tag_counts(self) -> list[dict]:
        """Each tag of visible posts: ``{"slug", "name", "count"}``, most used first."""
        return (await self.listing()).tag_counts()

    async def author_ids(self) -> list[Any]:
        return (await self.listing()).author_ids()

    async def search(self, query: str, number: int = 1, per_page: int = 10) -> Page:
        """Full-text search of visible posts, title matches ranked first.

        MongoDB's ``$text`` finds the candidates; they are ranked here rather
        than by ``{"$meta": "textScore"}`` because the embedded server cannot
        project the score. Ranking in the app gives the same order on both.
        """
        terms = search_terms(query)
        if not terms:
            return Page([], number, per_page, 0)
        filter = {"type": "post", "status": "published", "$text": {"$search": " ".join(terms)}}
        cursor = self._posts.find(filter, {"toc": 0}).limit(SEARCH_CANDIDATES)
        now = utcnow()
        candidates = [post async for post in cursor if post["published_at"] <= now]

        def score(post: dict) -> tuple:
            title = post["title"].lower()
            body = post.get("markdown", "").lower()
            in_title = sum(term in title for term in terms)
            in_body = sum(body.count(term) for term in terms)
            return (-(in_title * 10 + min(in_body, 9)), -post["published_at"].timestamp())

        candidates.sort(key=score)
        start = (number - 1) * per_page
        return Page(candidates[start : start + per_page], number, per_page, len(candidates))
