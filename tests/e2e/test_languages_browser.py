"""An admin switches the site's language in Settings and the site speaks it, in a real
Chromium: the home page's words and dates change, and the live "N new posts"
banner, written by the page's script, says it in German too."""

from __future__ import annotations

import datetime as dt

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.e2e.admin_fixtures import browser, live_app, second_browser  # noqa: F401 (fixtures)
from tests.e2e.test_admin_browser import sign_in

pytestmark = pytest.mark.e2e
MARCH = dt.datetime(2026, 3, 5, 10, 0, tzinfo=dt.timezone.utc)


def main_text(driver) -> str:
    return driver.find_element(By.ID, "content").text


def test_switching_the_language_in_settings_changes_the_home_page(live_app, browser, second_browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("sprache", title="Sprache")
        admin = await live_app.world.member(store, "admin", name="Ada Admin")
        await live_app.world.post(store, admin, "Erster Beitrag", published_at=MARCH)
        return store, admin

    store, admin = live_app.call(setup)
    browser.get(live_app.url("sprache", "/"))
    assert "1 min read" in main_text(browser) and "5 March 2026" in main_text(browser)

    sign_in(live_app, browser, "sprache", admin["email"])
    browser.get(live_app.url("sprache", "/admin/settings"))
    picker = Select(browser.find_element(By.NAME, "language"))
    assert picker.first_selected_option.text == "English"
    assert [o.text for o in picker.options][:5] == ["English", "Deutsch", "Français", "Español", "日本語"]
    picker.select_by_visible_text("Deutsch")
    form = browser.find_element(By.ID, "site-settings")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 20).until(EC.staleness_of(form))
    WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    assert Select(browser.find_element(By.NAME, "language")).first_selected_option.text == "Deutsch"

    # A reader may get the copy kept from before for a moment while the new one renders
    # (cms/pagecache.py); a reload soon brings the German page.
    reader = second_browser

    def german(driver):
        driver.get(live_app.url("sprache", "/"))
        return driver.execute_script("return document.documentElement.lang") == "de"

    WebDriverWait(reader, 20, poll_frequency=0.5).until(german)
    text = main_text(reader)
    assert "1 Min. Lesezeit" in text and "5. März 2026" in text and "min read" not in text
    assert reader.find_element(By.ID, "search-q").get_attribute("placeholder") == "Suchen …"
    banner = reader.find_element(By.CSS_SELECTOR, "[data-live]")
    WebDriverWait(reader, 20).until(lambda _: banner.get_attribute("data-live-state") == "open")

    # The editor publishes; the reader's open page announces it in German, in the singular.
    browser.get(live_app.url("sprache", "/admin/posts/new"))
    browser.find_element(By.NAME, "title").send_keys("Zweiter Beitrag")
    browser.find_element(By.NAME, "markdown").send_keys("Neu.")
    browser.find_element(By.CSS_SELECTOR, "input[name=state][value=published]").click()
    editor_form = browser.find_element(By.CSS_SELECTOR, ".settings button[type=submit]")
    editor_form.click()

    def announced(driver):
        button = driver.find_element(By.CSS_SELECTOR, "[data-live] button")
        return button.is_displayed() and button.text

    said = WebDriverWait(reader, 20, ignored_exceptions=(StaleElementReferenceException,)).until(announced)
    assert said == "1 neuer Beitrag: anzeigen"
    errors = [entry for entry in reader.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors
