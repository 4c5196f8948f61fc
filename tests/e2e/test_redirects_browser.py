"""Old addresses in a real Chromium: an editor renames a post's slug, a reader's old
link still lands on the post, and the Redirects page adds and deletes one by hand."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.e2e.admin_fixtures import browser, live_app  # noqa: F401 (fixtures)
from tests.e2e.test_admin_browser import sign_in

pytestmark = pytest.mark.e2e


def test_a_renamed_post_keeps_its_old_address_and_the_editor_manages_redirects(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        user = await live_app.world.member(store, "editor", name="Eve Editor")
        post = await live_app.world.post(store, user, "Garden notes", slug="garden-notes", markdown="Tomatoes.")
        return user, post

    user, post = live_app.call(setup)
    sign_in(live_app, browser, "alpha", user["email"])
    browser.get(live_app.url("alpha", "/admin/posts/%s" % post["_id"]))
    slug = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.NAME, "slug")))
    slug.clear()
    slug.send_keys("notes-from-the-garden")
    browser.find_element(By.CSS_SELECTOR, ".save-bar button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.url_contains("saved=1"))

    browser.get(live_app.url("alpha", "/posts/garden-notes"))  # a reader's old bookmark
    WebDriverWait(browser, 10).until(EC.url_contains("/posts/notes-from-the-garden"))
    assert browser.find_element(By.CSS_SELECTOR, "h1").text == "Garden notes"

    browser.get(live_app.url("alpha", "/admin/"))
    browser.find_element(By.LINK_TEXT, "Redirects").click()
    row = WebDriverWait(browser, 10).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, 'tr[data-redirect="/posts/garden-notes"]')))
    assert "/posts/notes-from-the-garden" in row.text and "renamed slug" in row.text
    browser.find_element(By.NAME, "from").send_keys("/admin/secret")  # refused, with the reason
    browser.find_element(By.NAME, "to").send_keys("/posts/notes-from-the-garden")
    browser.find_element(By.CSS_SELECTOR, "form.panel button[type=submit]").click()
    error = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.error")))
    assert "address of the platform" in error.text
    field = browser.find_element(By.NAME, "from")
    field.clear()
    field.send_keys("/tomatoes")
    # "for now": a browser keeps a 301 for good, so only a 302 can be taken back from this one
    Select(browser.find_element(By.NAME, "code")).select_by_value("302")
    browser.find_element(By.CSS_SELECTOR, "form.panel button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))

    browser.get(live_app.url("alpha", "/tomatoes"))
    WebDriverWait(browser, 10).until(EC.url_contains("/posts/notes-from-the-garden"))

    browser.get(live_app.url("alpha", "/admin/redirects"))
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-redirect="/tomatoes"]')
    row.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.alert_is_present()).accept()  # "Delete the redirect from /tomatoes?"
    WebDriverWait(browser, 10).until(EC.url_contains("done=redirect-deleted"))
    assert not browser.find_elements(By.CSS_SELECTOR, 'tr[data-redirect="/tomatoes"]')
    browser.get(live_app.url("alpha", "/tomatoes"))
    assert "not here" in browser.find_element(By.TAG_NAME, "body").text


def test_a_renamed_and_then_merged_tag_keeps_its_old_address(live_app, browser):  # noqa: F811
    """Issue 16 point 15: renaming or merging a tag no longer breaks its old address."""
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        user = await live_app.world.member(store, "editor", name="Eve Editor")
        await live_app.world.post(store, user, "On editors", tags=["Editor"])
        await live_app.world.post(store, user, "On writing", tags=["Writing"])
        return user

    user = live_app.call(setup)
    sign_in(live_app, browser, "alpha", user["email"])
    browser.get(live_app.url("alpha", "/admin/tags"))
    row = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, 'tr[data-tag="editor"]')))
    name = row.find_element(By.CSS_SELECTOR, 'input[name="name"]')
    name.clear()
    name.send_keys("Editing")
    row.find_element(By.XPATH, './/button[text()="Rename"]').click()
    WebDriverWait(browser, 10).until(EC.url_contains("done=renamed"))

    browser.get(live_app.url("alpha", "/tags/editor"))  # a reader's old link
    WebDriverWait(browser, 10).until(EC.url_contains("/tags/editing"))
    assert "On editors" in browser.find_element(By.TAG_NAME, "main").text

    browser.get(live_app.url("alpha", "/admin/tags"))
    for slug in ("editing", "writing"):
        browser.find_element(By.CSS_SELECTOR, 'tr[data-tag="%s"] input[type=checkbox]' % slug).click()
    browser.find_element(By.CSS_SELECTOR, '#merge-form input[placeholder="tag name"]').send_keys("Craft")
    browser.find_element(By.XPATH, '//form[@id="merge-form"]//button[text()="Merge"]').click()
    WebDriverWait(browser, 10).until(EC.url_contains("done=merged"))
    for old in ("/tags/editor", "/tags/writing"):
        browser.get(live_app.url("alpha", old))
        WebDriverWait(browser, 10).until(EC.url_contains("/tags/craft"))
        text = browser.find_element(By.TAG_NAME, "main").text
        assert "On editors" in text and "On writing" in text, old
