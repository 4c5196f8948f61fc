"""Signing in and writing with the live preview, in a real Chromium."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import TEST_PASSWORD
from tests.e2e.admin_fixtures import browser, live_app  # noqa: F401 (fixtures)
from tests.e2e.test_themes_browser import problems

pytestmark = pytest.mark.e2e


def sign_in(live_app, browser, site: str, email: str) -> None:  # noqa: F811
    browser.get(live_app.url(site, "/admin/"))
    WebDriverWait(browser, 10).until(EC.url_contains("/login"))
    browser.find_element(By.NAME, "email").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(TEST_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".page-head h1")))


def test_sign_in_then_write_with_live_preview_and_autosave(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        user = await live_app.world.member(store, "author", name="Ada Author")
        return store, user

    store, user = live_app.call(setup)
    browser.get(live_app.url("alpha", "/admin/"))
    WebDriverWait(browser, 10).until(EC.url_contains("/login"))
    browser.find_element(By.NAME, "email").send_keys(user["email"])
    browser.find_element(By.NAME, "password").send_keys("not it at all")
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    alert = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.error")))
    assert "do not match" in alert.text

    sign_in(live_app, browser, "alpha", user["email"])
    assert browser.find_element(By.CSS_SELECTOR, ".page-head h1").text == "Dashboard"
    assert "Ada Author" in browser.find_element(By.CSS_SELECTOR, ".whoami").text

    browser.get_log("browser")  # drop the failed sign-in's 401 from the console log
    browser.get(live_app.url("alpha", "/admin/posts/new"))
    browser.find_element(By.NAME, "title").send_keys("Spring Notes!")
    assert browser.find_element(By.NAME, "slug").get_attribute("value") == "spring-notes"
    browser.find_element(By.NAME, "markdown").send_keys("Hello *bright* world")
    frame = browser.find_element(By.ID, "preview")
    WebDriverWait(browser, 10).until(lambda b: "<em>bright</em>" in (frame.get_attribute("srcdoc") or ""))
    srcdoc = frame.get_attribute("srcdoc")
    assert "Alpha Blog" in srcdoc and "Spring Notes!" in srcdoc  # rendered in the site's theme
    WebDriverWait(browser, 10).until(
        lambda b: b.find_element(By.ID, "autosave-status").get_attribute("data-state") == "saved")
    kept = live_app.call(lambda: store.autosaves.get("new-post", user["_id"]))
    assert kept["fields"]["markdown"] == "Hello *bright* world"
    assert live_app.call(lambda: store.posts.admin_list("post")).total == 0  # autosave created nothing
    # Nothing the Content-Security-Policy refuses: not in the editor, its WebSocket or the preview frame.
    assert problems(browser) == []

    browser.find_element(By.CSS_SELECTOR, "input[name=state][value=published]").click()
    browser.find_element(By.CSS_SELECTOR, ".settings button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    browser.get(live_app.url("alpha", "/posts/spring-notes"))
    assert "bright" in browser.find_element(By.CSS_SELECTOR, ".post__body").text
