"""Live updates in two real Chromiums (issue 12's done-means): a reader has a site's
home page open, an editor publishes in the admin, and the reader's page shows
"1 new post" without a reload; a click loads it into the list in place. On the
new post's page, a comment approved meanwhile appears under it."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.admin_fixtures import browser, live_app, second_browser  # noqa: F401 (fixtures)
from tests.e2e.test_admin_browser import sign_in

pytestmark = pytest.mark.e2e


def test_a_reader_sees_a_post_the_editor_publishes_appear(live_app, browser, second_browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        editor = await live_app.world.member(store, "editor", name="Eve Editor")
        await live_app.world.post(store, editor, "Old news", markdown="Yesterday.")
        return store, editor

    store, editor = live_app.call(setup)
    reader = second_browser
    reader.get(live_app.url("alpha", "/"))
    banner = reader.find_element(By.CSS_SELECTOR, "[data-live]")
    assert not banner.is_displayed()
    # The script marks the banner once its socket is subscribed.
    WebDriverWait(reader, 10).until(lambda _: banner.get_attribute("data-live-state") == "open")
    reader.execute_script("document.body.dataset.sameDocument = 'yes'")  # gone if the page reloads

    sign_in(live_app, browser, "alpha", editor["email"])
    browser.get(live_app.url("alpha", "/admin/posts/new"))
    browser.find_element(By.NAME, "title").send_keys("Breaking story")
    browser.find_element(By.NAME, "markdown").send_keys("It *happened*.")
    browser.find_element(By.CSS_SELECTOR, "input[name=state][value=published]").click()
    browser.find_element(By.CSS_SELECTOR, ".settings button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))

    button = WebDriverWait(reader, 10).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-live] button")))
    assert button.text == "1 new post: show it"
    assert "Breaking story" not in reader.find_element(By.ID, "content").text
    button.click()
    WebDriverWait(reader, 10).until(EC.text_to_be_present_in_element((By.ID, "content"), "Breaking story"))
    assert "Old news" in reader.find_element(By.ID, "content").text
    assert not reader.find_element(By.CSS_SELECTOR, "[data-live]").is_displayed()
    assert reader.execute_script("return document.body.dataset.sameDocument") == "yes"  # in place, no reload

    reader.find_element(By.LINK_TEXT, "Breaking story").click()
    banner = WebDriverWait(reader, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-live^='post:']")))
    WebDriverWait(reader, 10).until(lambda _: banner.get_attribute("data-live-state") == "open")
    reader.execute_script("document.body.dataset.sameDocument = 'yes'")

    async def approve():
        post = await store.posts.get_visible("post", "breaking-story")
        comment = await store.comments.add(post, "Saw it *too*.", status="pending", name="Gus", email="gus@example.org")
        await store.comments.moderate(comment["_id"], "approved")

    live_app.call(approve)
    shown = WebDriverWait(reader, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".comment__text")))
    assert shown.text == "Saw it too." and "1 comment" in reader.find_element(By.ID, "comments-title").text
    assert reader.execute_script("return document.body.dataset.sameDocument") == "yes"
    errors = [entry for entry in reader.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors
