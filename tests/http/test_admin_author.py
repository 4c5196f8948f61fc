"""The editor's author field: editors choose a member of this site; others see the author only.

A changed author from an author or a contributor is refused (403); an author
who is not a member of this site (another site's person, an unknown id) is a
400 with a clear message, and nothing is saved.
"""

from __future__ import annotations

import json
import re

from tornado.websocket import websocket_connect

from tests.admin_session import form, post_id_of, signed_in
from tests.http.test_admin_revisions import ws_request


async def scene(world):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    people = {
        "editor": await world.member(alpha, "editor", name="Eddie Editor"),
        "author": await world.member(alpha, "author", name="Wren Writer", username="wren"),
        "contributor": await world.member(alpha, "contributor", name="Cal Contributor"),
        "foreigner": await world.member(beta, "owner", name="Fay Foreign"),
    }
    return alpha, beta, people


def options(body: bytes) -> dict[str, str]:
    select = body.decode().split('<select name="author_id"')[1].split("</select>")[0]
    return {value: label.strip() for value, label in re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', select)}


async def test_an_editor_picks_the_author_among_this_sites_members(world, client, db):
    alpha, _, people = await scene(world)
    post = await world.post(alpha, people["editor"], "Whose is it", status="draft")
    session = await signed_in(client, "alpha", people["editor"])
    page = await session.get("/admin/posts/%s" % post["_id"])
    choices = options(page.body)
    assert set(choices) == {people[r]["_id"] for r in ("editor", "author", "contributor")}  # all members, no one else
    assert "Fay Foreign" not in page.body.decode()
    assert re.search(r'<option value="%s" selected>' % post["author_id"], page.body.decode())
    response = await session.post("/admin/posts/%s" % post["_id"], form(
        title="Whose is it", markdown="Body text.", version="1", state="published", author_id=people["author"]["_id"]))
    assert response.code == 303
    saved = await alpha.posts.get(post["_id"])
    assert saved["author_id"] == people["author"]["_id"] and saved["version"] == 2
    assert saved["updated_by"] == people["editor"]["_id"]
    # Readers see the new author, and the post is on her author page.
    reader = await client.get("alpha", "/posts/whose-is-it")
    assert b"Wren Writer" in reader.body and b"Eddie Editor" not in reader.body
    assert b"Whose is it" in (await client.get("alpha", "/authors/wren")).body
    # The editor now shows her as the author; revisions keep working.
    assert re.search(r'<option value="%s" selected>' % people["author"]["_id"],
                     (await session.get("/admin/posts/%s" % post["_id"])).body.decode())
    history = await session.get("/admin/posts/%s/history" % post["_id"])
    assert history.code == 200
    restored = await session.post("/admin/posts/%s/restore" % post["_id"], {"revision": "1", "version": "2"})
    assert restored.code == 303
    assert (await alpha.posts.get(post["_id"]))["author_id"] == people["author"]["_id"]  # a restore keeps the author


async def test_an_editor_writes_a_new_post_for_someone_else(world, client):
    alpha, _, people = await scene(world)
    session = await signed_in(client, "alpha", people["editor"])
    page = await session.get("/admin/posts/new")
    assert re.search(r'<option value="%s" selected>' % people["editor"]["_id"], page.body.decode())
    response = await session.post("/admin/posts/new", form(
        title="Guest piece", markdown="Words.", author_id=people["contributor"]["_id"]))
    assert response.code == 303
    saved = await alpha.posts.get(post_id_of(response))
    assert saved["author_id"] == people["contributor"]["_id"]


async def test_the_author_must_be_a_member_of_this_site(world, client, db):
    alpha, _, people = await scene(world)
    post = await world.post(alpha, people["author"], "Stays hers", status="draft")
    session = await signed_in(client, "alpha", people["editor"])
    for stranger in (people["foreigner"]["_id"], "0" * 24, "not-an-id"):
        response = await session.post("/admin/posts/%s" % post["_id"], form(
            title="Stays hers", markdown="Changed?", version="1", author_id=stranger))
        assert response.code == 400, stranger
        assert b"the author must be a member of this site" in response.body
        assert b"Changed?" in response.body  # the typed text is still in the editor
        assert b"Fay Foreign" not in response.body  # nobody of another site is named
        assert re.search(r'<option value="%s" selected>' % people["author"]["_id"], response.body.decode())
        stored = await alpha.posts.get(post["_id"])
        assert stored["author_id"] == people["author"]["_id"] and stored["version"] == 1
        created = await session.post("/admin/posts/new", form(title="New one", markdown="x", author_id=stranger))
        assert created.code == 400
    assert await db.posts.count_documents({}) == 1


async def test_authors_and_contributors_see_the_author_but_cannot_change_it(world, client, db):
    alpha, _, people = await scene(world)
    for role in ("author", "contributor"):
        me = people[role]
        post = await world.post(alpha, me, "Mine as %s" % role, status="draft")
        session = await signed_in(client, "alpha", me)
        page = await session.get("/admin/posts/%s" % post["_id"])
        assert b'<select name="author_id"' not in page.body
        assert re.search(r'id="author">%s<' % me["name"], page.body.decode())
        # Sending another member as the author is refused and changes nothing.
        response = await session.post("/admin/posts/%s" % post["_id"], form(
            title="Mine", markdown="x", version="1", author_id=people["editor"]["_id"]))
        assert response.code == 403
        assert (await alpha.posts.get(post["_id"]))["version"] == 1
        new = await session.post("/admin/posts/new", form(title="Ghost", markdown="x", author_id=people["editor"]["_id"]))
        assert new.code == 403
        # Their own id, or none at all, is no change: saving works as before.
        for author_id in (me["_id"], None):
            fields = form(title="Mine", markdown="x", version=str((await alpha.posts.get(post["_id"]))["version"]))
            if author_id:
                fields["author_id"] = author_id
            response = await session.post("/admin/posts/%s" % post["_id"], fields)
            assert response.code == 303
        assert (await alpha.posts.get(post["_id"]))["author_id"] == me["_id"]
    assert await db.posts.count_documents({"title": "Ghost"}) == 0


async def test_the_preview_shows_the_author_an_editor_picked(world, client):
    alpha, _, people = await scene(world)
    post = await world.post(alpha, people["editor"], "Preview me", status="draft")
    session = await signed_in(client, "alpha", people["editor"])
    socket = await websocket_connect(ws_request(client, session))
    try:
        async def preview(author_id: str) -> str:
            socket.write_message(json.dumps({"seq": 1, "title": "T", "markdown": "x", "post_id": post["_id"],
                                             "author_id": author_id}))
            return json.loads(await socket.read_message())["html"]

        assert "Wren Writer" in await preview(people["author"]["_id"])
        foreign = await preview(people["foreigner"]["_id"])  # not a member here: the saved author stays
        assert "Fay Foreign" not in foreign and "Eddie Editor" in foreign
    finally:
        socket.close()


async def test_a_post_by_someone_who_left_keeps_its_author_when_an_editor_saves_it(world, client, db):
    alpha, _, people = await scene(world)
    post = await world.post(alpha, people["author"], "Left behind")
    await alpha.members.remove(people["author"]["_id"])
    session = await signed_in(client, "alpha", people["editor"])
    page = (await session.get("/admin/posts/%s" % post["_id"])).body.decode()
    assert re.search(r'<option value="%s" selected>Wren Writer \(no longer a member\)' % people["author"]["_id"], page)
    response = await session.post("/admin/posts/%s" % post["_id"], form(
        title="Left behind", markdown="Edited.", version="1", state="published", author_id=people["author"]["_id"]))
    assert response.code == 303
    saved = await alpha.posts.get(post["_id"])
    assert saved["author_id"] == people["author"]["_id"] and saved["markdown"] == "Edited."
