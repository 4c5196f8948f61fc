"""A rich site for the export tests, and a way to compare two sites by what people see of them.

The site has every kind of thing an export must carry: published posts with
tags, a custom excerpt, a featured image and an image in the body; a draft, a
scheduled post, a page; several saves (revisions) by two people; two media
items (JPEG and PNG); members of four roles; site and theme settings whose
logo is one of the site's own files; two redirects; comments (one that came with an
import, a guest's, a member's reply, a pending one) and comment settings.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from cms.images import Limits
from cms.store import Sites, SiteStore, Users
from cms.store.comments import Comments
from cms.store.imports import ImportedComments
from cms.store.media import process_upload
from cms.store.site_data import SiteData
from tests import images

MEDIA_URL = re.compile(r"/media/[0-9a-f]{24}/[0-9a-f]{32}\.(?:jpg|png|gif|webp)")


async def upload(store: SiteStore, tmp_path, name: str, data: bytes, user: dict) -> dict:
    path = tmp_path / ("upload-" + name)
    path.write_bytes(data)
    item, _ = await store.media.add(await process_upload(str(path), Limits()), name, user["_id"])
    return item


async def rich_site(world, tmp_path, name: str = "rich") -> dict[str, Any]:
    """The site ``name`` with its people, posts and media; returns what a test needs of it."""
    store = await world.site(name, title="Rich Site", tagline="All of it", timezone="Europe/Paris")
    owner = await world.member(store, "owner", email="owner-%s@example.com" % name, name="Olga Owner",
                               username="olga-%s" % name, bio="Runs the place.")
    editor = await world.member(store, "editor", email="editor-%s@example.com" % name, name="Ed Itor")
    author = await world.member(store, "author", email="author-%s@example.com" % name, name="Au Thor")
    await world.member(store, "contributor", email="contrib-%s@example.com" % name, name="Con Tributor")
    photo = await upload(store, tmp_path, "Harbour at dawn.jpg", images.jpeg(900, 600, "navy"), author)
    await store.media.set_alt(photo["_id"], "Boats in a grey harbour")
    logo = await upload(store, tmp_path, "logo.png", images.png_transparent(400, 200), owner)
    body_url = photo["files"][0]["url"]

    first = await store.posts.create(
        title="Harbour notes", markdown="Morning light.\n\n![Boats](%s)\n\nMore **text** here." % body_url,
        author_id=author["_id"], tags=["Travel", "Boats"], custom_excerpt="A morning at the harbour.",
        featured_image={"media_id": photo["_id"], "alt": "The harbour", "caption": "At dawn"},
        published_at=dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.timezone.utc))
    second = await store.posts.update(
        first["_id"], first["version"], title="Harbour notes", markdown=first["markdown"] + "\n\nAn edit.",
        tags=["Travel", "Boats", "Sea"], status="published", published_at=first["published_at"],
        custom_excerpt="A morning at the harbour.", editor_id=editor["_id"])
    await store.posts.update(
        first["_id"], second["version"], title="Harbour notes, revised", markdown=second["markdown"] + " Again.",
        tags=["Travel", "Sea"], status="published", published_at=first["published_at"],
        custom_excerpt="A morning at the harbour.", editor_id=author["_id"])
    await store.posts.create(title="Half written", markdown="Not yet *ready*.", author_id=author["_id"],
                             status="draft", tags=["Ideas"])
    await store.posts.create(title="Next week", markdown="Coming soon.", author_id=editor["_id"],
                             published_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=7))
    await store.posts.create(title="About us", markdown="# Who\n\nWe write.", author_id=owner["_id"],
                             type="page", slug="about")
    # A comment that came with a WordPress import (kept raw and in the comments), and readers' own.
    imported = {"source_id": "41", "parent_source_id": None, "author": "A Reader", "email": "reader@example.net",
                "url": "", "created": dt.datetime(2024, 5, 2, 9, 0, tzinfo=dt.timezone.utc), "html": "<p>Lovely!</p>",
                "type": "comment"}
    await ImportedComments(world.db, store.site_id).add("wordpress", first["_id"], imported)
    comments = Comments(world.db, store.site_id)
    await comments.import_approved(first["_id"], "wordpress", [imported])
    harbour = await store.posts.get(first["_id"])
    top = await comments.add(harbour, "Great *photos*.", status="approved", name="Guest Gil",
                             email="gil@example.net", website="https://gil.example.net")
    await comments.add(harbour, "Thank you!", status="approved", parent_id=top["_id"], user=owner)
    await comments.add(harbour, "Buy cheap watches", status="pending", name="Spammy", email="s@example.net")
    await Sites(world.db).set_comment_settings(store.site_id, {"mode": "open", "close_after_days": 30})
    await store.redirects.add("/2019/05/old-harbour/", "/posts/harbour-notes")
    await store.redirects.add("/about-us", "/about", code=302)
    await Sites(world.db).update_theme(store.site_id, "magazine", {
        "accent_color": "#123456", "logo": logo["files"][0]["url"], "posts_per_page": 5,
        "navigation": [{"label": "About", "url": "/about"}]})
    return {"store": store, "owner": owner, "editor": editor, "author": author, "photo": photo, "logo": logo}


async def media_names(db, site_id: Any) -> dict[str, tuple]:
    """URL -> (file name of its item, format, width): what a media URL shows, whatever its ids."""
    names: dict[str, tuple] = {}
    async for item in SiteData(db, site_id).media_items():
        for f in item["files"]:
            names[f["url"]] = (item["filename"], f["format"], f["width"])
    return names


def _ms(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).replace(microsecond=value.microsecond // 1000 * 1000)
    return value


async def snapshot(db, site_name: str) -> dict[str, Any]:
    """What a site holds, by slug and e-mail rather than by id, with media URLs named by their files."""
    site = await Sites(db).by_name(site_name)
    data = SiteData(db, site["_id"])
    names = await media_names(db, site["_id"])
    emails = {u["_id"]: u["email"] async for u in db.users.find({}, {"email": 1})}

    def url(text: Any) -> Any:
        if isinstance(text, str):
            return MEDIA_URL.sub(lambda m: "<%s %s %s>" % names.get(m.group(0), ("?", "?", "?")), text)
        if isinstance(text, list):
            return [url(v) for v in text]
        if isinstance(text, dict):
            return {k: url(v) for k, v in text.items()}
        return text

    posts, ids = {}, {}
    async for post in data.posts():
        ids[post["_id"]] = (post["type"], post["slug"])
        featured = post.get("featured_image")
        posts[(post["type"], post["slug"])] = {
            **{f: url(_ms(post.get(f))) for f in (
                "title", "markdown", "html", "excerpt", "custom_excerpt", "tags", "tag_slugs", "status",
                "published_at", "created_at", "updated_at", "version", "words", "reading_minutes")},
            "author": emails.get(post["author_id"]), "updated_by": emails.get(post.get("updated_by")),
            "featured_image": url({k: featured[k] for k in ("url", "alt", "caption", "width", "height")})
            if featured else None,
        }
    revisions = sorted([
        (ids[r["post_id"]], r["version"], r["title"], url(r["markdown"]), r.get("tags"), r.get("status"),
         _ms(r.get("published_at")), _ms(r.get("saved_at")), emails.get(r.get("saved_by")))
        async for r in data.revisions() if r["post_id"] in ids])
    media = sorted([(item["filename"], item["alt"], item["format"], item["width"], item["height"],
                    len(item["files"]), _ms(item["created_at"]), emails.get(item["uploaded_by"]))
                   async for item in data.media_items()])
    imported = sorted([(ids[c["post_id"]], c["source"], c["source_id"], c["author"], c["email"], c["html"],
                        _ms(c["created"])) async for c in data.imported_comments()])
    store = SiteStore(db, site)
    texts = {c["_id"]: c["text"] async for c in store.comments.all()}
    comments = sorted([(ids[c["post_id"]], texts.get(c.get("parent")), c["name"], c["email"], c["website"],
                        emails.get(c.get("user_id")), c["text"], c["html"], c["status"], _ms(c["created"]),
                        c.get("source"), c.get("source_id")) async for c in store.comments.all()], key=repr)
    redirects = sorted([(r["from"], r["to"], r["code"], r["source"]) async for r in data.redirects()])
    members = sorted((emails[m["user_id"]], m["role"]) for m in await data.memberships())
    return {
        "settings": url({k: site.get(k) for k in ("title", "tagline", "timezone", "language", "theme",
                                                  "theme_settings", "comments")}),
        "posts": posts, "revisions": revisions, "media": media, "members": members, "redirects": redirects,
        "comments": comments, "imported_comments": imported,
        "tags": await store.posts.all_tags(),
    }


async def new_site(db, name: str, owner_email: str, password: str) -> SiteStore:
    """An empty site whose owner is the account ``owner_email`` (made if missing)."""
    users = Users(db)
    owner = await users.by_email(owner_email) or await users.create(owner_email, password)
    store = SiteStore(db, await Sites(db).create(name))
    await store.members.add(owner["_id"], "owner")
    return store
