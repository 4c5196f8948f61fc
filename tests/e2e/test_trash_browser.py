"""The Trash in a real Chromium (issue 16 point 6): an editor deletes a published post
from the editor, readers lose it, it is listed in the Trash, Restore brings it back."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.admin_fixtures import browser, live_app  # noqa: F401 (fixtures)
from tests.e2e.test_admin_browser import sign_in

pytestmark = pytest.mark.e2e


def test_delete_from_the_editor_shows_it_in_the_trash_and_restore_brings_it_back(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        user = await live_app.world.member(store, "editor", name="Eve Editor")
        post = await live_app.world.post(store, user, "Garden notes", slug="garden-notes", markdown="Tomatoes.")
        return user, post

    user, post = live_app.call(setup)
    sign_in(live_app, browser, "alpha", user["email"])
    browser.get(live_app.url("alpha", "/admin/posts/%s" % post["_id"]))
    WebDriverWait(browser, 10).until(EC.element_to_be_clickable((By.ID, "delete-post"))).click()
    WebDriverWait(browser, 10).until(EC.url_contains("/admin/trash?done=trashed"))
    assert "Moved to the Trash" in browser.find_element(By.CSS_SELECTOR, ".alert.ok").text
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-trashed="%s"]' % post["_id"])
    assert "Garden notes" in row.text and "published" in row.text

    browser.get(live_app.url("alpha", "/posts/garden-notes"))
    assert "Tomatoes." not in browser.find_element(By.TAG_NAME, "body").text

    browser.get(live_app.url("alpha", "/admin/"))
    browser.find_element(By.LINK_TEXT, "Trash").click()
    row = WebDriverWait(browser, 10).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, 'tr[data-trashed="%s"]' % post["_id"])))
    row.find_element(By.XPATH, ".//button[normalize-space()='Restore']").click()
    WebDriverWait(browser, 10).until(EC.url_contains("done=restored"))
    assert "Restored." in browser.find_element(By.CSS_SELECTOR, ".alert.ok").text
    assert not browser.find_elements(By.CSS_SELECTOR, "#slug-moved")
    browser.find_element(By.LINK_TEXT, "Garden notes").click()  # the notice links to the post
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.NAME, "slug")))
    assert browser.find_element(By.NAME, "slug").get_attribute("value") == "garden-notes"
    browser.get(live_app.url("alpha", "/posts/garden-notes"))
    assert "Tomatoes." in browser.find_element(By.TAG_NAME, "body").text
