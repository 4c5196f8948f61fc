"""The admin on a phone (390×844) and on a desktop (issue 14, issue 16.18).

On a phone the menu is one button (a disclosure: keyboard and no script
needed), so every page starts with its own heading in the first screen;
nothing scrolls sideways; the editor's Save stays in sight. On a desktop the
menu is always shown, and the editor's settings do not scroll inside a box of
their own.
"""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from tornado.httpclient import AsyncHTTPClient

from tests.conftest import TEST_PASSWORD, Client
from tests.e2e.admin_fixtures import browser, live_app  # noqa: F401 (fixtures)
from tests.e2e.test_themes_browser import use_width
from tests.judges.world import ADMIN_SITE, OWNER_EMAIL, build

pytestmark = pytest.mark.e2e

# What a person sees of a page at its top, measured in the page (CSS pixels).
LAYOUT = """
const menu = document.getElementById('admin-menu-button');
const links = document.querySelector('nav.sidebar ul');
const h1 = document.querySelector('main h1');
const save = document.querySelector('.save-bar button[type=submit]');
const settings = document.querySelector('.editor .settings');
const box = e => e ? e.getBoundingClientRect() : null;
return {
  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  menuOpen: menu ? menu.getAttribute('aria-expanded') === 'true' : null,
  linksShown: links ? links.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true}) : null,
  h1Top: h1 ? box(h1).top : null,
  saveBox: save ? {top: box(save).top, bottom: box(save).bottom} : null,
  viewport: window.innerHeight,
  settingsScrolls: settings ? settings.scrollHeight > settings.clientHeight + 1
                              && getComputedStyle(settings).overflowY !== 'visible' : null,
};
"""


def sign_in(browser, live_app) -> dict:  # noqa: F811
    async def setup():
        http = AsyncHTTPClient(force_instance=True)
        try:
            world, _ = await build(live_app.db, Client(live_app.port, http))
        finally:
            http.close()
        return world

    world = live_app.call(setup)
    browser.get(live_app.url(ADMIN_SITE, "/login"))
    browser.find_element(By.NAME, "email").send_keys(OWNER_EMAIL)
    browser.find_element(By.NAME, "password").send_keys(TEST_PASSWORD)
    button = browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]")
    button.click()
    WebDriverWait(browser, 20).until(EC.staleness_of(button))
    WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.CSS_SELECTOR, "main h1")))
    return world.admin_pages


def layout(driver, url: str) -> dict:
    driver.get(url)
    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")
    return driver.execute_script(LAYOUT)


@pytest.mark.timeout(300)  # ~23 pages; a loaded machine is slow
def test_every_admin_page_fits_a_phone_with_the_menu_behind_one_button(live_app, browser):  # noqa: F811
    pages = sign_in(browser, live_app)
    use_width(browser, "phone")
    problems = []
    for name, path in pages.items():
        seen = layout(browser, live_app.url(ADMIN_SITE, path))
        if seen["overflow"] > 0:
            problems.append("%s: scrolls sideways by %d px" % (name, seen["overflow"]))
        if seen["menuOpen"] is not False or seen["linksShown"]:
            problems.append("%s: the menu is not collapsed (%s)" % (name, seen))
        if seen["h1Top"] is None or seen["h1Top"] > seen["viewport"] / 2:
            problems.append("%s: the page's heading starts at y=%s" % (name, seen["h1Top"]))
        if seen["saveBox"] is not None and not (0 <= seen["saveBox"]["top"] and seen["saveBox"]["bottom"] <= seen["viewport"]):
            problems.append("%s: Save is out of sight at y=%s" % (name, seen["saveBox"]))
    assert not problems, "\n".join(problems)

    # The menu button opens by keyboard and shows every link, the current page marked; Escape closes it.
    layout(browser, live_app.url(ADMIN_SITE, pages["posts"]))
    button = browser.find_element(By.ID, "admin-menu-button")
    assert button.text.startswith("Menu")
    button.send_keys(Keys.ENTER)
    current = (By.CSS_SELECTOR, "nav.sidebar a[aria-current=page]")
    WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: d.find_element(*current).is_displayed())
    assert browser.find_element(*current).text == "Posts"
    assert button.get_attribute("aria-expanded") == "true"
    assert browser.execute_script(LAYOUT)["overflow"] == 0
    browser.find_element(*current).send_keys(Keys.ESCAPE)
    WebDriverWait(browser, 20).until(lambda d: not d.find_element(*current).is_displayed())
    assert browser.switch_to.active_element == button

    # Save, at the bottom of the screen, saves; Move to Trash beside it can be read (media.css
    # once painted its text in its own background colour).
    layout(browser, live_app.url(ADMIN_SITE, pages["editor"]))
    colours = browser.execute_script("const s = getComputedStyle(document.getElementById('delete-post'));"
                                      "return [s.color, s.backgroundColor];")
    assert colours[0] != colours[1], colours
    title = browser.find_element(By.NAME, "title")
    title.send_keys(" (phone)")
    save = browser.find_element(By.CSS_SELECTOR, ".save-bar button[type=submit]")
    save.click()
    WebDriverWait(browser, 20).until(EC.staleness_of(title))
    WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    assert browser.find_element(By.NAME, "title").get_attribute("value").endswith("(phone)")


def test_on_a_desktop_the_menu_is_shown_and_the_editor_settings_do_not_scroll_in_a_box(live_app, browser):  # noqa: F811
    pages = sign_in(browser, live_app)
    use_width(browser, "desktop")
    for name in ("dashboard", "editor"):
        seen = layout(browser, live_app.url(ADMIN_SITE, pages[name]))
        assert seen["linksShown"], (name, seen)
        assert not browser.find_element(By.ID, "admin-menu-button").is_displayed()
        assert seen["overflow"] == 0, (name, seen)
    assert seen["settingsScrolls"] is False, seen


def test_without_javascript_a_phone_gets_the_menu_shown_and_no_dead_button(live_app, browser):  # noqa: F811
    pages = sign_in(browser, live_app)
    use_width(browser, "phone")
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.get(live_app.url(ADMIN_SITE, pages["posts"]))
        WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.CSS_SELECTOR, "main h1")))
        assert browser.find_element(By.CSS_SELECTOR, "nav.sidebar a[aria-current=page]").is_displayed()
        assert not browser.find_element(By.ID, "admin-menu-button").is_displayed()
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


def test_the_preview_shows_the_whole_magazine_header_on_a_phone(live_app, browser):  # noqa: F811
    sign_in(browser, live_app)
    browser.get(live_app.url("mag", "/login"))  # one sign-in per site host
    browser.find_element(By.NAME, "email").send_keys(OWNER_EMAIL)
    browser.find_element(By.NAME, "password").send_keys(TEST_PASSWORD)
    button = browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]")
    button.click()
    WebDriverWait(browser, 20).until(EC.staleness_of(button))
    use_width(browser, "phone")
    browser.get(live_app.url("mag", "/admin/posts"))
    browser.get(browser.find_element(By.CSS_SELECTOR, "table.list td a").get_attribute("href"))
    frame = browser.find_element(By.ID, "preview")
    WebDriverWait(browser, 20).until(lambda d: "masthead" in (frame.get_attribute("srcdoc") or ""))
    browser.switch_to.frame(frame)
    try:
        WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".masthead__search button")))
        seen = browser.execute_script("""
            const search = document.querySelector('.masthead__search button').getBoundingClientRect();
            return {overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
                    right: search.right, width: document.documentElement.clientWidth};""")
    finally:
        browser.switch_to.default_content()
    assert seen["overflow"] <= 0 and seen["right"] <= seen["width"], seen
