"""Running a site from the admin over HTTP: tags, settings, theme, people, ownership, deletion.

Each rule is checked as the person it concerns would meet it: the page, the
message, what readers see afterwards, and that another site is untouched.
"""

from __future__ import annotations

import datetime as dt
import re

from tornado.escape import xhtml_escape

from cms.handlers.site_admin import DONE
from cms.store import Sites, Users
from cms.store.invitations import token_hash
from tests.admin_session import Session, signed_in
from tests.conftest import TEST_PASSWORD
from tests.mail_server import link_in


def shown(text: str) -> bytes:
    return xhtml_escape(text).encode()


# --- tags -------------------------------------------------------------------------------


async def test_an_editor_renames_merges_and_deletes_tags_across_the_sites_posts(client, world, db):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    editor = await world.member(alpha, "editor")
    one = await world.post(alpha, editor, "One", tags=["Pyton", "Code"])
    two = await world.post(alpha, editor, "Two", tags=["python"], status="draft")
    three = await world.post(alpha, editor, "Three", tags=["Snakes", "Code"])
    other = await world.post(beta, await world.member(beta, "owner"), "Elsewhere", tags=["Pyton"])
    session = await signed_in(client, "alpha", editor)
    page = await session.get("/admin/tags")
    assert page.code == 200 and b'data-tag="pyton"' in page.body and b'data-tag="snakes"' in page.body

    renamed = await session.post("/admin/tags", {"action": "rename", "tag": "pyton", "name": "Python 3"})
    assert renamed.code == 303 and renamed.headers["Location"] == "/admin/tags?done=renamed"
    saved = await alpha.posts.get(one["_id"])
    assert saved["tags"] == ["Python 3", "Code"] and saved["tag_slugs"] == ["python-3", "code"]
    assert saved["version"] == one["version"] + 1
    assert isinstance(saved["published_at"], dt.datetime)  # a whole-document replace keeps real dates
    assert (await client.get("alpha", "/tags/python-3")).code == 200
    moved = await client.get("alpha", "/tags/pyton")  # the old address leads to the new tag
    assert moved.code == 301 and moved.headers["Location"] == "/tags/python-3"
    assert (await beta.posts.get(other["_id"]))["tags"] == ["Pyton"]  # another site: untouched

    merged = await session.post("/admin/tags", {"action": "merge", "tag": ["python-3", "python", "snakes"],
                                                "name": "Python"})
    assert merged.code == 303
    assert (await alpha.posts.get(one["_id"]))["tag_slugs"] == ["python", "code"]
    assert (await alpha.posts.get(two["_id"]))["tags"] == ["Python"]
    assert (await alpha.posts.get(three["_id"]))["tags"] == ["Python", "Code"]

    deleted = await session.post("/admin/tags", {"action": "delete", "tag": "code"})
    assert deleted.code == 303
    assert (await alpha.posts.get(three["_id"]))["tags"] == ["Python"]
    assert (await client.get("alpha", "/tags/code")).code == 404
    history = await alpha.revisions.list(three["_id"])
    assert history and history[0]["tags"] == ["Python"]  # each change is a revision


async def test_tag_changes_need_an_editor_and_sensible_input(client, world):
    alpha = await world.site("alpha")
    author = await world.member(alpha, "author")
    editor = await world.member(alpha, "editor")
    post = await world.post(alpha, author, "Mine", tags=["Code"])
    as_author = await signed_in(client, "alpha", author)
    assert (await as_author.get("/admin/tags")).code == 403
    assert (await as_author.post("/admin/tags", {"action": "delete", "tag": "code"})).code == 403
    assert (await alpha.posts.get(post["_id"]))["tags"] == ["Code"]
    as_editor = await signed_in(client, "alpha", editor)
    bad = await as_editor.post("/admin/tags", {"action": "merge", "tag": "code", "name": "X"})
    assert bad.code == 400 and b"at least two tags" in bad.body
    bad = await as_editor.post("/admin/tags", {"action": "rename", "tag": "code", "name": "!!!"})
    assert bad.code == 400 and b"needs a letter or a digit" in bad.body


async def test_a_tag_rename_makes_an_open_editor_see_a_conflict_instead_of_undoing_it(client, world):
    alpha = await world.site("alpha")
    editor = await world.member(alpha, "editor")
    post = await world.post(alpha, editor, "Open", tags=["Old"])
    session = await signed_in(client, "alpha", editor)
    await session.post("/admin/tags", {"action": "rename", "tag": "old", "name": "New"})
    stale = await session.post("/admin/posts/%s" % post["_id"], {
        "title": "Open", "markdown": "Body text.", "tags": "Old", "state": "published", "slug": "",
        "custom_excerpt": "", "publish_at": "", "version": str(post["version"])})
    assert stale.code == 409
    assert (await alpha.posts.get(post["_id"]))["tags"] == ["New"]


# --- settings and theme -------------------------------------------------------------------


async def test_an_admin_changes_title_tagline_time_zone_and_language_and_readers_see_it(client, world, db):
    alpha = await world.site("alpha", title="Alpha")
    admin = await world.member(alpha, "admin")
    session = await signed_in(client, "alpha", admin)
    page = await session.get("/admin/settings")
    assert page.code == 200 and b'value="Alpha"' in page.body and b"Europe/Paris" in page.body
    assert b"Delete the site" not in page.body  # the owner's part only
    saved = await session.post("/admin/settings", {"title": "Alpha Notes", "tagline": "Short and sweet",
                                                   "timezone": "Europe/Paris", "language": "fr"})
    assert saved.code == 303
    home = await client.get("alpha", "/")
    assert b"Alpha Notes" in home.body and b"Short and sweet" in home.body and b'lang="fr"' in home.body
    site = await Sites(db).by_name("alpha")
    assert site["timezone"] == "Europe/Paris"
    bad = await session.post("/admin/settings", {"title": "", "tagline": "", "timezone": "Mars/Olympus",
                                                 "language": "en"})
    assert bad.code == 400 and b"a title is required" in bad.body
    bad = await session.post("/admin/settings", {"title": "T", "tagline": "", "timezone": "Mars/Olympus",
                                                 "language": "en"})
    assert bad.code == 400 and b"unknown time zone" in bad.body
    assert (await Sites(db).by_name("alpha"))["title"] == "Alpha Notes"


async def test_site_settings_bump_the_platform_counter_so_other_processes_refresh(client, world, db, settings):
    from cms.app import make_app
    from cms.store.sites import PLATFORM

    alpha = await world.site("alpha", title="Alpha")
    admin = await world.member(alpha, "admin")
    other_process = make_app(settings, db)
    assert (await other_process.resolver.resolve("alpha.localhost"))["title"] == "Alpha"
    before = await Sites(db).changes.current(PLATFORM)
    session = await signed_in(client, "alpha", admin)
    await session.post("/admin/settings", {"title": "Renamed", "tagline": "", "timezone": "UTC", "language": "en"})
    assert await Sites(db).changes.current(PLATFORM) == before + 1
    other_process.resolver._checked_at = 0  # as if its check interval had passed
    assert (await other_process.resolver.resolve("alpha.localhost"))["title"] == "Renamed"


async def test_an_admin_switches_theme_and_sets_navigation_links(client, world, db):
    alpha = await world.site("alpha")
    admin = await world.member(alpha, "admin")
    session = await signed_in(client, "alpha", admin)
    page = await session.get("/admin/theme")
    assert page.code == 200 and b'data-theme="magazine"' in page.body and b"setting.navigation.label" in page.body
    switched = await session.post("/admin/theme", {"action": "switch", "theme": "magazine"})
    assert switched.code == 303
    assert (await Sites(db).by_name("alpha"))["theme"] == "magazine"
    saved = await session.post("/admin/theme", {
        "action": "settings", "setting.accent_color": "#112233", "setting.posts_per_page": "6",
        "setting.show_author_bios": "on", "setting.logo": "",
        "setting.navigation.label": ["About us", "", "Code"], "setting.navigation.url": ["/about", "", "/tags/code"],
    })
    assert saved.code == 303, saved.body
    site = await Sites(db).by_name("alpha")
    assert site["theme_settings"]["navigation"] == [{"label": "About us", "url": "/about"},
                                                    {"label": "Code", "url": "/tags/code"}]
    assert site["theme_settings"]["masthead_tagline"] is False  # an unticked box
    home = await client.get("alpha", "/")
    assert b'href="/about"' in home.body and b"About us" in home.body
    # The accent lives in the site stylesheet the page links (the CSP refuses inline styles).
    stylesheet = re.search(rb'<link rel="stylesheet" href="(/site\.css\?v=\w+)">', home.body).group(1).decode()
    assert b"--accent: #112233" in (await client.get("alpha", stylesheet)).body
    bad = await session.post("/admin/theme", {
        "action": "settings", "setting.accent_color": "red", "setting.posts_per_page": "6",
        "setting.navigation.label": ["Evil"], "setting.navigation.url": ["javascript:alert(1)"]})
    assert bad.code == 400 and b"is not a colour" in bad.body
    assert (await Sites(db).by_name("alpha"))["theme_settings"]["accent_color"] == "#112233"
    # Switching back keeps the settings the other theme also has.
    await session.post("/admin/theme", {"action": "switch", "theme": "journal"})
    site = await Sites(db).by_name("alpha")
    assert site["theme"] == "journal" and site["theme_settings"]["navigation"][0]["label"] == "About us"
    assert "masthead_tagline" not in site["theme_settings"]


async def test_broken_themes_are_listed_with_their_reason_and_cannot_be_chosen(client, world, db, tmp_path, settings):
    import shutil

    from cms.app import make_app
    from cms.config import THEMES_DIR
    from cms.themes import Registry

    themes = tmp_path / "themes"
    shutil.copytree(THEMES_DIR / "journal", themes / "journal")
    shutil.copytree(THEMES_DIR / "journal", themes / "cracked")
    (themes / "cracked" / "templates" / "post.html").write_text("{% if %}\n")
    registry = Registry(themes)
    alpha = await world.site("alpha")
    admin = await world.member(alpha, "admin")
    await db.sites.update_one({"_id": alpha.site_id}, {"$set": {"theme": "cracked"}})
    from tornado.httpclient import AsyncHTTPClient
    from tornado.httpserver import HTTPServer

    from cms import db as database
    from tests.conftest import Client

    server = HTTPServer(make_app(settings, db, themes=registry))
    port = database.free_port()
    server.listen(port, "127.0.0.1")
    try:
        session = await signed_in(Client(port, AsyncHTTPClient()), "alpha", admin)
        page = await session.get("/admin/theme")
        assert b'id="theme-problem"' in page.body and b"post.html" in page.body
        assert re.search(rb'value="cracked"[^>]*disabled', page.body)
        refused = await session.post("/admin/theme", {"action": "switch", "theme": "cracked"})
        assert refused.code == 400 and b"post.html" in refused.body
    finally:
        server.stop()


# --- people -----------------------------------------------------------------------------------


async def invite(session: Session, email: str, role: str) -> str:
    made = await session.post("/admin/users/invite", {"email": email, "role": role})
    assert made.code == 303, made.body
    shown = await session.get(made.headers["Location"])  # the link, shown once
    link = re.search(rb'id="invite-link" value="([^"]+)"', shown.body).group(1).decode()
    return link.split("localhost:%s" % link.split(":")[2].split("/")[0], 1)[1]


async def test_invite_accept_with_a_new_password_confirm_then_sign_in(client, world, db, mail):
    alpha = await world.site("alpha", title="Alpha")
    admin = await world.member(alpha, "admin")
    session = await signed_in(client, "alpha", admin)
    path = await invite(session, "Newcomer@Example.com", "editor")
    token = path.split("token=")[1]
    stored = await db.invitations.find_one({})
    assert stored["token_hash"] == token_hash(token) and token not in repr(stored)
    assert stored["email"] == "newcomer@example.com" and stored["role"] == "editor"
    assert stored["expires_at"] > dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=6)
    listed = await session.get("/admin/users")
    assert b"newcomer@example.com" in listed.body and token.encode() not in listed.body  # shown once

    invitee = Session(client, "alpha")
    page = await invitee.get(path)
    assert page.code == 200 and b"Join Alpha" in page.body and b"editor" in page.body
    weak = await invitee.post("/invitation", {"token": token, "name": "New Comer", "password": "short"})
    assert weak.code == 400 and b"10 to 72 characters" in weak.body
    long = await invitee.post("/invitation", {"token": token, "name": "New Comer", "password": "long enough " * 7})
    assert long.code == 400 and b"10 to 72 characters" in long.body
    sent = await invitee.post("/invitation", {"token": token, "name": "New Comer", "password": TEST_PASSWORD})
    assert sent.code == 200 and b"Check your e-mail" in sent.body and "cms_session" not in invitee.cookies
    # The invitation itself went to the invitee by e-mail; then the confirmation link.
    assert link_in(await mail.wait_for("newcomer@example.com")).endswith(path)
    confirm = link_in(await mail.wait_for("newcomer@example.com", count=2)).split(":%d" % client.port, 1)[1]
    joined = await invitee.post(confirm, {"password": TEST_PASSWORD})
    assert joined.code == 303 and joined.headers["Location"] == "/admin/"
    dashboard = await invitee.get("/admin/")
    assert dashboard.code == 200 and b"New Comer" in dashboard.body and b"Tags" in dashboard.body
    again = await Session(client, "alpha").get(path)
    assert again.code == 404 and b"not valid" in again.body  # a link works once
    fresh = Session(client, "alpha")
    assert (await fresh.login("newcomer@example.com")).code == 303


async def test_an_existing_account_accepts_with_its_own_password_and_an_expired_link_says_so(client, world, db):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    admin = await world.member(alpha, "admin")
    elsewhere = await world.member(beta, "owner", email="known@example.com")
    token, _ = await alpha.invitations.create("known@example.com", "author", admin["_id"])
    invitee = Session(client, "alpha")
    page = await invitee.get("/invitation?token=" + token)
    assert b"already have an account" in page.body and b"beta" not in page.body
    wrong = await invitee.post("/invitation", {"token": token, "password": "not the password"})
    assert wrong.code == 200 and b"Check your e-mail" in wrong.body  # the same answer as a new account's
    assert await alpha.members.role_of(elsewhere["_id"]) is None
    ok = await invitee.post("/invitation", {"token": token, "password": TEST_PASSWORD, "name": "Ignored"})
    assert ok.code == 303
    assert await alpha.members.role_of(elsewhere["_id"]) == "author"
    assert (await Users(db).by_id(elsewhere["_id"]))["name"] == elsewhere["name"]

    expired, _ = await alpha.invitations.create("late@example.com", "author", admin["_id"], days=-1)
    late = Session(client, "alpha")
    page = await late.get("/invitation?token=" + expired)
    assert page.code == 410 and b"has expired" in page.body
    refused = await late.post("/invitation", {"token": expired, "name": "Late", "password": TEST_PASSWORD})
    assert refused.code == 410 and await Users(db).by_email("late@example.com") is None
    # A link of one site means nothing on another.
    other, _ = await beta.invitations.create("x@example.com", "author", elsewhere["_id"])
    assert (await Session(client, "alpha").get("/invitation?token=" + other)).code == 404


async def test_admins_change_roles_and_remove_members_but_never_grant_or_touch_owner(client, world, db):
    alpha = await world.site("alpha")
    owner = await world.member(alpha, "owner")
    admin = await world.member(alpha, "admin")
    author = await world.member(alpha, "author")
    session = await signed_in(client, "alpha", admin)
    page = await session.get("/admin/users")
    assert page.code == 200 and owner["email"].encode() in page.body
    assert b'<option value="owner"' not in page.body

    assert (await session.post("/admin/users/%s/role" % author["_id"], {"role": "editor"})).code == 303
    assert await alpha.members.role_of(author["_id"]) == "editor"
    assert (await session.post("/admin/users/%s/role" % author["_id"], {"role": "owner"})).code == 403
    assert (await session.post("/admin/users/invite", {"email": "boss@example.com", "role": "owner"})).code == 403
    assert (await session.post("/admin/users/%s/role" % owner["_id"], {"role": "author"})).code == 403
    assert (await session.post("/admin/users/%s/remove" % owner["_id"])).code == 403
    assert await alpha.members.role_of(owner["_id"]) == "owner"
    assert await db.invitations.count_documents({}) == 0

    assert (await session.post("/admin/users/%s/remove" % author["_id"])).code == 303
    assert await alpha.members.role_of(author["_id"]) is None
    removed = Session(client, "alpha")
    await removed.login(author["email"])
    assert (await removed.get("/admin/")).code == 302  # no longer a member


async def test_the_last_owner_can_be_neither_demoted_nor_removed(client, world):
    alpha = await world.site("alpha")
    owner = await world.member(alpha, "owner")
    session = await signed_in(client, "alpha", owner)
    demote = await session.post("/admin/users/%s/role" % owner["_id"], {"role": "admin"})
    assert demote.code == 400 and b"only owner cannot be demoted" in demote.body
    remove = await session.post("/admin/users/%s/remove" % owner["_id"])
    assert remove.code == 400 and b"only owner cannot be removed" in remove.body
    assert await alpha.members.role_of(owner["_id"]) == "owner"
    second = await world.member(alpha, "admin")
    assert (await session.post("/admin/users/%s/role" % second["_id"], {"role": "owner"})).code == 303
    assert (await session.post("/admin/users/%s/role" % owner["_id"], {"role": "admin"})).code == 303


async def test_invitations_can_be_withdrawn_and_members_are_not_invited_twice(client, world, db):
    alpha = await world.site("alpha")
    admin = await world.member(alpha, "admin")
    member = await world.member(alpha, "author")
    session = await signed_in(client, "alpha", admin)
    twice = await session.post("/admin/users/invite", {"email": member["email"], "role": "editor"})
    assert twice.code == 400 and b"already a member" in twice.body
    path = await invite(session, "maybe@example.com", "author")
    invitation = await db.invitations.find_one({})
    assert (await session.post("/admin/invitations/%s/revoke" % invitation["_id"])).code == 303
    assert (await Session(client, "alpha").get(path)).code == 404


# --- the owner --------------------------------------------------------------------------------


async def test_the_owner_transfers_ownership_and_stays_as_admin(client, world):
    alpha = await world.site("alpha")
    owner = await world.member(alpha, "owner")
    editor = await world.member(alpha, "editor")
    admin = await world.member(alpha, "admin")
    as_admin = await signed_in(client, "alpha", admin)
    assert (await as_admin.post("/admin/site/transfer", {"user_id": admin["_id"]})).code == 403
    session = await signed_in(client, "alpha", owner)
    page = await session.get("/admin/settings")
    assert b"Transfer ownership" in page.body and editor["name"].encode() in page.body
    outsider = await world.member(await world.site("beta"), "owner")
    assert (await session.post("/admin/site/transfer", {"user_id": outsider["_id"]})).code == 404
    assert (await session.post("/admin/site/transfer", {"user_id": editor["_id"]})).code == 303
    assert await alpha.members.role_of(editor["_id"]) == "owner"
    assert await alpha.members.role_of(owner["_id"]) == "admin"
    assert (await session.post("/admin/site/delete", {"confirm": "alpha"})).code == 403  # not the owner now


async def test_the_owner_deletes_the_site_after_typing_its_name(client, world, db):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    owner = await world.member(alpha, "owner")
    admin = await world.member(alpha, "admin")
    post = await world.post(alpha, owner, "Gone soon", tags=["x"])
    await alpha.autosaves.save(post["_id"], owner["_id"], {"markdown": "typed"})
    await alpha.invitations.create("someone@example.com", "author", owner["_id"])
    kept = await world.post(beta, await world.member(beta, "owner"), "Still here")
    assert (await client.get("alpha", "/posts/gone-soon")).code == 200
    as_admin = await signed_in(client, "alpha", admin)
    assert (await as_admin.post("/admin/site/delete", {"confirm": "alpha"})).code == 403
    session = await signed_in(client, "alpha", owner)
    wrong = await session.post("/admin/site/delete", {"confirm": "Alpha site"})
    assert wrong.code == 400 and b"to delete it" in wrong.body
    assert (await client.get("alpha", "/")).code == 200
    gone = await session.post("/admin/site/delete", {"confirm": "alpha"})
    assert gone.code == 200 and b"is deleted" in gone.body
    for path in ("/", "/posts/gone-soon", "/admin/", "/login", "/feed.xml"):
        assert (await client.get("alpha", path)).code == 404, path
    for name in ("posts", "memberships", "revisions", "autosaves", "invitations", "sessions"):
        assert await db[name].count_documents({"site_id": alpha.site_id}) == 0, name
    assert await Users(db).by_id(owner["_id"]) is not None  # people stay; they may belong elsewhere
    assert (await client.get("beta", "/posts/still-here")).code == 200 and await beta.posts.get(kept["_id"])


# --- across sites -------------------------------------------------------------------------------


async def test_power_on_one_site_is_none_on_another_until_invited_there(client, world):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    alpha_owner = await world.member(alpha, "owner")
    beta_owner = await world.member(beta, "owner")
    beta_author = await world.member(beta, "author")
    # Alpha's owner signs in on beta: not a member there.
    refused = await Session(client, "beta").login(alpha_owner["email"])
    assert refused.code == 401
    # Alpha's owner acting on a beta member through alpha's host: not a member of alpha, so 404.
    session = await signed_in(client, "alpha", alpha_owner)
    assert (await session.post("/admin/users/%s/role" % beta_author["_id"], {"role": "editor"})).code == 404
    assert (await session.post("/admin/users/%s/remove" % beta_owner["_id"])).code == 404
    assert await beta.members.role_of(beta_author["_id"]) == "author"
    beta_invitation = await beta.invitations.create("z@example.com", "author", beta_owner["_id"])
    assert (await session.post("/admin/invitations/%s/revoke" % beta_invitation[1]["_id"])).code == 404
    assert len(await beta.invitations.pending()) == 1
    # Invited to beta as an editor, the same person gets exactly that there.
    token, _ = await beta.invitations.create(alpha_owner["email"], "editor", beta_owner["_id"])
    invitee = Session(client, "beta")
    await invitee.get("/invitation?token=" + token)
    assert (await invitee.post("/invitation", {"token": token, "password": TEST_PASSWORD})).code == 303
    assert (await invitee.get("/admin/tags")).code == 200
    assert (await invitee.get("/admin/users")).code == 403  # an editor there, not an admin


async def test_without_a_google_client_id_there_is_no_button_and_no_route(client, world):
    await world.site("alpha")
    page = await Session(client, "alpha").get("/login")
    assert b"Sign in with Google" not in page.body
    assert (await client.get("alpha", "/auth/google")).code == 404


async def test_invitations_have_a_unique_token_hash_and_a_ttl_on_expires_at(db):
    info = await db.invitations.index_information()
    by_keys = {tuple(k for k, _ in index["key"]): index for index in info.values()}
    assert by_keys[("token_hash",)].get("unique") is True
    assert "expireAfterSeconds" in by_keys[("expires_at",)]


async def test_a_done_notice_that_is_not_utf8_shows_the_page_without_a_notice(client, world):
    alpha = await world.site("alpha", title="Alpha")
    admin = await world.member(alpha, "admin")
    session = await signed_in(client, "alpha", admin)
    for path in ("/admin/settings", "/admin/tags", "/admin/users"):
        response = await session.get(path + "?done=%FF")
        assert response.code == 200, path
        assert not any(xhtml_escape(notice).encode() in response.body for notice in DONE.values()), path
