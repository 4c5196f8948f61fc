"""The account page's password change and the editor's tag suggestions, in a real Chromium."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import TEST_PASSWORD
from tests.e2e.admin_fixtures import browser, live_app, second_browser  # noqa: F401 (fixtures)
from tests.e2e.test_admin_browser import sign_in

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "a long and fresh passphrase"


def test_changing_the_password_keeps_this_browser_in_and_signs_the_other_out(live_app, browser, second_browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        return await live_app.world.member(store, "author", name="Ada Author")

    user = live_app.call(setup)
    sign_in(live_app, browser, "alpha", user["email"])
    sign_in(live_app, second_browser, "alpha", user["email"])
    browser.find_element(By.LINK_TEXT, "Your account").click()
    WebDriverWait(browser, 10).until(EC.url_contains("/admin/account"))
    assert "every site you belong to" in browser.find_element(By.ID, "account-scope").text
    password = browser.find_element(By.ID, "password")
    password.find_element(By.NAME, "current_password").send_keys("not my password")
    password.find_element(By.NAME, "new_password").send_keys(NEW_PASSWORD)
    password.find_element(By.NAME, "confirm_password").send_keys(NEW_PASSWORD)
    password.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    alert = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#password .alert.error")))
    assert "current password is not right" in alert.text

    password = browser.find_element(By.ID, "password")
    password.find_element(By.NAME, "current_password").send_keys(TEST_PASSWORD)
    password.find_element(By.NAME, "new_password").send_keys(NEW_PASSWORD)
    password.find_element(By.NAME, "confirm_password").send_keys(NEW_PASSWORD)
    password.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    done = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    assert "Every other session of yours has ended" in done.text
    browser.get(live_app.url("alpha", "/admin/"))  # still signed in here
    assert browser.find_element(By.CSS_SELECTOR, ".page-head h1").text == "Dashboard"
    second_browser.get(live_app.url("alpha", "/admin/"))  # the other browser is signed out
    WebDriverWait(second_browser, 10).until(EC.url_contains("/login"))


def test_signing_out_another_device_from_the_account_page(live_app, browser, second_browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        return await live_app.world.member(store, "editor", name="Eve Editor")

    user = live_app.call(setup)
    sign_in(live_app, browser, "alpha", user["email"])
    sign_in(live_app, second_browser, "alpha", user["email"])
    browser.get(live_app.url("alpha", "/admin/account"))
    devices = browser.find_elements(By.CSS_SELECTOR, "#sessions li.device")
    assert len(devices) == 2 and all("Chrome on Linux" in device.text for device in devices)
    other = next(device for device in devices if "(this device)" not in device.text)
    other.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    done = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    assert "That device is signed out" in done.text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#sessions li.device")) == 1
    second_browser.get(live_app.url("alpha", "/admin/"))
    WebDriverWait(second_browser, 10).until(EC.url_contains("/login"))


def test_tag_suggestions_by_keyboard(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha")
        user = await live_app.world.member(store, "author")
        await live_app.world.post(store, user, "Old one", tags=["Gardening", "Garlic"])
        await live_app.world.post(store, user, "Unpublished", tags=["Garage sale"], status="draft")
        other = await live_app.world.site("beta")
        await live_app.world.post(other, await live_app.world.member(other, "owner"), "Theirs", tags=["Garnet"])
        return user

    user = live_app.call(setup)
    sign_in(live_app, browser, "alpha", user["email"])
    browser.get(live_app.url("alpha", "/admin/posts/new"))
    tags = browser.find_element(By.NAME, "tags")
    listbox = browser.find_element(By.ID, "tag-suggestions")
    tags.send_keys("Kitchen, gar")
    WebDriverWait(browser, 10).until(lambda b: listbox.is_displayed())
    names = [o.get_attribute("data-name") for o in listbox.find_elements(By.CSS_SELECTOR, "[role=option]")]
    assert sorted(names) == ["Garage sale", "Gardening", "Garlic"]  # a draft's tag too; never beta's "Garnet"
    assert tags.get_attribute("aria-expanded") == "true"
    tags.send_keys(Keys.ARROW_DOWN, Keys.ARROW_DOWN)
    second = listbox.find_elements(By.CSS_SELECTOR, "[role=option]")[1]
    assert second.get_attribute("aria-selected") == "true"
    assert tags.get_attribute("aria-activedescendant") == second.get_attribute("id")
    picked = second.get_attribute("data-name")
    tags.send_keys(Keys.ENTER)  # picks the tag; the form is not submitted
    assert tags.get_attribute("value") == "Kitchen, %s, " % picked
    assert not listbox.is_displayed() and "/admin/posts/new" in browser.current_url
    tags.send_keys("gar")
    WebDriverWait(browser, 10).until(lambda b: listbox.is_displayed())
    assert picked not in [o.get_attribute("data-name") for o in listbox.find_elements(By.CSS_SELECTOR, "[role=option]")]
    tags.send_keys(Keys.ESCAPE)
    assert not listbox.is_displayed() and tags.get_attribute("aria-expanded") == "false"
    assert tags.get_attribute("value") == "Kitchen, %s, gar" % picked
