"""Two editors in two real Chromiums with the same post open (issue 12): each sees the
other, a save by one is announced to the other at once with a way to load it, and a
closed editor is no longer shown."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.admin_fixtures import browser, live_app, second_browser  # noqa: F401 (fixtures)
from tests.e2e.test_admin_browser import sign_in

pytestmark = pytest.mark.e2e

WAIT = 20


def shown_text(driver, element_id: str) -> str:
    """The text of an element once the page shows it ("" while hidden), asked again if it is replaced."""
    element = driver.find_element(By.ID, element_id)
    return element.text if element.is_displayed() else ""


def test_two_editors_see_each_other_and_a_save_is_announced_at_once(live_app, browser, second_browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha")
        ana = await live_app.world.member(store, "editor", name="Ana")
        bob = await live_app.world.member(store, "editor", name="Bob")
        post = await live_app.world.post(store, ana, "Shared", markdown="The first line.")
        return store, ana, bob, post

    store, ana, bob, post = live_app.call(setup)
    path = "/admin/posts/%s" % post["_id"]
    for driver, person in ((browser, ana), (second_browser, bob)):
        sign_in(live_app, driver, "alpha", person["email"])
        driver.get(live_app.url("alpha", path))
    waits = {d: WebDriverWait(d, WAIT, ignored_exceptions=(StaleElementReferenceException,))
             for d in (browser, second_browser)}
    waits[browser].until(lambda d: shown_text(d, "other-editors") == "Bob is also editing.")
    waits[second_browser].until(lambda d: shown_text(d, "other-editors") == "Ana is also editing.")

    # Bob saves: Ana is told at once, before any save of hers meets the conflict view.
    old_text = second_browser.find_element(By.NAME, "markdown")
    old_text.send_keys("\nBob was here.")
    second_browser.find_element(By.CSS_SELECTOR, ".save-bar button[type=submit]").click()
    WebDriverWait(second_browser, WAIT).until(EC.staleness_of(old_text))
    WebDriverWait(second_browser, WAIT).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    banner = waits[browser].until(EC.visibility_of_element_located((By.ID, "newer-version")))
    assert "Bob saved a newer version (version 2)" in banner.text
    assert not second_browser.find_element(By.ID, "newer-version").is_displayed()  # not told of his own save
    # Bob's page was loaded anew after his save: Ana still sees him (one line, not two).
    waits[browser].until(lambda d: shown_text(d, "other-editors") == "Bob is also editing.")

    text = browser.find_element(By.NAME, "markdown")
    banner.find_element(By.LINK_TEXT, "Load it").click()
    WebDriverWait(browser, WAIT).until(EC.staleness_of(text))
    WebDriverWait(browser, WAIT).until(
        lambda d: d.find_element(By.NAME, "markdown").get_attribute("value").endswith("Bob was here."))
    assert browser.find_element(By.NAME, "version").get_attribute("value") == "2"

    # Bob leaves the editor: Ana no longer sees him.
    waits[browser].until(lambda d: shown_text(d, "other-editors") == "Bob is also editing.")
    second_browser.get(live_app.url("alpha", "/admin/"))
    waits[browser].until(lambda d: shown_text(d, "other-editors") == "")


def test_where_websockets_are_blocked_the_editor_beats_by_post_and_hears_the_same(
        live_app, browser, second_browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha")
        ana = await live_app.world.member(store, "editor", name="Ana")
        bob = await live_app.world.member(store, "editor", name="Bob")
        post = await live_app.world.post(store, ana, "Shared", markdown="The first line.")
        return ana, bob, post

    ana, bob, post = live_app.call(setup)
    path = "/admin/posts/%s" % post["_id"]
    # Bob's browser has no WebSocket (a proxy or a policy that blocks them, as far as the page can tell).
    second_browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                   {"source": "window.WebSocket = undefined;"})
    for driver, person in ((browser, ana), (second_browser, bob)):
        sign_in(live_app, driver, "alpha", person["email"])
        driver.get(live_app.url("alpha", path))
    waits = {d: WebDriverWait(d, WAIT, ignored_exceptions=(StaleElementReferenceException,))
             for d in (browser, second_browser)}
    waits[second_browser].until(lambda d: d.find_element(By.ID, "editor").get_attribute("data-presence") == "polling")
    waits[second_browser].until(lambda d: shown_text(d, "other-editors") == "Ana is also editing.")
    waits[browser].until(lambda d: shown_text(d, "other-editors") == "Bob is also editing.")

    # Ana saves on her socket's page: Bob hears of it at his next beat.
    old_text = browser.find_element(By.NAME, "markdown")
    old_text.send_keys("\nAna was here.")
    browser.find_element(By.CSS_SELECTOR, ".save-bar button[type=submit]").click()
    WebDriverWait(browser, WAIT).until(EC.staleness_of(old_text))
    banner = waits[second_browser].until(EC.visibility_of_element_located((By.ID, "newer-version")))
    assert "Ana saved a newer version (version 2)" in banner.text
