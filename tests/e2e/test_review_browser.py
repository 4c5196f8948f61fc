"""Review, history and conflicts in a real Chromium (issue 16 points 9, 12, 19; issue 12's edit button)."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.admin_fixtures import browser, live_app, mail_live_app, second_browser  # noqa: F401 (fixtures)
from tests.e2e.test_admin_browser import sign_in
from tests.mail_server import link_in, text_of, wait_for_blocking

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


def test_a_contributor_submits_for_review_and_an_editor_publishes_it(mail_live_app, browser, second_browser):  # noqa: F811
    app = mail_live_app

    async def setup():
        store = await app.world.site("alpha", title="Alpha Blog")
        writer = await app.world.member(store, "contributor", name="Cora Contributor", email="cora@example.com")
        editor = await app.world.member(store, "editor", name="Eda Editor", email="eda@example.com")
        return store, writer, editor

    store, writer, editor = app.call(setup)
    sign_in(app, browser, "alpha", writer["email"])
    browser.get(app.url("alpha", "/admin/posts/new"))
    assert browser.find_element(By.CSS_SELECTOR, "input[name=state][value=published]").get_attribute("disabled")
    browser.find_element(By.NAME, "title").send_keys("Tide tables")
    browser.find_element(By.NAME, "markdown").send_keys("High water at *noon*.")
    browser.find_element(By.CSS_SELECTOR, "input[name=state][value=pending]").click()
    save = browser.find_element(By.CSS_SELECTOR, ".save-bar button[type=submit]")
    save.click()
    wait(browser, EC.staleness_of(save))
    waiting = wait(browser, EC.presence_of_element_located((By.ID, "review-waiting")))
    assert "in review" in waiting.text

    told = wait_for_blocking(app.smtp_server, "eda@example.com")
    assert "Tide tables" in told["Subject"] and "Cora Contributor" in text_of(told)
    sign_in(app, second_browser, "alpha", editor["email"])
    queue = second_browser.find_element(By.ID, "review-queue")  # the dashboard's count
    assert queue.find_element(By.CSS_SELECTOR, "[data-count=pending]").text == "1"
    second_browser.get(link_in(told))
    publish = wait(second_browser, EC.element_to_be_clickable((By.ID, "review-publish")))
    publish.click()
    wait(second_browser, EC.staleness_of(publish))
    wait(second_browser, EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))

    news = wait_for_blocking(app.smtp_server, "cora@example.com")
    assert "is published" in news["Subject"] and "Eda Editor" in text_of(news)
    browser.get(link_in(news))  # the reader's page
    assert wait(browser, EC.presence_of_element_located((By.TAG_NAME, "h1"))).text == "Tide tables"


def test_an_editor_sees_edit_on_the_readers_page_and_a_reader_does_not(live_app, browser, second_browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        editor = await live_app.world.member(store, "editor", name="Eda Editor")
        post = await live_app.world.post(store, editor, "Open water", slug="open-water", status="published")
        return store, editor, post

    store, editor, post = live_app.call(setup)
    page = live_app.url("alpha", "/posts/open-water")
    second_browser.get(page)  # a reader, first: the page is cached and shared from now on
    wait(second_browser, lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("data-edit-link") == "none")
    assert second_browser.find_elements(By.ID, "edit-link") == []
    sign_in(live_app, browser, "alpha", editor["email"])
    browser.get(page)
    link = wait(browser, EC.element_to_be_clickable((By.ID, "edit-link")))
    assert link.text == "Edit"
    link.click()
    wait(browser, EC.staleness_of(link))
    wait(browser, EC.url_contains("/admin/posts/%s" % post["_id"]))
    assert browser.find_element(By.NAME, "title").get_attribute("value") == "Open water"
    second_browser.refresh()  # the reader again, after the editor's visit: still nothing
    wait(second_browser, lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("data-edit-link") == "none")
    assert second_browser.find_elements(By.ID, "edit-link") == []


def test_a_conflict_is_merged_paragraph_by_paragraph_and_saved_against_the_newest(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        ann = await live_app.world.member(store, "editor", name="Ann")
        bob = await live_app.world.member(store, "editor", name="Bob")
        post = await live_app.world.post(store, ann, "Shared", markdown="First.\n\nMiddle.\n\nLast.", status="draft")
        return store, ann, bob, post

    store, ann, bob, post = live_app.call(setup)
    sign_in(live_app, browser, "alpha", bob["email"])
    browser.get(live_app.url("alpha", "/admin/posts/%s" % post["_id"]))
    body = browser.find_element(By.NAME, "markdown")
    # Ann saves a change to the first paragraph meanwhile ...
    live_app.call(lambda: store.posts.update(post["_id"], 1, title="Shared", markdown="First, by Ann.\n\nMiddle.\n\nLast.",
                                             editor_id=ann["_id"]))
    # ... while Bob changes the last one and saves.
    body.clear()
    body.send_keys("First.\n\nMiddle.\n\nLast, by Bob.")
    save = browser.find_element(By.CSS_SELECTOR, ".save-bar button[type=submit]")
    save.click()
    wait(browser, EC.staleness_of(save))
    merge = wait(browser, EC.presence_of_element_located((By.ID, "merge")))
    first = merge.find_elements(By.CSS_SELECTOR, "[data-block=differ]")[0]
    assert first.find_element(By.CSS_SELECTOR, "pre.theirs").text == "First, by Ann."
    first.find_element(By.CSS_SELECTOR, "input[value=theirs]").click()  # the last paragraph stays mine
    browser.find_element(By.ID, "merge-use").click()
    body = browser.find_element(By.NAME, "markdown")
    wait(browser, lambda b: body.get_attribute("value") == "First, by Ann.\n\nMiddle.\n\nLast, by Bob.")
    save = browser.find_element(By.CSS_SELECTOR, ".save-bar button[type=submit]")
    save.click()
    wait(browser, EC.staleness_of(save))
    wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    saved = live_app.call(lambda: store.posts.get(post["_id"]))
    assert saved["version"] == 3  # a textarea sends CRLF newlines
    assert saved["markdown"].replace("\r\n", "\n") == "First, by Ann.\n\nMiddle.\n\nLast, by Bob."


def test_one_restore_offer_with_one_clock_and_what_would_come_back(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog", timezone="Europe/Berlin")
        owner = await live_app.world.member(store, "owner", name="Olga Owner")
        post = await live_app.world.post(store, owner, "Harbour", markdown="Boats.")
        return store, owner, post

    store, owner, post = live_app.call(setup)
    sign_in(live_app, browser, "alpha", owner["email"])
    editor = live_app.url("alpha", "/admin/posts/%s" % post["_id"])
    browser.get(editor)
    browser.find_element(By.NAME, "markdown").send_keys(Keys.END, " More boats.")
    wait(browser, lambda b: b.find_element(By.ID, "autosave-status").get_attribute("data-state") == "saved")
    browser.get(editor)  # this browser kept the same text too: one offer, not two
    offer = wait(browser, EC.presence_of_element_located((By.ID, "autosave-offer")))
    assert browser.find_elements(By.ID, "local-copy") == []
    assert "ago" in offer.text and "Europe/Berlin" in offer.text
    assert [i.text.strip() for i in offer.find_elements(By.TAG_NAME, "ins")] == ["More boats."]
    offer.find_element(By.LINK_TEXT, "Restore them").click()
    wait(browser, EC.staleness_of(offer))
    body = wait(browser, EC.presence_of_element_located((By.NAME, "markdown")))
    assert body.get_attribute("value") == "Boats. More boats."
    assert browser.find_elements(By.ID, "local-copy") == []


def test_two_tabs_of_one_person_keep_two_autosaves(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        owner = await live_app.world.member(store, "owner", name="Olga Owner")
        return store, owner, await live_app.world.post(store, owner, "Harbour", markdown="Boats.")

    store, owner, post = live_app.call(setup)
    sign_in(live_app, browser, "alpha", owner["email"])
    editor = live_app.url("alpha", "/admin/posts/%s" % post["_id"])
    typed = {}
    for words in (" From the first tab.", " From the second tab."):
        if typed:
            browser.switch_to.new_window("tab")
        browser.get(editor)
        browser.find_element(By.NAME, "markdown").send_keys(Keys.END, words)
        wait(browser, lambda b: b.find_element(By.ID, "autosave-status").get_attribute("data-state") == "saved")
        typed[browser.find_element(By.NAME, "tab").get_attribute("value")] = "Boats." + words

    async def copies():
        return {tab: (await store.autosaves.get(post["_id"], owner["_id"], tab))["fields"]["markdown"] for tab in typed}

    assert live_app.call(copies) == typed  # neither tab's copy overwrote the other's


def test_this_browsers_own_copy_says_when_in_the_sites_clock_and_what_would_come_back(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog", timezone="Asia/Tokyo")
        owner = await live_app.world.member(store, "owner", name="Olga Owner")
        return store, owner, await live_app.world.post(store, owner, "Harbour", markdown="Boats in the bay.")

    store, owner, post = live_app.call(setup)
    sign_in(live_app, browser, "alpha", owner["email"])
    editor = live_app.url("alpha", "/admin/posts/%s" % post["_id"])
    browser.get(editor)
    # What this browser kept while the server could not be reached, three minutes ago (as editor.js keeps it).
    browser.execute_script(
        "localStorage.setItem('cms-unsaved:' + location.host + document.getElementById('editor').dataset.autosave,"
        " JSON.stringify({at: 'whenever', ts: Date.now() - 180000, title: 'Harbour', markdown: 'Boats in the old bay.'}))")
    browser.get(editor)
    offer = wait(browser, EC.presence_of_element_located((By.ID, "local-copy")))
    assert "3 minutes ago" in offer.text and "Asia/Tokyo" in offer.text and "whenever" not in offer.text
    assert [i.text for i in offer.find_elements(By.TAG_NAME, "ins")] == ["old "]
    assert browser.find_elements(By.ID, "autosave-offer") == []  # one offer
