"""The pages the outside judges look at, and the content that fills them.

Every reader page type in the three themes (the demo content in ``demo`` =
journal, ``mag`` = magazine, ``dusk``) and every admin page an owner can
open, each with something on it: a draft, a scheduled post, a revised post,
an image, a pending comment, a redirect, a post in the Trash, an invitation.
Everything is made through HTTP and the stores, as a person would, so the
judges see what people see. Works on any event loop: the HTTP tests' and a
live app's.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

from cms.store import Sites, SiteStore, Users
from tests import images
from tests.admin_session import Session, signed_in
from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import seed_themed_sites

THEMED = ("demo", "mag", "dusk")  # journal, magazine, dusk
ADMIN_SITE = "demo"
OWNER_EMAIL = "owner@example.com"  # cms.seed.AUTHORS["owner"]
WXR = Path(__file__).parent.parent / "fixtures" / "import" / "wordpress-6.5.xml"

READER_PAGES = {
    "home": "/",
    "post": "/posts/markdown-tour",
    "post with code": "/posts/code-highlighting",
    "tag": "/tags/writing",
    "author": "/authors/maya",
    "page": "/about",
    "search": "/search?q=markdown",
    "404": "/no-such-page",
}


@dataclasses.dataclass
class JudgedWorld:
    owner: dict
    admin_pages: dict[str, str]  # name -> path on ADMIN_SITE

    @staticmethod
    def reader_pages() -> dict[str, tuple[str, str]]:
        """name -> (site, path) for every reader page type of every theme."""
        return {"%s %s" % (site, name): (site, path) for site in THEMED for name, path in READER_PAGES.items()}


async def build(db: Any, client: Any) -> tuple[JudgedWorld, Session]:
    """Seed the themed sites and the admin's content; returns the world and the owner's signed-in session.

    ``client``: a ``tests.conftest.Client`` on the app serving ``db``."""
    await seed_themed_sites(db)
    users = Users(db)
    owner = await users.by_email(OWNER_EMAIL)
    await users.set_password(owner["_id"], TEST_PASSWORD)
    store = SiteStore(db, await Sites(db).by_name(ADMIN_SITE))
    now = dt.datetime.now(dt.timezone.utc)
    await store.posts.create(title="A draft", markdown="Not yet.", author_id=owner["_id"], status="draft")
    await store.posts.create(title="Coming soon", markdown="Later.", author_id=owner["_id"],
                             published_at=now + dt.timedelta(days=2))
    revised = await store.posts.create(title="Revised", markdown="The first words.\n\nA second paragraph.",
                                       author_id=owner["_id"])
    await store.posts.update(revised["_id"], revised["version"], title="Revised",
                             markdown="The first words, changed.\n\nA second paragraph.", status="published",
                             published_at=revised["published_at"], editor_id=owner["_id"])
    gone = await store.posts.create(title="Thrown away", markdown="Bye.", author_id=owner["_id"])
    await store.trash.trash(gone["_id"], by=owner["_id"])
    about = await store.posts.get_visible("page", "about")
    tour = await store.posts.get_visible("post", "markdown-tour")
    await store.comments.add(tour, "Lovely tour, thanks!", status="pending", name="Rita Reader",
                             email="rita@example.com")
    await store.redirects.add("/old-address", "/posts/markdown-tour")
    await store.invitations.create("new@example.com", "author", owner["_id"])

    session = await signed_in(client, ADMIN_SITE, {"email": OWNER_EMAIL})
    body, content_type = images.multipart([("harbour.jpg", images.jpeg(800, 500), "image/jpeg")])
    uploaded = await session.fetch("/admin/media", "POST", body=body, headers={
        "Content-Type": content_type, "X-XSRFToken": session.xsrf, "Accept": "application/json"})
    assert uploaded.code == 201, uploaded.body
    media = await store.media.list()
    import_job = await imported(session)
    pages = {
        "dashboard": "/admin/",
        "posts": "/admin/posts",
        "subscribers": "/admin/subscribers",
        "pages": "/admin/pages",
        "new post": "/admin/posts/new",
        "new page": "/admin/pages/new",
        "editor": "/admin/posts/%s" % tour["_id"],
        "page editor": "/admin/pages/%s" % about["_id"],
        "history": "/admin/posts/%s/history" % revised["_id"],
        "compared versions": "/admin/posts/%s/history?a=1&b=2" % revised["_id"],
        "old version": "/admin/posts/%s/history/1" % revised["_id"],
        "comments": "/admin/comments",
        "media": "/admin/media",
        "media item": "/admin/media/%s" % media.items[0]["_id"],
        "tags": "/admin/tags",
        "people": "/admin/users",
        "settings": "/admin/settings",
        "theme": "/admin/theme",
        "redirects": "/admin/redirects",
        "trash": "/admin/trash",
        "import": "/admin/import",
        "import report": "/admin/import/%s" % import_job,
        "export": "/admin/export",
        "domains": "/admin/domains",
        "account": "/admin/account",
    }
    return JudgedWorld(owner, pages), session


async def imported(session: Session, deadline: float = 60) -> str:
    """A WordPress export imported into the site (tests/fixtures/import); the job's id once it is done."""
    body, content_type = images.multipart([("export.xml", WXR.read_bytes(), "application/xml")], source="wordpress")
    started = await session.fetch("/admin/import?_xsrf=%s" % session.xsrf, "POST", body=body,
                                  headers={"Content-Type": content_type})
    assert started.code == 303, started.body[-1500:]
    job_id = started.headers["Location"].rsplit("/", 1)[1]
    until = time.monotonic() + deadline
    while True:
        job = json.loads((await session.get("/admin/import/%s.json" % job_id)).body)
        if job["status"] != "running":
            assert job["status"] == "done", job
            return job_id
        assert time.monotonic() < until, "the import did not end within %ss: %s" % (deadline, job)
        await asyncio.sleep(0.1)
