"""Comments in a real Chromium (issue 12's done-means): a guest comments with the
form's script (no reload), an editor approves it in the admin queue, and the
reader's reload shows it under the post."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.admin_fixtures import LiveApp, browser  # noqa: F401 (fixtures)
from tests.e2e.test_admin_browser import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_app(settings):
    # No minimum time to write (the HTTP tests hold it): a test types faster than a person.
    app = LiveApp(settings, comment_min_seconds=0)
    app.start()
    try:
        yield app
    finally:
        app.stop()


def test_a_guest_comments_an_editor_approves_and_the_reader_sees_it(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        editor = await live_app.world.member(store, "editor", name="Eve Editor")
        await live_app.world.post(store, editor, "Garden notes", slug="garden-notes", markdown="Tomatoes.")
        return editor

    editor = live_app.call(setup)
    browser.delete_all_cookies()
    browser.get(live_app.url("alpha", "/posts/garden-notes"))
    form = browser.find_element(By.CSS_SELECTOR, "form.comment-form")
    # The script fetched the form's start time (and an XSRF token) for this reader.
    WebDriverWait(browser, 10).until(lambda _: form.find_element(By.NAME, "started").get_attribute("value"))
    form.find_element(By.NAME, "text").send_keys("Which *variety* do you grow?")
    form.find_element(By.NAME, "name").send_keys("Gus Guest")
    form.find_element(By.NAME, "email").send_keys("gus@example.org")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element(
        (By.CSS_SELECTOR, ".comment-form__status"), "awaits moderation"))
    assert browser.find_element(By.ID, "comment-awaiting").is_displayed()
    assert browser.current_url.endswith("/posts/garden-notes")  # no reload, no navigation
    assert not browser.find_elements(By.CSS_SELECTOR, ".comment__text")

    sign_in(live_app, browser, "alpha", editor["email"])
    browser.find_element(By.LINK_TEXT, "Comments").click()
    row = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "tr[data-comment]")))
    assert "Which variety do you grow?" in row.text and "gus@example.org" in row.text
    row.find_element(By.XPATH, ".//button[text()='Approve']").click()
    WebDriverWait(browser, 10).until(EC.url_contains("done=approved"))

    browser.get(live_app.url("alpha", "/posts/garden-notes"))
    shown = browser.find_element(By.CSS_SELECTOR, ".comment__text")
    assert shown.text == "Which variety do you grow?"
    assert shown.find_element(By.TAG_NAME, "em").text == "variety"
    assert "Gus Guest" in browser.find_element(By.CSS_SELECTOR, ".comment__meta").text
    assert "1 comment" in browser.find_element(By.ID, "comments-title").text
    assert "gus@example.org" not in browser.page_source
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors
