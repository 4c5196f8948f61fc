"""axe-core judges every reader page type of the three themes at desktop and phone widths, and
every admin page, each in the light and the dark colour scheme.

One browser, one test per theme and width, looping over the pages: a
violation names the page, the scheme, the rule and the elements, so it can be
fixed in the theme's CSS or templates. The pages and their content are the
other judges' (tests/judges/world.py).
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from tornado.httpclient import AsyncHTTPClient

from tests.conftest import TEST_PASSWORD, Client
from tests.e2e.admin_fixtures import live_app  # noqa: F401 (fixture)
from tests.e2e.axe import axe_violations
from tests.e2e.conftest import THEMED_SITES
from tests.e2e.test_themes_browser import WIDTHS, use_width
from tests.judges.world import ADMIN_SITE, OWNER_EMAIL, READER_PAGES, build

pytestmark = pytest.mark.e2e

SCHEMES = ("light", "dark")


def set_scheme(browser, scheme: str) -> None:
    """The page as a browser set to a light or dark colour scheme shows it (the themes and the
    admin follow ``prefers-color-scheme``): CSS media queries apply at once, no reload."""
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": scheme}]})


def judge(browser, url: str) -> list[str]:
    """axe's violations on ``url`` in the light and the dark colour scheme: one load, two runs."""
    found = []
    set_scheme(browser, "light")
    browser.get(url)
    for scheme in SCHEMES:
        set_scheme(browser, scheme)
        found += ["%s (%s): %s" % (url, scheme, line) for line in axe_violations(browser)]
    set_scheme(browser, "light")
    return found


@pytest.mark.timeout(300)  # 8 pages × 2 schemes; a loaded machine is slow
@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("site", list(THEMED_SITES))  # journal, magazine, dusk
def test_reader_pages_have_no_axe_violations(browser, live_server, site, width):
    use_width(browser, width)
    try:
        found = [line for path in READER_PAGES.values() for line in judge(browser, live_server.url(site, path))]
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert not found, "\n".join(found)


@pytest.mark.timeout(300)  # ~23 pages × 2 schemes
def test_every_admin_page_has_no_axe_violations(live_app, browser):  # noqa: F811
    async def setup():
        http = AsyncHTTPClient(force_instance=True)
        try:
            world, _ = await build(live_app.db, Client(live_app.port, http))
        finally:
            http.close()
        return world

    world = live_app.call(setup)
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})  # demo.localhost of earlier tests' servers
    browser.get(live_app.url(ADMIN_SITE, "/admin/"))
    WebDriverWait(browser, 20).until(EC.url_contains("/login"))
    browser.find_element(By.NAME, "email").send_keys(OWNER_EMAIL)
    browser.find_element(By.NAME, "password").send_keys(TEST_PASSWORD)
    form = browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]")
    form.click()
    WebDriverWait(browser, 20).until(EC.staleness_of(form))
    WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".page-head h1")))
    found = [line for path in world.admin_pages.values() for line in judge(browser, live_app.url(ADMIN_SITE, path))]
    assert not found, "\n".join(found)
