"""The operators' console (``/console`` on the platform host): who may see it, the
platform's numbers and outbox, sites (search, suspend, quota, delete) and accounts
(search, disable). Every action is a POST with an XSRF token, logged, and bad input
is a 400 with a message that changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import zipfile

import pytest

from cms.store.outbox import Outbox
from tests import images
from tests.admin_session import Session, signed_in
from tests.conftest import TEST_PASSWORD
from tests.http.test_media import upload
from tests.platform_session import Platform


async def platform_session(client, user: dict) -> Platform:
    """A browser signed in on the platform host as ``user``, through its sign-in page."""
    session = Platform(client)
    answer = await session.sign_in(user["email"])
    assert answer.code == 303, answer.body[:300]
    return session


@pytest.fixture
async def platform(world, client, app):
    """An operator (platform admin) signed in on the platform; sites alpha and beta with owners and posts."""
    alpha = await world.site("alpha", title="Alpine Notes")
    beta = await world.site("beta", title="Beta Journal")
    await world.sites.set_domains(beta.site_id, ["blog.example.org"])
    alpha_owner = await world.member(alpha, "owner", email="ann@example.com")
    beta_owner = await world.member(beta, "owner", email="bob@example.com")
    await world.post(alpha, alpha_owner, "Alpha one")
    await world.post(alpha, alpha_owner, "Alpha two")
    await world.post(beta, beta_owner, "Beta one")
    ops = await world.users.create("ops@example.com", TEST_PASSWORD, name="Olga Ops")
    await world.users.set_platform_admin("ops@example.com")
    return {"alpha": alpha, "beta": beta, "ann": alpha_owner, "bob": beta_owner, "ops": ops,
            "operator": await platform_session(client, ops)}


async def test_only_platform_admins_get_the_console_and_only_on_the_platform_host(platform, world, client, app):
    anonymous = await client.fetch("localhost", "/console")
    assert anonymous.code == 302 and anonymous.headers["Location"] == "/signin?next=%2Fconsole"
    assert (await client.fetch("localhost", "/console/sites", method="POST", body="")).code == 403

    ann = await platform_session(client, platform["ann"])  # signed in, not a platform admin
    assert (await ann.get("/console")).code == 403
    assert (await ann.get("/console/sites")).code == 403

    operator = platform["operator"]
    page = await operator.get("/console")
    assert page.code == 200 and b"ops@example.com" in page.body and b'id="numbers"' in page.body
    assert page.headers["X-Frame-Options"] == "DENY"

    on_a_site = await signed_in(client, "alpha", platform["ann"])
    await world.users.set_platform_admin("ann@example.com")
    assert (await on_a_site.get("/console")).code == 404  # a site's host has no console
    assert (await ann.get("/console")).code == 200

    await world.users.set_platform_admin("ann@example.com", False)  # revoked: at once
    assert (await ann.get("/console")).code == 403

    assert (await operator.post("/signout")).code == 303  # the console's own "Sign out" button
    assert (await operator.get("/console")).code == 302


async def test_the_numbers_count_the_whole_platform(platform, world, db):
    old = await world.users.create("old@example.com", TEST_PASSWORD)
    await db.users.update_one({"_id": old["_id"]}, {"$set": {"created_at": dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)}})
    await db.sites.update_one({"_id": platform["alpha"].site_id}, {"$set": {"usage.media_bytes": 3 * 1024 * 1024}})
    await world.sites.suspend(platform["beta"].site_id, "Spam", by="ops@example.com")
    page = (await platform["operator"].get("/console")).body
    for figure in (b"<strong>2</strong> sites (1 suspended)", b"<strong>4</strong> accounts", b"<strong>3</strong> posts",
                   b"<strong>3 MB</strong> of media", b"<strong>3</strong> sign-ups in the last 7 days"):
        assert figure in page, figure


async def test_the_numbers_count_comments_and_those_awaiting_moderation(platform, world):
    alpha, beta = platform["alpha"], platform["beta"]
    post = await alpha.posts.get_visible("post", "alpha-one")
    other = await beta.posts.get_visible("post", "beta-one")
    await alpha.comments.add(post, "Shown", status="approved", name="A", email="a@example.org")
    await alpha.comments.add(post, "Waiting", status="pending", name="B", email="b@example.org")
    await beta.comments.add(other, "Waiting too", status="pending", name="C", email="c@example.org")
    page = (await platform["operator"].get("/console")).body
    assert b"<strong>3</strong> comments (2 awaiting moderation)" in page


async def test_the_outbox_shows_its_counts_and_the_messages_a_newcomer_waits_for(platform, db):
    outbox = Outbox(db)
    await outbox.queue("new@example.com", "Confirm your address", "Open http://localhost:8888/confirm/abc123 to confirm.",
                       kind="confirm")
    await outbox.queue("x@example.com", "Another", "Text", kind="notice")
    page = (await platform["operator"].get("/console")).body
    assert b"2 queued, 0 sending, 0 sent, 0 failed" in b" ".join(page.split())
    assert b"new@example.com" in page and b"Confirm your address" in page
    assert b"http://localhost:8888/confirm/abc123" in page
    assert b"No <code>SMTP_URL</code> is set" in page


async def test_sites_are_searched_by_name_title_or_domain_with_owner_posts_and_storage(platform, db):
    operator = platform["operator"]
    await db.sites.update_one({"_id": platform["alpha"].site_id}, {"$set": {"usage.media_bytes": 1536 * 1024}})
    everything = (await operator.get("/console/sites")).body
    assert b"2 sites." in everything
    for query, found, missing in (("ALPHA", b"alpha", b"beta"), ("journal", b"beta", b"alpha"),
                                  ("example.org", b"beta", b"alpha"), ("a.b(", None, None)):
        page = await operator.get("/console/sites?q=%s" % query)
        assert page.code == 200
        if found:
            assert b">%s</a>" % found in page.body and b">%s</a>" % missing not in page.body
        else:
            assert b"0 sites matching" in page.body  # typed text, never a regular expression
    row = everything.split(b">alpha</a>")[1].split(b"</tr>")[0]
    assert b"ann@example.com" in row and b'<td class="n">2</td>' in row and b"1.5 MB / 1024 MB" in row


async def test_the_site_list_is_paginated(platform, world):
    for n in range(26):
        await world.site("site-%02d" % n)
    operator = platform["operator"]
    first = await operator.get("/console/sites")
    assert b"Page 1 of 2" in first.body and b'rel="next" href="?page=2"' in first.body
    second = await operator.get("/console/sites?page=2")
    assert second.code == 200 and b">alpha</a>" in second.body  # the oldest, last
    assert (await operator.get("/console/sites?page=3")).code == 404
    assert (await operator.get("/console/sites?page=x")).code == 404
    searched = await operator.get("/console/sites?q=site&page=1")
    assert b"26 sites matching" in searched.body and b'href="?q=site&amp;page=2"' in searched.body


async def test_suspending_and_restoring_a_site_from_the_console(platform, world, client, caplog):
    operator, alpha = platform["operator"], platform["alpha"]
    path = "/console/sites/%s" % alpha.site_id
    assert (await client.get("alpha", "/")).code == 200
    await operator.get(path)  # the page with the forms (and the XSRF cookie)

    without_token = await operator.post(path + "/suspend", {"reason": "Spam"}, xsrf=False)
    assert without_token.code == 403
    no_reason = await operator.post(path + "/suspend", {"reason": "  "})
    assert no_reason.code == 400 and b"say why the site is suspended" in no_reason.body
    assert "suspended" not in await world.sites.by_id(alpha.site_id)

    with caplog.at_level(logging.INFO, logger="cms.handlers.console"):
        done = await operator.post(path + "/suspend", {"reason": "Spam <b>links</b>"})
    assert done.code == 303 and done.headers["Location"] == path + "?done=suspended"
    assert "ops@example.com suspended the site alpha: Spam <b>links</b>" in caplog.text
    assert (await client.get("alpha", "/")).code == 503
    shown = (await operator.get(path)).body
    assert b"Suspended by ops@example.com" in shown and b"Spam &lt;b&gt;links&lt;/b&gt;" in shown
    assert b'<span class="badge">suspended</span>' in (await operator.get("/console/sites")).body

    restored = await operator.post(path + "/unsuspend")
    assert restored.code == 303
    assert (await client.get("alpha", "/")).code == 200


async def test_a_sites_quota_is_set_from_the_console_and_bad_input_changes_nothing(platform, world):
    operator, alpha = platform["operator"], platform["alpha"]
    path = "/console/sites/%s" % alpha.site_id
    await operator.get(path)
    assert (await operator.post(path + "/quota", {"quota_mb": "5"})).code == 303
    assert (await world.sites.by_id(alpha.site_id))["quota_mb"] == 5
    assert b"of 5 MB stored" in (await operator.get(path)).body
    for bad in ("abc", "-1", "0", "1.5", "99999999999", "²"):
        refused = await operator.post(path + "/quota", {"quota_mb": bad})
        assert refused.code == 400 and b"whole number of MB" in refused.body, bad
        assert (await world.sites.by_id(alpha.site_id))["quota_mb"] == 5
    assert (await operator.post(path + "/quota", {"quota_mb": ""})).code == 303
    assert "quota_mb" not in await world.sites.by_id(alpha.site_id)


async def documents_of(db, site_id) -> dict[str, int]:
    counts = {}
    for name in await db.list_collection_names():
        if not name.startswith(("media.", "media_files", "media_chunks", "system.")):
            counts[name] = await db[name].count_documents({"site_id": site_id})
    counts["media files"] = len([f async for f in db["media.files"].find({"metadata.site_id": site_id}, {"_id": 1})])
    return counts


async def test_deleting_a_site_without_export_takes_everything_of_it_and_nothing_else(platform, world, client, db):
    operator, alpha, beta = platform["operator"], platform["alpha"], platform["beta"]
    for name, owner in (("alpha", platform["ann"]), ("beta", platform["bob"])):
        author = await signed_in(client, name, owner)
        assert (await upload(author, [("%s.jpg" % name, images.jpeg(), "image/jpeg")])).code == 201
    beta_before = await documents_of(db, beta.site_id)
    assert (await documents_of(db, alpha.site_id))["media files"] > 0
    path = "/console/sites/%s" % alpha.site_id
    await operator.get(path)

    for form, message in (({"export": "none", "confirm": "alph"}, b"Type the site&#x27;s name, alpha, to delete it."),
                          ({"confirm": "alpha"}, b"Choose whether to keep an export")):
        refused = await operator.post(path + "/delete", form)
        assert refused.code == 400 and message in refused.body
        assert await world.sites.by_id(alpha.site_id) is not None

    deleted = await operator.post(path + "/delete", {"export": "none", "confirm": "alpha"})
    assert deleted.code == 200 and b"alpha is deleted" in deleted.body and b"No export was kept." in deleted.body
    assert await world.sites.by_id(alpha.site_id) is None
    assert not any((await documents_of(db, alpha.site_id)).values())
    assert (await client.get("alpha", "/")).code == 404
    assert await documents_of(db, beta.site_id) == beta_before
    assert b"Beta one" in (await client.get("beta", "/")).body
    assert await world.users.by_email("ann@example.com") is not None  # the account stays: it is the person's


async def test_deleting_a_site_with_export_keeps_its_archive_first(platform, world, settings):
    operator, alpha = platform["operator"], platform["alpha"]
    path = "/console/sites/%s" % alpha.site_id
    await operator.get(path)
    deleted = await operator.post(path + "/delete", {"export": "archive", "confirm": "alpha"})
    assert deleted.code == 200 and b'id="archive"' in deleted.body
    archives = list((settings.data_dir / "deleted-sites").glob("alpha-export-*.zip"))
    assert len(archives) == 1
    with zipfile.ZipFile(archives[0]) as archive:
        assert b"Alpha one" in archive.read("site.json")
    assert await world.sites.by_id(alpha.site_id) is None


async def test_an_export_that_cannot_be_written_deletes_nothing(platform, world, settings):
    (settings.data_dir / "deleted-sites").write_text("a file where the folder should be")
    operator, alpha = platform["operator"], platform["alpha"]
    path = "/console/sites/%s" % alpha.site_id
    await operator.get(path)
    refused = await operator.post(path + "/delete", {"export": "archive", "confirm": "alpha"})
    assert refused.code == 500 and b"The export could not be written" in refused.body
    assert b"so nothing was deleted." in refused.body
    assert await world.sites.by_id(alpha.site_id) is not None


@pytest.mark.parametrize("action", ["sites/{alpha}/suspend", "sites/{alpha}/unsuspend", "sites/{alpha}/quota",
                                    "sites/{alpha}/delete", "accounts/{ann}/disable", "accounts/{ann}/enable"])
async def test_every_console_action_needs_the_xsrf_token(platform, world, action):
    operator = platform["operator"]
    await operator.get("/console/sites/%s" % platform["alpha"].site_id)  # the browser holds a token...
    path = "/console/" + action.format(alpha=platform["alpha"].site_id, ann=platform["ann"]["_id"])
    form = {"reason": "Spam", "quota_mb": "7", "export": "none", "confirm": "alpha"}
    refused = await operator.post(path, form, xsrf=False)  # ...but this request does not carry it
    assert refused.code == 403
    site = await world.sites.by_id(platform["alpha"].site_id)
    assert site is not None and "suspended" not in site and "quota_mb" not in site
    assert not (await world.users.by_id(platform["ann"]["_id"])).get("disabled")


async def test_an_unknown_site_or_account_is_a_404(platform):
    operator = platform["operator"]
    assert (await operator.get("/console/sites/%s" % ("0" * 24))).code == 404
    assert (await operator.get("/console/accounts/%s" % ("0" * 24))).code == 404
    await operator.get("/console/sites/%s" % platform["alpha"].site_id)
    assert (await operator.post("/console/sites/%s/suspend" % ("0" * 24), {"reason": "x"})).code == 404


async def test_accounts_are_searched_and_show_their_sites(platform, world):
    operator = platform["operator"]
    await platform["beta"].members.add(platform["ann"]["_id"], "editor")
    listing = (await operator.get("/console/accounts?q=ANN")).body
    assert b"ann@example.com" in listing and b"bob@example.com" not in listing
    assert b'<td class="n">2</td>' in listing
    page = (await operator.get("/console/accounts/%s" % platform["ann"]["_id"])).body
    assert b">alpha</a> (owner)" in page and b">beta</a> (editor)" in page


async def test_disabling_an_account_ends_its_sessions_at_once_and_refuses_its_sign_in(platform, world, client):
    operator, ann = platform["operator"], platform["ann"]
    on_alpha = await signed_in(client, "alpha", ann)
    assert (await on_alpha.get("/admin/")).code == 200
    on_platform = await platform_session(client, ann)
    assert (await on_platform.get("/sites")).code == 200
    path = "/console/accounts/%s" % ann["_id"]
    await operator.get(path)

    assert (await operator.post(path + "/disable")).code == 303
    assert (await on_alpha.get("/admin/")).code == 302  # signed out: sent to sign in
    assert (await on_platform.get("/sites")).code == 302
    again = Session(client, "alpha")
    refused = await again.login(ann["email"])
    assert refused.code == 403 and b"This account has been disabled by the platform&#x27;s operators." in refused.body
    on_the_platform = await Platform(client).sign_in(ann["email"])
    assert on_the_platform.code == 403 and b"disabled by the platform" in on_the_platform.body
    assert b'id="disabled"' in (await operator.get(path)).body

    assert (await operator.post(path + "/enable")).code == 303
    assert (await Session(client, "alpha").login(ann["email"])).code == 303


async def test_an_operator_cannot_disable_their_own_account(platform, world):
    operator, ops = platform["operator"], platform["ops"]
    path = "/console/accounts/%s" % ops["_id"]
    await operator.get(path)
    refused = await operator.post(path + "/disable")
    assert refused.code == 400 and b"You cannot disable your own account." in refused.body
    assert not (await world.users.by_id(ops["_id"])).get("disabled")
