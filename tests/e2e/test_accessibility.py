"""axe-core judges every reader page type of both themes at desktop and phone widths, and the admin.

One browser, one test per theme and width, looping over the pages: a
violation names the page, the rule and the elements, so it can be fixed in
the theme's CSS or templates.
"""

from __future__ import annotations

import datetime as dt

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import TEST_PASSWORD
from tests.e2e.admin_fixtures import live_app  # noqa: F401 (fixture)
from tests.e2e.axe import axe_violations
from tests.e2e.test_themes_browser import WIDTHS, use_width

pytestmark = pytest.mark.e2e

READER_PAGES = {
    "home": "/",
    "post": "/posts/markdown-tour",
    "post with code": "/posts/code-highlighting",
    "tag": "/tags/writing",
    "author": "/authors/maya",
    "page": "/about",
    "search": "/search?q=markdown",
    "404": "/no-such-page",
}


def judge(browser, url: str) -> list[str]:
    browser.get(url)
    return ["%s: %s" % (url, line) for line in axe_violations(browser)]


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("site", ["demo", "mag"])  # journal, magazine
def test_reader_pages_have_no_axe_violations(browser, live_server, site, width):
    use_width(browser, width)
    try:
        found = [line for path in READER_PAGES.values() for line in judge(browser, live_server.url(site, path))]
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert not found, "\n".join(found)


def test_admin_pages_have_no_axe_violations(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("judged", title="Judged Blog")
        owner = await live_app.world.member(store, "owner", name="Olu Owner")
        await live_app.world.post(store, owner, "A draft", status="draft")
        await live_app.world.post(store, owner, "Coming soon",  # the scheduled badge is judged too
                                  published_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2))
        post = await live_app.world.post(store, owner, "Published with code",
                                         markdown="Some code:\n\n```python\nimport asyncio\n```\n")
        return owner, post

    owner, post = live_app.call(setup)
    browser.get(live_app.url("judged", "/admin/"))
    WebDriverWait(browser, 10).until(EC.url_contains("/login"))
    browser.find_element(By.NAME, "email").send_keys(owner["email"])
    browser.find_element(By.NAME, "password").send_keys(TEST_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".page-head h1")))
    pages = ["/admin/", "/admin/posts", "/admin/posts/%s" % post["_id"], "/admin/posts/new",
             "/admin/settings", "/admin/theme", "/admin/media"]
    found = [line for path in pages for line in judge(browser, live_app.url("judged", path))]
    assert not found, "\n".join(found)
