"""The admin's dashboard, post list and editor: what each role can do, on its own site only."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from tests.admin_session import form, post_id_of, signed_in


async def test_dashboard_shows_counts_and_the_three_lists(world, client):
    store = await world.site("alpha", timezone="Europe/Paris")
    owner = await world.member(store, "owner")
    await world.post(store, owner, "A draft idea", status="draft")
    await world.post(store, owner, "Out already")
    await world.post(store, owner, "Coming soon", published_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2))
    session = await signed_in(client, "alpha", owner)
    page = (await session.get("/admin/")).body.decode()
    for state in ("draft", "scheduled", "published"):
        assert re.search(r'data-count="%s">1<' % state, page)
    drafts, scheduled, published = (page.split('id="%s"' % k)[1].split("</section>")[0]
                                    for k in ("drafts", "scheduled", "published"))
    assert "A draft idea" in drafts and "Coming soon" in scheduled and "Out already" in published


async def test_post_list_filters_by_status_tag_author_and_search(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner", username="olive")
    writer = await world.member(store, "author", username="wanda")
    await world.post(store, owner, "Tomatoes in June", tags=["Garden"])
    await world.post(store, writer, "Pruning roses", tags=["Garden"], status="draft")
    await world.post(store, writer, "Bread at home", tags=["Kitchen"])
    session = await signed_in(client, "alpha", owner)

    async def titles(query: str) -> set[str]:
        body = (await session.get("/admin/posts" + query)).body.decode()
        return {t for t in ("Tomatoes in June", "Pruning roses", "Bread at home") if t in body}

    assert await titles("") == {"Tomatoes in June", "Pruning roses", "Bread at home"}
    assert await titles("?status=draft") == {"Pruning roses"}
    assert await titles("?tag=garden") == {"Tomatoes in June", "Pruning roses"}
    assert await titles("?author=wanda") == {"Pruning roses", "Bread at home"}
    assert await titles("?q=BREAD") == {"Bread at home"}
    assert await titles("?q=.*") == set()  # typed text, not a pattern
    assert (await session.get("/admin/posts?status=bogus")).code == 400


async def test_author_writes_a_draft_then_publishes_it(world, client):
    store = await world.site("alpha")
    author = await world.member(store, "author")
    session = await signed_in(client, "alpha", author)
    editor_page = await session.get("/admin/posts/new")
    assert editor_page.code == 200 and b'name="markdown"' in editor_page.body
    response = await session.post("/admin/posts/new", form(title="Hello there, world!", markdown="# Hi\n\nBody *text*.",
                                                           tags="One, two"))
    assert response.code == 303
    post_id = post_id_of(response)
    post = await store.posts.get(post_id)
    assert post["slug"] == "hello-there-world" and post["status"] == "draft" and post["tags"] == ["One", "two"]
    assert (await client.get("alpha", "/posts/hello-there-world")).code == 404  # a draft is not public
    response = await session.post("/admin/posts/%s" % post_id, form(
        title="Hello there, world!", slug="hello", markdown="Now *public*.", state="published", version="1"))
    assert response.code == 303
    public = await client.get("alpha", "/posts/hello")
    assert public.code == 200 and b"<em>public</em>" in public.body
    edit = await session.get("/admin/posts/%s?saved=1" % post_id)
    assert b"Saved." in edit.body and b"version 2" in edit.body


async def test_scheduled_post_appears_only_when_its_time_comes(world, client):
    store = await world.site("alpha", timezone="America/New_York")
    author = await world.member(store, "author")
    session = await signed_in(client, "alpha", author)
    new_york = ZoneInfo("America/New_York")
    when = dt.datetime.now(new_york)
    future = (when + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = await session.post("/admin/posts/new", form(title="Later", markdown="Soon.", state="scheduled",
                                                           publish_at=future))
    post = await store.posts.get(post_id_of(response))
    expected = dt.datetime.strptime(future, "%Y-%m-%dT%H:%M").replace(tzinfo=new_york)
    assert post["published_at"] == expected  # the time was read in the site's time zone
    assert (await client.get("alpha", "/posts/later")).code == 404
    listing = await session.get("/admin/posts?status=scheduled")
    assert b"Later" in listing.body
    past = (when - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    refused = await session.post("/admin/posts/new", form(title="Oops", markdown="x", state="scheduled", publish_at=past))
    assert refused.code == 400 and b"must be in the future" in refused.body and b"Oops" in refused.body


async def test_contributor_saves_drafts_only(world, client):
    store = await world.site("alpha")
    contributor = await world.member(store, "contributor")
    session = await signed_in(client, "alpha", contributor)
    page = await session.get("/admin/posts/new")
    assert re.search(rb'value="published"\s+disabled', page.body) and b"an editor publishes them" in page.body
    refused = await session.post("/admin/posts/new", form(title="Sneaky", markdown="x", state="published"))
    assert refused.code == 403
    assert (await store.posts.admin_list("post")).total == 0
    response = await session.post("/admin/posts/new", form(title="Honest", markdown="draft text"))
    post_id = post_id_of(response)
    assert (await store.posts.get(post_id))["status"] == "draft"


async def test_authors_edit_only_their_own_posts_and_editors_edit_all(world, client):
    store = await world.site("alpha")
    first = await world.member(store, "author")
    second = await world.member(store, "author")
    editor = await world.member(store, "editor")
    post = await world.post(store, first, "Mine", status="draft")
    other = await signed_in(client, "alpha", second)
    assert (await other.get("/admin/posts/%s" % post["_id"])).code == 403
    refused = await other.post("/admin/posts/%s" % post["_id"], form(title="Taken", markdown="x", version="1"))
    assert refused.code == 403 and (await store.posts.get(post["_id"]))["title"] == "Mine"
    boss = await signed_in(client, "alpha", editor)
    response = await boss.post("/admin/posts/%s" % post["_id"], form(title="Mine, edited", markdown="Better.",
                                                                      state="published", version="1"))
    assert response.code == 303
    saved = await store.posts.get(post["_id"])
    assert saved["title"] == "Mine, edited" and saved["author_id"] == first["_id"]
    assert (await client.get("alpha", "/posts/mine")).code == 200


async def test_invalid_input_keeps_everything_typed(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    await world.post(store, owner, "Taken", slug="taken")
    session = await signed_in(client, "alpha", owner)
    response = await session.post("/admin/posts/new", form(title="New one", slug="taken", markdown="My long <text> here"))
    assert response.code == 400
    assert b"already used" in response.body and b"My long &lt;text&gt; here" in response.body
    response = await session.post("/admin/posts/new", form(title="", markdown="body without a title"))
    assert response.code == 400 and b"title is required" in response.body and b"body without a title" in response.body


async def test_a_post_of_another_site_is_missing_in_this_admin(world, client):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    owner = await world.member(alpha, "owner")
    theirs = await world.post(beta, await world.member(beta, "owner"), "Beta secret", status="draft")
    session = await signed_in(client, "alpha", owner)
    for path in ("/admin/posts/%s", "/admin/posts/%s/history"):
        assert (await session.get(path % theirs["_id"])).code == 404
    response = await session.post("/admin/posts/%s" % theirs["_id"], form(title="Pwned", markdown="x", version="1"))
    assert response.code == 404
    assert (await beta.posts.get(theirs["_id"]))["title"] == "Beta secret"
    assert b"Beta secret" not in (await session.get("/admin/posts")).body
    assert b"Beta secret" not in (await session.get("/admin/")).body


async def test_two_people_saving_the_same_version_the_second_sees_a_conflict(world, client):
    store = await world.site("alpha")
    ann = await world.member(store, "editor", name="Ann")
    bob = await world.member(store, "editor", name="Bob")
    post = await world.post(store, ann, "Shared", markdown="Line one\nLine two\n", status="draft")
    ann_s = await signed_in(client, "alpha", ann)
    bob_s = await signed_in(client, "alpha", bob)
    first = await ann_s.post("/admin/posts/%s" % post["_id"], form(title="Shared", markdown="Line one\nAnn's line\n",
                                                                   version="1"))
    assert first.code == 303
    second = await bob_s.post("/admin/posts/%s" % post["_id"], form(title="Shared", markdown="Line one\nBob's line\n",
                                                                    version="1"))
    assert second.code == 409
    body = second.body.decode()
    assert "Someone else saved this post" in body
    assert "Ann&#x27;s line" in body and "Bob&#x27;s line" in body  # both versions on screen
    assert 'name="version" value="2"' in body  # saving again is a deliberate overwrite of v2
    assert (await store.posts.get(post["_id"]))["markdown"] == "Line one\nAnn's line\n"
    third = await bob_s.post("/admin/posts/%s" % post["_id"], form(title="Shared", markdown="merged\n", version="2"))
    assert third.code == 303 and (await store.posts.get(post["_id"]))["version"] == 3


async def test_pages_are_managed_the_same_way(world, client):
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    session = await signed_in(client, "alpha", owner)
    response = await session.post("/admin/pages/new", form(title="About us", markdown="We write.", state="published"))
    assert response.code == 303 and response.headers["Location"].startswith("/admin/pages/")
    assert (await client.get("alpha", "/about-us")).code == 200
    assert b"About us" in (await session.get("/admin/pages")).body
    assert b"About us" not in (await session.get("/admin/posts")).body
