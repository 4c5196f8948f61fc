"""``python -m cms site|user|post create`` against a real database.

Each bad input prints one clear line on stderr, exits non-zero and changes nothing.
"""

from __future__ import annotations

import asyncio
import io
import re

import pytest

from cms.__main__ import main

STRONG = "correct horse battery staple"


async def cms(env: dict, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """Run ``python -m cms ARGS`` in-process (in a thread: it runs its own event loop).

    tests/cli/test_serve.py runs real processes; here the import cost of a
    new interpreter per command would only slow the suite down.
    """
    out, err = io.StringIO(), io.StringIO()

    def run() -> int:
        try:
            return main(list(args), stdin=io.StringIO(stdin or ""), stdout=out, stderr=err, env=env)
        except SystemExit as exit:  # argparse's usage errors
            return int(exit.code)

    code = await asyncio.to_thread(run)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def env(mongo_uri, db_name, db, tmp_path) -> dict:
    """The environment of a CLI pointed at this test's database."""
    return {
        "MONGODB_URI": mongo_uri.rstrip("/") + "/" + db_name,
        "COOKIE_SECRET": "cli-test-secret",
        "CMS_DATA_DIR": str(tmp_path),
    }


async def counts(db) -> tuple[int, int, int, int]:
    return (
        await db.sites.count_documents({}), await db.users.count_documents({}),
        await db.memberships.count_documents({}), await db.posts.count_documents({}),
    )


async def assert_refused(db, env, *args, stdin=None, message: str) -> None:
    before = await counts(db)
    code, out, err = await cms(env, *args, stdin=stdin)
    assert code != 0, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
    assert await counts(db) == before


async def test_site_create_prints_its_url(db, env):
    code, out, err = await cms(env, "site", "create", "garden", "--title", "The Garden")
    assert code == 0, err
    assert "http://garden.localhost:8888/" in out
    site = await db.sites.find_one({"name": "garden"})
    assert site["title"] == "The Garden" and site["theme"] == "journal"


@pytest.mark.parametrize(
    "args, message",
    [
        (["site", "create", "Bad Name"], "invalid site name"),
        (["site", "create", "edge-"], "invalid site name"),
        (["site", "create", "admin"], "reserved"),
        (["site", "create", "fine", "--theme", "nope"], "unknown theme"),
        (["site", "create", "taken"], "already exists"),
    ],
)
async def test_site_create_refuses_bad_input(db, env, args, message):
    assert (await cms(env, "site", "create", "taken"))[0] == 0
    await assert_refused(db, env, *args, message=message)


async def test_user_create_with_password_from_stdin(db, env):
    await cms(env, "site", "create", "garden")
    code, out, err = await cms(
        env, "user", "create", "Ann@Example.com", "--site", "garden", "--role", "editor",
        "--password-stdin", "--name", "Ann Lee", "--username", "ann", stdin=STRONG + "\n",
    )
    assert code == 0, err
    assert "password" not in out  # nothing to show: the user chose it
    user = await db.users.find_one({"email": "ann@example.com"})
    assert user["name"] == "Ann Lee" and user["username"] == "ann"
    assert user["password_hash"].startswith("$2") and STRONG not in user["password_hash"]
    membership = await db.memberships.find_one({"user_id": user["_id"]})
    assert membership["role"] == "editor"


async def test_user_create_generates_and_prints_a_password_once(db, env):
    import bcrypt

    await cms(env, "site", "create", "garden")
    code, out, err = await cms(env, "user", "create", "bo@example.com", "--site", "garden", "--role", "author")
    assert code == 0, err
    password = out.split("password: ")[1].split()[0]
    user = await db.users.find_one({"email": "bo@example.com"})
    assert bcrypt.checkpw(password.encode(), user["password_hash"].encode())


async def test_an_existing_user_joins_a_second_site(db, env):
    await cms(env, "site", "create", "one")
    await cms(env, "site", "create", "two")
    await cms(env, "user", "create", "cy@example.com", "--site", "one", "--role", "owner")
    code, out, err = await cms(env, "user", "create", "cy@example.com", "--site", "two", "--role", "author")
    assert code == 0, err
    assert await db.users.count_documents({}) == 1
    assert await db.memberships.count_documents({}) == 2


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (["nobody@example.com", "--site", "nosite", "--role", "author"], None, "no site named"),
        (["not-an-email", "--site", "garden", "--role", "author"], None, "invalid e-mail"),
        (["weak@example.com", "--site", "garden", "--role", "author", "--password-stdin"], "short\n", "too weak"),
        (["weak@example.com", "--site", "garden", "--role", "author", "--password-stdin"], "password123\n", "too weak"),
        (["weak@example.com", "--site", "garden", "--role", "author", "--password-stdin"], "aaaaaaaaaaaa\n",
         "too weak"),
        (["member@example.com", "--site", "garden", "--role", "admin"], None, "already a member"),
        (["new@example.com", "--site", "garden", "--role", "author", "--username", "Bad Name"], None,
         "invalid username"),
    ],
)
async def test_user_create_refuses_bad_input(db, env, args, stdin, message):
    await cms(env, "site", "create", "garden")
    await cms(env, "user", "create", "member@example.com", "--site", "garden", "--role", "author")
    await assert_refused(db, env, "user", "create", *args, stdin=stdin, message=message)


async def test_user_create_rejects_an_unknown_role(db, env):
    before = await counts(db)
    code, _, _ = await cms(env, "user", "create", "x@example.com", "--site", "garden", "--role", "king")
    assert code == 2  # argparse's usage error, which names the valid roles
    assert await counts(db) == before


async def test_post_create_reads_markdown_from_stdin(db, env):
    await cms(env, "site", "create", "garden")
    await cms(env, "user", "create", "ann@example.com", "--site", "garden", "--role", "owner")
    await cms(env, "user", "create", "bo@example.com", "--site", "garden", "--role", "author")
    code, out, err = await cms(
        env, "post", "create", "--site", "garden", "--title", "Spring Planting", "--tags", "Seeds, Soil",
        "--author", "bo@example.com", stdin="# Plant\n\nNow is **the** time.",
    )
    assert code == 0, err
    assert "http://garden.localhost:8888/posts/spring-planting" in out
    post = await db.posts.find_one({"slug": "spring-planting"})
    bo = await db.users.find_one({"email": "bo@example.com"})
    assert post["author_id"] == bo["_id"] and post["status"] == "published"
    assert post["tags"] == ["Seeds", "Soil"] and "<strong>the</strong>" in post["html"]


async def test_post_create_draft_and_page(db, env):
    await cms(env, "site", "create", "garden")
    await cms(env, "user", "create", "ann@example.com", "--site", "garden", "--role", "owner")
    code, out, err = await cms(env, "post", "create", "--site", "garden", "--title", "Later", "--draft",
                               stdin="Not yet.")
    assert code == 0, err
    assert (await db.posts.find_one({"slug": "later"}))["status"] == "draft"
    code, out, err = await cms(env, "post", "create", "--site", "garden", "--title", "About", "--page",
                               stdin="Who we are.")
    assert code == 0 and "http://garden.localhost:8888/about" in out
    assert (await db.posts.find_one({"slug": "about"}))["type"] == "page"


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (["--site", "nosite", "--title", "T"], "Body", "no site named"),
        (["--site", "garden", "--title", "T"], "", "the body is empty"),
        (["--site", "garden", "--title", "T"], "   \n\n", "the body is empty"),
        (["--site", "garden", "--title", "Dup", "--slug", "taken"], "Body", "already used"),
        (["--site", "garden", "--title", "T", "--slug", "Not A Slug"], "Body", "invalid slug"),
        (["--site", "garden", "--title", "   "], "Body", "a title is required"),
        (["--site", "garden", "--title", "T", "--author", "stranger@example.com"], "Body", "not a member"),
        (["--site", "garden", "--title", "T"], "*a* " * 10000, "split it into shorter paragraphs"),
    ],
)
async def test_post_create_refuses_bad_input(db, env, args, stdin, message):
    await cms(env, "site", "create", "garden")
    await cms(env, "user", "create", "ann@example.com", "--site", "garden", "--role", "owner")
    await cms(env, "post", "create", "--site", "garden", "--title", "Taken", "--slug", "taken", stdin="x")
    await assert_refused(db, env, "post", "create", *args, stdin=stdin, message=message)


async def test_a_user_of_another_site_cannot_author_here(db, env):
    await cms(env, "site", "create", "garden")
    await cms(env, "site", "create", "kitchen")
    await cms(env, "user", "create", "ann@example.com", "--site", "garden", "--role", "owner")
    await cms(env, "user", "create", "chef@example.com", "--site", "kitchen", "--role", "owner")
    await assert_refused(db, env, "post", "create", "--site", "garden", "--title", "T",
                         "--author", "chef@example.com", stdin="Body", message="not a member")


async def test_the_same_slug_on_two_sites_is_fine(db, env):
    for name in ("garden", "kitchen"):
        await cms(env, "site", "create", name)
        await cms(env, "user", "create", "%s@example.com" % name, "--site", name, "--role", "owner")
        code, _, err = await cms(env, "post", "create", "--site", name, "--title", "Hello", stdin="Hi")
        assert code == 0, err
    assert await db.posts.count_documents({"slug": "hello"}) == 2


async def test_site_domains_sets_and_clears_custom_domains(db, env):
    await cms(env, "site", "create", "garden")
    code, out, err = await cms(env, "site", "domains", "garden", "Blog.Example.org", "www.blog.example.org")
    assert code == 0, err
    assert "blog.example.org verified" in out
    assert (await db.sites.find_one({"name": "garden"}))["domains"] == ["blog.example.org", "www.blog.example.org"]
    code, _, err = await cms(env, "site", "domains", "garden", "--clear")
    assert code == 0, err
    assert "domains" not in await db.sites.find_one({"name": "garden"})


async def test_site_domains_lists_them_with_their_state_and_changes_nothing(db, env):
    from cms.store.domains import SiteDomains

    await cms(env, "site", "create", "garden")
    await cms(env, "site", "domains", "garden", "blog.example.org", "old.example.org")
    site = await db.sites.find_one({"name": "garden"})
    domains = SiteDomains(db, site["_id"], "localhost")
    await domains.make_primary("blog.example.org")
    await domains.add("new.example.org", lambda name: "t" * 16 + "." + "m" * 22)
    before = await db.sites.find_one({"name": "garden"})
    code, out, err = await cms(env, "site", "domains", "garden")
    assert code == 0, err
    assert out.splitlines() == [
        "garden answers at http://blog.example.org/ (and redirects its other addresses there)",
        "blog.example.org verified primary",
        "old.example.org verified",
        "new.example.org unverified",
    ]
    assert await db.sites.find_one({"name": "garden"}) == before
    await assert_refused(db, env, "site", "domains", "nowhere", message="no site named 'nowhere'")


async def test_site_domains_route_yaml_is_one_route_per_verified_domain_like_the_templates(db, env):
    """Issue 17.6: each verified custom domain gets a Route as the template's own: edge TLS,
    HSTS, the same timeout and service; unverified domains get none."""
    import yaml

    from cms.store.domains import SiteDomains
    from tests.deploy.test_manifests import app_objects, one

    await cms(env, "site", "create", "garden")
    await cms(env, "site", "domains", "garden", "blog.example.org", "www.blog.example.org")
    site = await db.sites.find_one({"name": "garden"})
    await SiteDomains(db, site["_id"], "localhost").add("pending.example.org", lambda name: "t" * 16 + "." + "m" * 22)
    code, out, err = await cms(env, "site", "domains", "garden", "--route-yaml")
    assert code == 0, err
    document = yaml.safe_load(out)
    assert document["apiVersion"] == "v1" and document["kind"] == "List"
    routes = document["items"]
    assert sorted(r["spec"]["host"] for r in routes) == ["blog.example.org", "www.blog.example.org"]
    template_route = one(app_objects(), "Route", "cms")
    for route in routes:
        assert route["apiVersion"] == "route.openshift.io/v1" and route["kind"] == "Route"
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", route["metadata"]["name"])
        assert len(route["metadata"]["name"]) <= 63
        assert route["metadata"]["labels"]["app"] == "cms"
        assert route["metadata"]["annotations"] == template_route["metadata"]["annotations"]
        spec = route["spec"]
        assert spec["to"] == template_route["spec"]["to"] and spec["port"] == template_route["spec"]["port"]
        assert spec["tls"] == {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"}
        assert spec["wildcardPolicy"] == "None"
    assert len({r["metadata"]["name"] for r in routes}) == 2
    # Before its check can reach the app on OpenShift, a pending domain needs its Route too.
    code, out, err = await cms(env, "site", "domains", "garden", "--route-yaml", "--with-pending")
    assert code == 0 and len(yaml.safe_load(out)["items"]) == 3
    code, out, err = await cms(env, "site", "domains", "garden", "--clear", "--route-yaml")
    assert code == 0 and yaml.safe_load(out)["items"] == []


@pytest.mark.parametrize(
    "domain, message",
    [("not a domain", "invalid domain"), ("localhost", "invalid domain"), ("kitchen.localhost", "platform's own"),
     ("taken.example.org", "belongs to another site")],
)
async def test_site_domains_refuses_bad_or_taken_domains(db, env, domain, message):
    await cms(env, "site", "create", "garden")
    await cms(env, "site", "create", "kitchen")
    await cms(env, "site", "domains", "kitchen", "taken.example.org")
    await assert_refused(db, env, "site", "domains", "garden", domain, message=message)
    assert "domains" not in await db.sites.find_one({"name": "garden"})


async def test_a_database_newer_than_the_code_is_one_line_and_left_alone(db, env):
    from cms import migrations
    from cms.store.platform import Platform

    await Platform(db).set_schema_version(migrations.LATEST + 1)
    await assert_refused(db, env, "site", "create", "later", message="newer than this code knows")


async def test_signup_invite_makes_a_code_that_starts_one_site(db, env):
    from cms.store.signup import SignupCodes

    code, out, err = await cms({**env, "CMS_SIGNUP": "invite"}, "signup", "invite", "--note", "for Ada")
    assert code == 0, err
    made = out.splitlines()[0].removeprefix("invitation code: ")
    assert made and "/new" in out and "note:" not in out
    assert await SignupCodes(db).is_open(made)
    assert made not in repr(await db.signup_codes.find_one({}))  # only its hash is kept
    assert (await db.signup_codes.find_one({}))["note"] == "for Ada"
    # Said plainly when the platform does not ask for codes.
    code, out, _ = await cms(env, "signup", "invite")
    assert code == 0 and "CMS_SIGNUP is open" in out


async def test_signup_invite_refuses_a_code_good_for_no_time(db, env):
    before = await db.signup_codes.count_documents({})
    for days in ("0", "-1", "nan", "inf", "1000"):
        code, out, err = await cms(env, "signup", "invite", "--days", days)
        assert code == 1 and err.strip().splitlines() == [
            "error: a code must be valid for more than 0 and at most 366 days"], days
    assert (await cms(env, "signup", "invite", "--days", "soon"))[0] == 2  # argparse's usage error
    assert await db.signup_codes.count_documents({}) == before


async def test_an_unknown_signup_mode_is_one_line(db, env):
    code, _, err = await cms({**env, "CMS_SIGNUP": "sometimes"}, "signup", "invite")
    assert code == 1 and err.strip() == "error: CMS_SIGNUP must be one of open, invite, closed, got 'sometimes'"
