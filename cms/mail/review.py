"""E-mail about posts in review (issue 16.9), through the outbox like every notice.

A contributor's Submit for review tells the site's editors (editors, admins
and owners: those who may publish it); an editor's Publish or Send back tells
the post's author. Each person gets their own message, about that site only,
and only at a confirmed address; nobody is told about what they did themselves.
"""

from __future__ import annotations

import logging
from typing import Any

from cms.store import Members, Users
from cms.store.users import is_confirmed

log = logging.getLogger(__name__)

REVIEWERS = ("editor", "admin", "owner")
KIND = "review"


def _subject(site: dict, text: str) -> str:
    return "[%s] %s" % (site.get("title") or site["name"], text)


async def tell_reviewers(db: Any, mail: Any, site: dict, post: dict, by: dict, editor_url: str,
                         queue_url: str) -> int:
    """``by`` submitted ``post`` for review: tell each editor of the site; the number told."""
    told = 0
    for row in await Members(db, site["_id"]).list():
        person = row["user"]
        if row["role"] not in REVIEWERS or person["_id"] == by["_id"] or not is_confirmed(person):
            continue
        text = ("%s submitted \"%s\" for review.\n\nRead it, then publish it or send it back with a note:\n%s\n\n"
                "Everything waiting for review: %s\n" % (by["name"], post["title"], editor_url, queue_url))
        await mail.send(person["email"], _subject(site, "\u201c%s\u201d awaits review" % post["title"]), text,
                        kind=KIND, site_id=site["_id"])
        told += 1
    log.info("post %s submitted for review on %s: %d reviewer(s) told", post["_id"], site["name"], told)
    return told


async def _tell_author(db: Any, mail: Any, site: dict, post: dict, by: dict, subject: str, text: str) -> bool:
    author = await Users(db).by_id(post.get("author_id"))
    if author is None or author["_id"] == by["_id"] or not author.get("email") or not is_confirmed(author):
        return False
    await mail.send(author["email"], _subject(site, subject), text, kind=KIND, site_id=site["_id"])
    return True


async def tell_published(db: Any, mail: Any, site: dict, post: dict, by: dict, reader_url: str) -> bool:
    """An editor published the author's post that was in review."""
    text = "%s published your post \"%s\". Readers see it at:\n%s\n" % (by["name"], post["title"], reader_url)
    return await _tell_author(db, mail, site, post, by, "\u201c%s\u201d is published" % post["title"], text)


async def tell_sent_back(db: Any, mail: Any, site: dict, post: dict, by: dict, note: str, editor_url: str) -> bool:
    """An editor sent the author's post back with ``note``."""
    text = ("%s sent your post \"%s\" back to you with a note:\n\n%s\n\nChange it, then submit it for review again:\n%s\n"
            % (by["name"], post["title"], note, editor_url))
    return await _tell_author(db, mail, site, post, by, "\u201c%s\u201d was sent back to you" % post["title"], text)
