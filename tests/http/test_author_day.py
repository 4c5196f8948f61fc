"""An author's working day (issue 16): nothing typed or chosen is lost on the way.

Autosaves and revisions keep every field of a post, a republished post keeps
its first publication date, an invitation is made once per click.
"""

from __future__ import annotations

import json

from tests import images
from tests.admin_session import Session, form, post_id_of, signed_in
from tests.conftest import TEST_PASSWORD
from tests.http.test_media import upload


async def picture(session, name: str = "cover.jpg") -> str:
    answer = await upload(session, [(name, images.jpeg(60, 40), "image/jpeg")])
    return json.loads(answer.body)["items"][0]["url"]


async def pictured_post(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    session = await signed_in(client, "alpha", owner)
    url = await picture(session)
    saved = await session.post("/admin/posts/new", form(
        title="Harbour", markdown="Boats.", state="published", tags="sea",
        featured_image=url, featured_alt="Boats at dawn", featured_caption="Taken at six"))
    return store, owner, session, post_id_of(saved), url


async def test_restoring_an_autosave_of_the_text_keeps_the_featured_image(world, client):
    store, owner, session, post_id, url = await pictured_post(world, client)
    # What the editor's script sent before: the text fields only.
    typed = {"title": "Harbour", "slug": "harbour", "markdown": "Boats.\n\nA new line.", "tags": "sea",
             "custom_excerpt": ""}
    assert (await session.post("/admin/posts/%s/autosave" % post_id, typed)).code == 200
    restored = (await session.get("/admin/posts/%s?restore=1" % post_id)).body.decode()
    assert "A new line.</textarea>" in restored
    assert 'value="%s"' % url in restored and 'value="Boats at dawn"' in restored and 'value="Taken at six"' in restored
    saved = await session.post("/admin/posts/%s" % post_id, form(
        title="Harbour", markdown="Boats.\n\nA new line.", state="published", tags="sea", version="1",
        featured_image=url, featured_alt="Boats at dawn", featured_caption="Taken at six"))
    assert saved.code == 303
    page = (await client.get("alpha", "/posts/harbour")).body.decode()
    assert 'alt="Boats at dawn"' in page and "Taken at six" in page


async def test_an_autosave_keeps_every_field_the_author_changed(world, client):
    store, owner, session, post_id, url = await pictured_post(world, client)
    other = await picture(session, "other.jpg")
    editor = await world.member(store, "editor", name="Eve Editor")
    typed = {"title": "Harbour", "slug": "harbour", "markdown": "Boats.", "tags": "sea, dawn",
             "custom_excerpt": "Early boats", "featured_image": other, "featured_alt": "Nets",
             "featured_caption": "Drying nets", "author_id": editor["_id"], "publish_at": "2031-05-06T07:08"}
    assert (await session.post("/admin/posts/%s/autosave" % post_id, typed)).code == 200
    restored = (await session.get("/admin/posts/%s?restore=1" % post_id)).body.decode()
    for value in (other, "Nets", "Drying nets", "sea, dawn", "2031-05-06T07:08"):
        assert 'value="%s"' % value in restored, value
    assert "Early boats</textarea>" in restored
    assert '<option value="%s" selected>Eve Editor' % editor["_id"] in restored
    assert (await store.posts.get(post_id))["featured_image"]["url"] == url  # the post itself untouched


async def test_history_brings_back_an_old_featured_image(world, client):
    store, owner, session, post_id, url = await pictured_post(world, client)
    removed = await session.post("/admin/posts/%s" % post_id, form(
        title="Harbour", markdown="Boats.", state="published", tags="sea", version="1"))
    assert removed.code == 303 and (await store.posts.get(post_id))["featured_image"] is None
    restored = await session.post("/admin/posts/%s/restore" % post_id, {"revision": "1", "version": "2"})
    assert restored.code == 303
    image = (await store.posts.get(post_id))["featured_image"]
    assert image["url"] == url and image["alt"] == "Boats at dawn" and image["caption"] == "Taken at six"
    revision = await store.revisions.get(post_id, 1)
    assert revision["featured_image"]["url"] == url and revision["author_id"] == owner["_id"]


async def test_unpublishing_and_publishing_again_keeps_the_first_publication_date(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    session = await signed_in(client, "alpha", owner)
    post_id = post_id_of(await session.post("/admin/posts/new", form(title="Dawn", markdown="x", state="published")))
    first = (await store.posts.get(post_id))["published_at"]
    shown = first.strftime("%Y-%m-%dT%H:%M")  # the site's time zone is UTC
    await session.post("/admin/posts/%s" % post_id, form(title="Dawn", markdown="x", state="draft", version="1"))
    assert (await client.get("alpha", "/posts/dawn")).code == 404
    draft = (await session.get("/admin/posts/%s" % post_id)).body.decode()
    assert 'name="publish_at" value="%s"' % shown in draft  # the date it will get back
    again = await session.post("/admin/posts/%s" % post_id, form(
        title="Dawn", markdown="x", state="published", publish_at=shown, version="2"))
    assert again.code == 303
    assert (await store.posts.get(post_id))["published_at"] == first
    assert (await client.get("alpha", "/posts/dawn")).code == 200


async def test_an_author_who_changes_the_date_of_a_republished_post_gets_that_date(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    session = await signed_in(client, "alpha", owner)
    post_id = post_id_of(await session.post("/admin/posts/new", form(title="Dusk", markdown="x", state="published")))
    await session.post("/admin/posts/%s" % post_id, form(title="Dusk", markdown="x", state="draft", version="1"))
    await session.post("/admin/posts/%s" % post_id, form(
        title="Dusk", markdown="x", state="published", publish_at="2024-03-04T05:06", version="2"))
    assert (await store.posts.get(post_id))["published_at"].isoformat() == "2024-03-04T05:06:00+00:00"


async def test_publishing_a_scheduled_post_now_publishes_it_now(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    session = await signed_in(client, "alpha", owner)
    post_id = post_id_of(await session.post("/admin/posts/new", form(
        title="Later", markdown="x", state="scheduled", publish_at="2040-01-02T03:04")))
    await session.post("/admin/posts/%s" % post_id, form(
        title="Later", markdown="x", state="published", publish_at="2040-01-02T03:04", version="1"))
    assert (await client.get("alpha", "/posts/later")).code == 200


async def test_reloading_after_making_an_invitation_makes_no_second_one(world, client, db):
    store = await world.site("alpha")
    admin = await world.member(store, "admin")
    session = await signed_in(client, "alpha", admin)
    made = await session.post("/admin/users/invite", {"email": "new@example.com", "role": "author"})
    assert made.code == 303 and made.headers["Location"] == "/admin/users"  # a reload repeats the GET only
    shown = (await session.get("/admin/users")).body.decode()
    assert 'id="invite-link" value="http://alpha.localhost:%d/invitation?token=' % client.port in shown
    again = (await session.get("/admin/users")).body.decode()
    assert 'id="invite-link"' not in again and "new@example.com" in again  # listed, the link shown once
    assert await db.invitations.count_documents({}) == 1


async def test_a_used_invitation_is_no_longer_listed_as_open(world, client):
    store = await world.site("alpha")
    admin = await world.member(store, "admin")
    session = await signed_in(client, "alpha", admin)
    await world.member(await world.site("beta"), "author", email="joiner@example.com")
    token, _ = await store.invitations.create("joiner@example.com", "author", admin["_id"])
    await store.invitations.create("joiner@example.com", "author", admin["_id"])  # made twice
    assert "joiner@example.com" in open_invitations(await session.get("/admin/users"))
    joiner = Session(client, "alpha")  # has an account: joins with its own password
    await joiner.get("/invitation?token=" + token)
    joined = await joiner.post("/invitation", {"token": token, "password": TEST_PASSWORD})
    assert joined.code == 303 and joined.headers["Location"] == "/admin/"
    assert "joiner@example.com" not in open_invitations(await session.get("/admin/users"))


def open_invitations(page) -> str:
    body = page.body.decode()
    return body.split('id="invitations"', 1)[1].split("</table>", 1)[0] if 'id="invitations"' in body else ""
