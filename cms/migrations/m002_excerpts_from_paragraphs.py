"""Excerpts of posts saved before are cut from their paragraphs only.

Excerpts (list cards, meta descriptions, feed summaries) used to be the
opening words of the whole text, so headings, table cells and code ran into
one sentence (issue 14). Saves now cut them from the paragraphs
(`cms.text.excerpt`); this step does the same for every stored post without a
custom excerpt, from its stored HTML (no Markdown rendering needed), so an
upgraded site reads like a new one. Idempotent: the same HTML gives the same
excerpt, and only a differing one is written.
"""

from __future__ import annotations

from cms.store import Scoped
from cms.text.excerpt import prose
from cms.text.markdown import excerpt_of


async def up(db) -> None:
    async for site in db.sites.find({}, {"_id": 1}):  # every site: platform-wide, as `Sites` reads it
        posts = Scoped(db.posts, site["_id"])  # each write moves the site's counter: kept pages go
        async for post in posts.find({}, {"html": 1, "excerpt": 1, "custom_excerpt": 1}):
            if post.get("custom_excerpt"):
                continue  # the author's own words stay
            excerpt = excerpt_of(prose(post.get("html") or ""))
            if excerpt != post.get("excerpt"):
                await posts.update_one({"_id": post["_id"]}, {"$set": {"excerpt": excerpt}})
