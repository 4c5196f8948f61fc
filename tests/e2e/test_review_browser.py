"""Review, history and conflicts in a real Chromium (issue 16 points 9, 12, 19; issue 12's edit button)."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.admin_fixtures import browser, live_app  # noqa: F401 (fixtures)
from tests.e2e.test_admin_browser import sign_in

pytestmark = pytest.mark.e2e
WAIT = 20


def wait(browser, condition):  # noqa: F811
    return WebDriverWait(browser, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def test_history_marks_the_changed_word_and_shows_an_old_version_rendered(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        editor = await live_app.world.member(store, "editor", name="Eda Editor")
        post = await live_app.world.post(store, editor, "Foxes", markdown="## Habits\n\nThe quick brown fox jumps.")
        await store.posts.update(post["_id"], 1, title="Foxes", markdown="## Habits\n\nThe quick red fox jumps.",
                                 editor_id=editor["_id"])
        return store, editor, post

    store, editor, post = live_app.call(setup)
    sign_in(live_app, browser, "alpha", editor["email"])
    browser.get(live_app.url("alpha", "/admin/posts/%s/history" % post["_id"]))
    compare = browser.find_element(By.ID, "compare")
    compare.click()
    wait(browser, EC.staleness_of(compare))
    diff = wait(browser, EC.presence_of_element_located((By.ID, "diff")))
    assert [d.text for d in diff.find_elements(By.TAG_NAME, "del")] == ["brown"]
    assert [i.text for i in diff.find_elements(By.TAG_NAME, "ins")] == ["red"]
    assert "@" not in diff.text and "The quick" in diff.text
    old = browser.find_element(By.CSS_SELECTOR, 'a[href$="/history/1"]')
    old.click()
    wait(browser, EC.staleness_of(old))
    wait(browser, EC.frame_to_be_available_and_switch_to_it((By.ID, "revision-page")))
    heading = wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "h2")))
    assert heading.text == "Habits" and "The quick brown fox jumps." in browser.find_element(By.TAG_NAME, "body").text
    browser.switch_to.default_content()
    browser.find_element(By.CSS_SELECTOR, ".panel button[type=submit]").click()  # Restore this version
    wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    assert live_app.call(lambda: store.posts.get(post["_id"]))["markdown"].endswith("brown fox jumps.")
