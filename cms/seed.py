"""The demo site created on the very first start: a site, two authors, posts, a page.

The content is in ``seed_content/``: each file starts with ``key: value`` lines
(title, slug, tags, author, days_ago, type), a blank line, then Markdown.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cms.store import Sites, SiteStore, Users
from cms.store.platform import Platform
from cms.store.users import generate_password

CONTENT = Path(__file__).parent / "seed_content"
DEMO_SITE = "demo"
AUTHORS = {
    "owner": {"email": "owner@example.com", "name": "Maya Okafor", "username": "maya",
              "bio": "Editor of this demo site. Writes about writing."},
    "tomas": {"email": "tomas@example.com", "name": "Tomás Reyes", "username": "tomas",
              "bio": "Programmer and occasional essayist."},
}


def parse(path: Path) -> tuple[dict, str]:
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    meta = dict(line.split(": ", 1) for line in head.splitlines())
    return meta, body


async def seed_demo(db) -> dict | None:
    """Create the demo site on an empty platform; None when it has sites or people.

    Returns the site and the owner's e-mail and generated password, which the
    caller shows once.
    """
    if await Platform(db).has_content():  # never over a platform's own sites or people
        return None
    sites = Sites(db)
    site = await sites.create(DEMO_SITE, title="Demo Journal", tagline="Notes on writing, code and the web")
    store = SiteStore(db, site)
    users = Users(db)
    password = generate_password()
    people = {}
    for key, info in AUTHORS.items():
        user = await users.by_email(info["email"])
        if user is None:
            # Only the owner's password is ever shown; the other author resets theirs.
            user = await users.create(
                info["email"], password if key == "owner" else generate_password(),
                name=info["name"], username=info["username"], bio=info["bio"],
            )
        await store.members.add(user["_id"], "owner" if key == "owner" else "author")
        people[key] = user
    now = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    for path in sorted(CONTENT.glob("*.md")):
        meta, body = parse(path)
        await store.posts.create(
            title=meta["title"],
            slug=meta["slug"],
            markdown=body,
            author_id=people[meta["author"]]["_id"],
            type=meta.get("type", "post"),
            tags=[t.strip() for t in meta.get("tags", "").split(",") if t.strip()],
            published_at=now - dt.timedelta(days=int(meta.get("days_ago", 10)), hours=3),
        )
    # A menu, as a site owner would set one up (Theme settings in the admin).
    await sites.update_theme(site["_id"], site["theme"], {"navigation": [
        {"label": "About", "url": "/about"}, {"label": "Writing", "url": "/tags/writing"},
    ]})
    return {"site": site, "email": AUTHORS["owner"]["email"], "password": password}
