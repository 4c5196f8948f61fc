"""Saving in a real Chromium when things go wrong (issue 16 points 4, 7, 8): the server
down, the author signed out elsewhere, a long post's copy when the tab closes.

Whatever happens, the editor stays on screen with the author's text, says what
is going on, and saves once it can.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from tornado.httpserver import HTTPServer

from tests.e2e.admin_fixtures import browser, live_app  # noqa: F401 (fixtures)
from tests.e2e.test_admin_browser import sign_in

pytestmark = pytest.mark.e2e

WAIT = 20  # seconds: the CI machine is loaded
RETRYING = "Not saved yet — retrying"


def stop_serving(live_app) -> None:  # noqa: F811
    """The server goes away: new connections are refused and open ones are closed."""
    async def stop():
        live_app.server.stop()
        await live_app.server.close_all_connections()

    live_app.call(stop)


def serve_again(live_app) -> None:  # noqa: F811
    async def start():
        live_app.server = HTTPServer(live_app.server.request_callback)
        live_app.server.listen(live_app.port, "127.0.0.1")

    live_app.call(start)


def open_editor(live_app, browser, role: str = "editor"):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        person = await live_app.world.member(store, role, name="Ana Author")
        post = await live_app.world.post(store, person, "Harbour", markdown="Boats.")
        return store, person, post

    store, person, post = live_app.call(setup)
    sign_in(live_app, browser, "alpha", person["email"])
    browser.get(live_app.url("alpha", "/admin/posts/%s" % post["_id"]))
    WebDriverWait(browser, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: b.find_element(By.ID, "preview-status").text == "live")  # editor.js runs
    return store, person, post


def count_saves_and_announcements(browser) -> None:  # noqa: F811
    """Count the Save requests the page sends, and the changes of the spoken save status."""
    browser.execute_script("""
        var form = document.getElementById("editor"), status = document.getElementById("autosave-status");
        window.saveTries = 0; window.announced = [];
        var realFetch = window.fetch;
        window.fetch = function (url, options) {
          if (String(url) === form.action || String(url) === form.getAttribute("action")) window.saveTries += 1;
          return realFetch.apply(this, arguments);
        };
        new MutationObserver(function () { window.announced.push(status.textContent); })
          .observe(status, {childList: true, characterData: true, subtree: true});
    """)


def test_saving_while_the_server_is_down_keeps_the_editor_and_saves_when_it_is_back(live_app, browser):  # noqa: F811
    store, person, post = open_editor(live_app, browser)
    text = browser.find_element(By.NAME, "markdown")
    text.send_keys("\n\nWritten while the server was away.")
    count_saves_and_announcements(browser)
    stop_serving(live_app)
    try:
        browser.find_element(By.CSS_SELECTOR, ".save-bar button[type=submit]").click()
        # Tried again (with a growing pause), announced once, the editor and its text still there.
        WebDriverWait(browser, WAIT).until(lambda b: b.execute_script("return window.saveTries || 0") >= 3)
        assert browser.find_element(By.ID, "autosave-status").text == RETRYING
        assert browser.execute_script(
            "var wanted = arguments[0]; return window.announced.filter(function (t) { return t === wanted; }).length",
            RETRYING) == 1
        assert text.get_attribute("value").endswith("Written while the server was away.")
        # spoken by the editor's live region, which says each change of outcome once (editor-keys.js)
        announcer = browser.find_element(By.ID, "save-announcer")
        assert announcer.get_attribute("aria-live") == "polite"
        WebDriverWait(browser, WAIT).until(lambda b: announcer.get_attribute("textContent") == RETRYING)
    finally:
        serve_again(live_app)
    WebDriverWait(browser, WAIT).until(EC.staleness_of(text))  # saved, then the page is loaded again
    WebDriverWait(browser, WAIT).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    saved = live_app.call(lambda: store.posts.get(post["_id"]))
    assert saved["markdown"].endswith("Written while the server was away.") and saved["version"] == post["version"] + 1


def test_signed_out_elsewhere_save_offers_sign_in_in_place_then_saves_the_text(live_app, browser):  # noqa: F811
    from cms.store import Users
    from tests.conftest import TEST_PASSWORD

    store, person, post = open_editor(live_app, browser)
    live_app.call(lambda: Users(live_app.db).bump_session_version(person["_id"]))  # "sign out everywhere" elsewhere
    text = browser.find_element(By.NAME, "markdown")
    text.send_keys("\n\nTyped after being signed out.")
    # The autosave finds out, says so, and stops (it used to retry forever on a bare 403).
    status = browser.find_element(By.ID, "autosave-status")
    WebDriverWait(browser, WAIT).until(lambda b: status.get_attribute("data-state") == "signed-out")
    assert "signed out" in status.text and "kept" in status.text
    browser.find_element(By.CSS_SELECTOR, ".save-bar button[type=submit]").click()
    dialog = WebDriverWait(browser, WAIT).until(EC.visibility_of_element_located((By.ID, "sign-in-again")))
    assert "signed out" in dialog.text
    assert text.get_attribute("value").endswith("Typed after being signed out.")  # still in the editor
    dialog.find_element(By.NAME, "email").send_keys(person["email"])
    dialog.find_element(By.NAME, "password").send_keys("not the password")
    dialog.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, WAIT).until(
        EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#sign-in-again .alert.error"), "do not match"))
    password = dialog.find_element(By.NAME, "password")
    password.clear()
    password.send_keys(TEST_PASSWORD)
    dialog.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, WAIT).until(EC.staleness_of(text))  # signed in, saved, the saved page loaded
    WebDriverWait(browser, WAIT).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    assert browser.find_element(By.NAME, "markdown").get_attribute("value").endswith("Typed after being signed out.")
    saved = live_app.call(lambda: store.posts.get(post["_id"]))
    assert saved["markdown"].endswith("Typed after being signed out.")


def test_a_long_post_closed_right_after_typing_leaves_the_last_words_on_the_server(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        person = await live_app.world.member(store, "author", name="Ana Author")
        words = " ".join("word%d" % (n % 1000) for n in range(20_000))  # ~130 KB: twice a beacon's limit
        post = await live_app.world.post(store, person, "Saga", markdown=words)
        return store, person, post

    store, person, post = live_app.call(setup)
    sign_in(live_app, browser, "alpha", person["email"])
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    browser.get(live_app.url("alpha", "/admin/posts/%s" % post["_id"]))
    WebDriverWait(browser, WAIT).until(lambda b: b.execute_script("return document.readyState") == "complete")
    text = browser.find_element(By.NAME, "markdown")
    text.send_keys(Keys.CONTROL, Keys.END)
    text.send_keys(" The very last words.")
    browser.close()  # at once: the autosave's few seconds have not passed
    browser.switch_to.window(first)

    async def last_words():
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            kept = await store.autosaves.get(post["_id"], person["_id"])
            if kept and kept["fields"]["markdown"].endswith("The very last words."):
                break
            await asyncio.sleep(0.05)
        return kept

    kept = live_app.call(last_words)
    assert kept is not None, "the server got no copy"
    assert kept["fields"]["markdown"] == post["markdown"] + " The very last words."
    assert kept["fields"]["title"] == "Saga"


def test_words_typed_while_a_save_is_on_its_way_are_kept_and_offered_back(live_app, browser):  # noqa: F811
    store, person, post = open_editor(live_app, browser)
    text = browser.find_element(By.NAME, "markdown")
    text.send_keys("\n\nIn the save.")
    # The save's answer is held back until the test lets it through (a slow network).
    browser.execute_script("""
        var form = document.getElementById("editor"), realFetch = window.fetch;
        window.letSaveThrough = null;
        window.fetch = function (url) {
          var answer = realFetch.apply(this, arguments);
          if (String(url) !== form.action) return answer;
          return new Promise(function (resolve) { window.letSaveThrough = function () { resolve(answer); }; });
        };
    """)
    browser.find_element(By.CSS_SELECTOR, ".save-bar button[type=submit]").click()
    WebDriverWait(browser, WAIT).until(lambda b: b.execute_script("return !!window.letSaveThrough"))
    text.send_keys(" Typed meanwhile.")
    browser.execute_script("window.letSaveThrough()")
    WebDriverWait(browser, WAIT).until(EC.staleness_of(text))
    WebDriverWait(browser, WAIT).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    saved = live_app.call(lambda: store.posts.get(post["_id"]))
    assert saved["markdown"].endswith("In the save.")  # what the save carried
    kept = live_app.call(lambda: store.autosaves.get(post["_id"], person["_id"]))
    assert kept["fields"]["markdown"].endswith("In the save. Typed meanwhile.")  # and the rest, not lost
    # Offered back on the saved page (the server's copy and this browser's hold the same text: one offer).
    offer = WebDriverWait(browser, WAIT).until(EC.presence_of_element_located((By.ID, "autosave-offer")))
    text = browser.find_element(By.NAME, "markdown")
    offer.find_element(By.LINK_TEXT, "Restore them").click()
    WebDriverWait(browser, WAIT).until(EC.staleness_of(text))
    WebDriverWait(browser, WAIT).until(lambda b: b.find_element(By.NAME, "markdown").get_attribute("value")
                                       .endswith("In the save. Typed meanwhile."))
