"""Review: an editor publishes a post that waits in review, or sends it back with a note (issue 16.9).

A contributor's Submit for review (the editor's "pending" state, saved through
`EditorHandler`) puts a post in the queue; editors and up see it on the
dashboard and in the posts list (``?status=pending``) and are e-mailed
(cms/mail/review.py). Here they act on the version they read: publishing it
as saved, or sending it back to a draft with a note its author reads in the
editor and by e-mail. Only a post still in review, at the version shown, is
changed; anything else is refused with the reason and changes nothing.
"""

from __future__ import annotations

import logging

import tornado.web

from cms.handlers.admin import ID, AdminHandler, reader_path, remembered_date, requires
from cms.httperrors import Refusal
from cms.mail import review as review_mail
from cms.store import Conflict, StoreError
from cms.store.posts import KEEP, state_of, utcnow

log = logging.getLogger(__name__)

MAX_NOTE = 2000
ACTIONS = ("publish", "send-back")


class ReviewHandler(AdminHandler):
    """``POST /admin/(posts|pages)/<id>/review``: ``action`` publish or send-back (with ``note``)."""

    @requires("editor")
    async def post(self, kind: str, post_id: str) -> None:
        post = await self.load_post(kind, post_id)  # another site's: 404
        action = self.get_body_argument("action", "")
        if action not in ACTIONS:
            raise Refusal(400, "Choose Publish or Send back.")
        version = self.get_body_argument("version", "")
        if not version.isdigit() or len(version) > 9:
            raise Refusal(400, "This form cannot be sent: open the post again.")
        note = self.get_body_argument("note", "").strip()
        if action == "send-back" and not note:
            raise Refusal(400, "Write a note saying what to change before sending it back.")
        if len(note) > MAX_NOTE:
            raise Refusal(400, "The note is too long: at most %d characters." % MAX_NOTE)
        if state_of(post) != "pending":
            raise Refusal(409, "This %s is not in review any more (it is %s now)." % (post["type"], state_of(post)))
        if int(version) != post["version"]:
            raise Refusal(409, "Someone saved this %s since you opened it: read it again first." % post["type"])
        me = self.current_user
        common = dict(
            title=post["title"], markdown=post["markdown"], slug=post["slug"], tags=post.get("tags") or [],
            custom_excerpt=post.get("custom_excerpt") or None, featured_image=KEEP, editor_id=me["_id"],
        )
        try:
            if action == "publish":
                saved = await self.store.posts.update(post["_id"], post["version"], **common, status="published",
                                                      published_at=remembered_date(post) or utcnow())
            else:
                saved = await self.store.posts.update(
                    post["_id"], post["version"], **common, status="draft", published_at=None,
                    review_note={"text": note, "by": me["_id"], "by_name": me["name"], "at": utcnow()})
        except Conflict:
            raise Refusal(409, "Someone saved this %s since you opened it: read it again first." % post["type"]) \
                from None
        except StoreError as error:  # a render refused, a slug taken meanwhile: the author's message
            raise Refusal(422, str(error)[:300]) from None
        mail = self.application.mail
        if action == "publish":
            await review_mail.tell_published(self.db, mail, self.site, saved, me, self.absolute_url(reader_path(saved)))
            log.info("%s published %s %s from review on %s", me["_id"], saved["type"], saved["_id"], self.site["name"])
            self.redirect("/admin/%s/%s?saved=1" % (kind, saved["_id"]), status=303)
        else:
            await review_mail.tell_sent_back(self.db, mail, self.site, saved, me, note,
                                             self.absolute_url("/admin/%s/%s" % (kind, saved["_id"])))
            log.info("%s sent %s %s back on %s", me["_id"], saved["type"], saved["_id"], self.site["name"])
            self.redirect("/admin/%s?status=pending" % kind, status=303)


def review_routes() -> list[tornado.web.URLSpec]:
    return [tornado.web.URLSpec(r"/admin/(posts|pages)/%s/review" % ID, ReviewHandler, name="admin-review")]
