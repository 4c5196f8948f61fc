"""Code blocks of posts saved before take keyboard focus, as new saves make them.

A code block that scrolls sideways can be scrolled from the keyboard only if
it takes focus (axe-core's scrollable-region-focusable, issue 14). Saves now
add ``tabindex="0"`` to every ``<pre>`` after sanitising
(`cms.text.markdown.focusable_code`); this step does the same to the stored
HTML of every post and page, so an upgraded site reads like a new one.
Idempotent: a block that has it is left as it is, and only changed HTML is written.
"""

from __future__ import annotations

from cms.store import Scoped
from cms.text.markdown import focusable_code


async def up(db) -> None:
    async for site in db.sites.find({}, {"_id": 1}):  # every site: platform-wide, as `Sites` reads it
        posts = Scoped(db.posts, site["_id"])  # each write moves the site's counter: kept pages go
        async for post in posts.find({"html": {"$regex": "<pre"}}, {"html": 1}):
            html = focusable_code(post["html"])
            if html != post["html"]:
                await posts.update_one({"_id": post["_id"]}, {"$set": {"html": html}})
