"""Tag addresses made before slugs were transliterated move, with a redirect from the old one.

Slugs used to keep only the ASCII letters left after Unicode decomposition, so
"Łódź" was /tags/odz and "Straße" /tags/strae, while tags in other scripts were
dropped (issue 14). Slugs now come from anyascii (cms/text/slugs.py): the next
save of any post would give its tags the new slug, splitting one tag across two
addresses. This step gives every stored post its tags' new slugs at once and
keeps each old address as a 301 to the new one (the site's redirects table).
Idempotent: a post whose slugs are already the new ones is left alone.
"""

from __future__ import annotations

from cms.store import Redirects, Scoped
from cms.store.posts import clean_tags
from cms.text.slugs import slugify


async def up(db) -> None:
    async for site in db.sites.find({}, {"_id": 1}):  # every site: platform-wide, as `Sites` reads it
        posts = Scoped(db.posts, site["_id"])  # each write moves the site's counter: kept pages go
        moved: dict[str, str] = {}
        # Every post, tagless ones skipped here: nx-27017 does not filter on "tags.0" or
        # {"$ne": []} (tests/http/test_embedded_database.py).
        async for post in posts.find({}, {"tags": 1, "tag_slugs": 1}):
            old = post.get("tag_slugs") or []
            if not post.get("tags"):
                continue
            names, slugs = clean_tags(post["tags"], merge=True)  # stored tags always had a slug
            if slugs == old:
                continue
            moved.update((before, slugify(name, 50)) for name, before in zip(post["tags"], old)
                         if before != slugify(name, 50))
            await posts.update_one({"_id": post["_id"]}, {"$set": {"tags": names, "tag_slugs": slugs}})
        redirects = Redirects(db, site["_id"])
        for before, after in moved.items():
            if before not in moved.values():  # an old slug that is another tag's new one stays that tag's
                await redirects.moved("/tags/" + before, "/tags/" + after, source="tag")
