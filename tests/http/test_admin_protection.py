"""Every admin route and every method, enumerated from the application itself.

For each state-changing method: without a valid XSRF token the request is
refused with 403 and the database is unchanged; with a token, a person without
the role the method declares -- a non-member signed in here, another site's
owner, a visitor -- is refused too, and nothing changes. Every admin method
must declare a role (`requires`), so a new handler cannot forget it.
"""

from __future__ import annotations

import re

import pytest

from cms.handlers import accounts, auth, handover
from cms.handlers.admin import ROLE_RANK, AdminBase, has_role
from cms.store import ROLES
from tests.admin_session import Session, form, signed_in

STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
# Public by design: anyone may try to sign in (with a password or Google), signing
# out needs no role, an invitation's holder is not a member yet, and a handover
# token from the platform is a sign-in (its holder's membership is checked there; its
# start only sets this browser's nonce and goes to the platform), and a link from an e-mail (confirm an address, reset a password) is for someone not signed in.
NO_ROLE = {(accounts.ConfirmHandler, "GET"), (accounts.ConfirmHandler, "POST"),
           (accounts.ResetRequestHandler, "GET"), (accounts.ResetRequestHandler, "POST"),
           (accounts.ResetHandler, "GET"), (accounts.ResetHandler, "POST"),
           (auth.LoginHandler, "GET"), (auth.LoginHandler, "POST"), (auth.LogoutHandler, "GET"),
           (auth.LogoutHandler, "POST"), (auth.GoogleLoginHandler, "GET"), (auth.InvitationHandler, "GET"),
           (auth.InvitationHandler, "POST"), (handover.HandoverHandler, "GET"),
           (handover.StartHandler, "GET")}


def admin_endpoints(app) -> list[tuple[str, type, str]]:
    """(path regex, handler class, method) for every admin/auth handler method."""
    found = []
    for rule in app.wildcard_router.rules:
        handler = rule.target
        if not (isinstance(handler, type) and issubclass(handler, AdminBase)):
            continue
        for method in ("GET",) + STATE_CHANGING:
            implementation = getattr(handler, method.lower())
            if getattr(implementation, "__qualname__", "").startswith("RequestHandler."):
                continue  # not implemented: Tornado answers 405
            found.append((rule.matcher.regex.pattern, handler, method))
    return found


def concrete(pattern: str, post_id: str) -> str:
    path = pattern.rstrip("$").replace("/?", "/")
    path = path.replace("(posts|pages)", "posts").replace("(new|[0-9a-f]{24})", post_id)
    path = path.replace("([0-9a-f]{24})", post_id).replace("([A-Za-z0-9_-]{1,100})", "not-a-token")
    path = path.replace("([0-9]{1,9})", "1")  # a version of a post (History)
    path = re.sub(r"\(([a-z-]+)(?:\|[a-z-]+)+\)", r"\1", path)  # an action out of a list: its first
    assert "(" not in path, "teach this test the route %s" % pattern
    return path.replace("\\", "")


def test_every_admin_method_declares_a_role(app):
    endpoints = admin_endpoints(app)
    assert len(endpoints) >= 12  # the enumeration really sees the admin
    for _, handler, method in endpoints:
        required = getattr(getattr(handler, method.lower()), "required_role", None)
        if (handler, method) in NO_ROLE:
            assert required is None
        else:
            assert required in ROLE_RANK, "%s.%s has no role check" % (handler.__name__, method.lower())


async def snapshot(db) -> dict:
    state = {}
    for name in ("posts", "revisions", "autosaves", "users", "memberships", "sites", "invitations", "changes"):
        state[name] = sorted([repr(sorted(doc.items())) async for doc in db[name].find({})])
    return state


@pytest.fixture
async def scene(world, client):
    alpha = await world.site("alpha")
    beta = await world.site("beta")
    people = {role: await world.member(alpha, role) for role in ROLES}
    post = await world.post(alpha, people["owner"], "Guarded", markdown="original", status="published")
    outsider = await world.member(beta, "owner")
    return {"alpha": alpha, "people": people, "post": post, "outsider": outsider}


def body_for(post: dict) -> dict:
    return form(title="Changed", markdown="changed", state="draft", version=str(post["version"]),
                revision="1", action="")


async def test_state_changing_requests_without_xsrf_are_refused_and_change_nothing(app, client, db, scene):
    owner = await signed_in(client, "alpha", scene["people"]["owner"])
    checked = 0
    for pattern, _handler, method in admin_endpoints(app):
        if method not in STATE_CHANGING:
            continue
        path = concrete(pattern, scene["post"]["_id"])
        before = await snapshot(db)
        for variant in ("missing", "forged"):
            fields = body_for(scene["post"])
            if variant == "forged":
                fields["_xsrf"] = "2|00000000|" + "0" * 32 + "|1700000000"
            response = await owner.fetch(path, method, form=fields, xsrf=False)
            assert response.code == 403, (method, path, variant, response.code)
        assert await snapshot(db) == before, (method, path)
        checked += 1
    assert checked >= 7


async def test_people_without_the_role_are_refused_everywhere(app, client, db, world, scene):
    alpha, post = scene["alpha"], scene["post"]
    # Signed in here, then removed from the site: a valid session, no membership.
    former_user = await world.member(alpha, "editor")
    former = await signed_in(client, "alpha", former_user)
    await db.memberships.delete_many({"user_id": former_user["_id"]})
    # Another site's owner, replaying their cookie on this host.
    foreign = await signed_in(client, "beta", scene["outsider"])
    replayed = Session(client, "alpha")
    replayed.cookies = dict(foreign.cookies)
    visitor = Session(client, "alpha")
    await visitor.get("/login")
    members = {role: await signed_in(client, "alpha", user) for role, user in scene["people"].items()}
    for pattern, handler, method in admin_endpoints(app):
        required = getattr(getattr(handler, method.lower()), "required_role", None)
        if required is None:
            continue
        path = concrete(pattern, post["_id"])
        before = await snapshot(db)
        for who in (former, replayed, visitor):
            if method == "GET":
                response = await who.get(path)
                assert response.code in (302, 403), (who.host, method, path, response.code)
                if response.code == 302:
                    assert response.headers["Location"].startswith("/login?next=")
            else:
                response = await who.fetch(path, method, form=body_for(post))
                assert response.code == 403, (method, path, response.code)
        for role, session in members.items():
            if has_role(role, required):
                continue
            response = await session.fetch(path, method, form=body_for(post) if method != "GET" else None)
            assert response.code == 403, (role, method, path)
        assert await snapshot(db) == before, (method, path)


async def test_per_post_rights_hold_on_every_post_route(app, client, db, scene):
    """A contributor has the role for these routes, but not on the owner's published post."""
    contributor = await signed_in(client, "alpha", scene["people"]["contributor"])
    post = scene["post"]
    before = await snapshot(db)
    for pattern, _handler, method in admin_endpoints(app):
        if "([0-9a-f]{24})" not in pattern and "(new|" not in pattern:
            continue
        if pattern.startswith("/admin/sessions/"):
            continue  # one's own sessions, not posts: any other id is a 404 (tests/http/test_sessions.py)
        if pattern.startswith("/admin/trash/"):
            continue  # posts in the trash only: a live post's id is a 404 there (tests/http/test_trash.py)
        path = concrete(pattern, post["_id"])
        response = await contributor.fetch(path, method, form=body_for(post) if method != "GET" else None)
        assert response.code == 403, (method, path, response.code)
    assert await snapshot(db) == before


async def test_the_xsrf_header_alone_is_accepted_for_scripts(client, scene):
    owner = await signed_in(client, "alpha", scene["people"]["owner"])
    path = "/admin/posts/%s/autosave" % scene["post"]["_id"]
    response = await owner.fetch(path, "POST", form={"markdown": "typed"}, xsrf=False,
                                 headers={"X-XSRFToken": owner.xsrf})
    assert response.code == 200
    assert re.match(rb'\{"saved_at": "[0-9:]+", "rev": "[0-9a-f]{24}"\}', response.body)
