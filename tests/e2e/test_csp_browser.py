"""Every admin page and the platform's own, in a real Chromium with the Content-Security-Policy on.

The admin pages are enumerated from the routes themselves (as
tests/http/test_admin_protection.py does), so a new page that needs an inline
script or style, or loads something from elsewhere, fails here. (Reader pages
are swept by test_themes_browser.py in every theme.)
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from cms.handlers.account import account_routes
from cms.handlers.admin import AdminBase, admin_routes
from cms.handlers.auth import auth_routes
from cms.handlers.media import media_routes
from cms.handlers.site_admin import site_admin_routes
from tests.e2e.admin_fixtures import browser, live_app  # noqa: F401 (fixtures)
from tests.e2e.test_admin_browser import sign_in
from tests.http.test_admin_protection import concrete

pytestmark = pytest.mark.e2e


def admin_pages() -> list[str]:
    """The path patterns of every admin page a browser can open (GET, not the preview's WebSocket)."""
    found = []
    for spec in auth_routes() + admin_routes() + account_routes() + site_admin_routes() + media_routes():
        handler = spec.target
        if not (isinstance(handler, type) and issubclass(handler, AdminBase)) or "/static/" in spec.regex.pattern:
            continue
        if getattr(handler.get, "__qualname__", "").startswith("RequestHandler.") or hasattr(handler, "on_message"):
            continue
        found.append(spec.regex.pattern)
    return found


def refused(driver) -> list[str]:
    """What the policy refused on the current page, and any sub-resource that failed to load.

    The page itself may be a 4xx (a route given another kind of id); that is not a problem here.
    """
    found = [entry["message"] for entry in driver.get_log("browser")
             if entry["level"] == "SEVERE" and driver.current_url not in entry["message"]]
    found += driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".filter(e => e.responseStatus && e.responseStatus >= 400).map(e => e.name + ' ' + e.responseStatus)"
    )
    return found


def test_every_admin_page_and_the_platform_load_with_nothing_refused(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        owner = await live_app.world.member(store, "owner", name="Olive Owner")
        post = await live_app.world.post(store, owner, "Guarded", markdown="Some *text*.", tags=["news"])
        return owner, post

    owner, post = live_app.call(setup)
    sign_in(live_app, browser, "alpha", owner["email"])
    pages = admin_pages()
    assert len(pages) >= 12  # the enumeration really sees the admin
    for pattern in pages:
        path = concrete(pattern, post["_id"])
        browser.get(live_app.url("alpha", path))
        assert refused(browser) == [], path
    # The editor's live preview renders the theme inside the admin's policy.
    browser.get(live_app.url("alpha", "/admin/posts/%s" % post["_id"]))
    frame = browser.find_element(By.ID, "preview")
    WebDriverWait(browser, 10).until(lambda b: "<em>text</em>" in (frame.get_attribute("srcdoc") or ""))
    assert refused(browser) == []
    # The platform's own page takes a nonce for its inline style.
    browser.get("http://localhost:%d/" % live_app.port)
    assert refused(browser) == []
