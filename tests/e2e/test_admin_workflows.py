"""The admin's workflows in a real Chromium: roles, conflicts, scheduling, Google, invitations,
and text kept in the browser while the server is unreachable."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import TEST_PASSWORD
from tests.e2e.admin_fixtures import browser, google_live_app, live_app, mail_live_app, second_browser  # noqa: F401
from tests.e2e.test_admin_browser import sign_in
from tests.mail_server import link_in, wait_for_blocking

pytestmark = pytest.mark.e2e


def heading(driver) -> str:
    return WebDriverWait(driver, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".page-head h1"))).text


def test_a_contributor_has_no_publish_control_and_a_forged_publish_is_refused(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha")
        return store, await live_app.world.member(store, "contributor", name="Cleo Contributor")

    store, user = live_app.call(setup)
    sign_in(live_app, browser, "alpha", user["email"])
    browser.get(live_app.url("alpha", "/admin/posts/new"))
    for state in ("published", "scheduled"):
        assert not browser.find_element(By.CSS_SELECTOR, "input[name=state][value=%s]" % state).is_enabled()
    assert "an editor publishes them" in browser.find_element(By.CSS_SELECTOR, ".settings").text
    browser.find_element(By.NAME, "title").send_keys("Sneaky")
    browser.find_element(By.NAME, "markdown").send_keys("Publish me please")
    status = browser.execute_async_script("""
        var done = arguments[arguments.length - 1], form = document.getElementById("editor");
        var data = new FormData(form); data.set("state", "published");
        fetch(form.action, {method: "POST", body: data, credentials: "same-origin", redirect: "manual"})
          .then(function (r) { done(r.status); });
    """)
    assert status == 403
    assert live_app.call(lambda: store.posts.admin_list("post")).total == 0
    browser.find_element(By.CSS_SELECTOR, ".settings button[type=submit]").click()  # as a draft: fine
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    assert browser.find_element(By.CSS_SELECTOR, ".page-head .badge").text == "draft"
    browser.get(live_app.url("alpha", "/posts/sneaky"))
    assert "Publish me please" not in browser.page_source


def test_two_people_saving_the_same_post_get_a_conflict_and_keep_their_text(live_app, browser, second_browser):  # noqa: F811,E501
    async def setup():
        store = await live_app.world.site("alpha")
        ann = await live_app.world.member(store, "editor", name="Ann")
        bob = await live_app.world.member(store, "editor", name="Bob")
        post = await live_app.world.post(store, ann, "Shared", markdown="The first line.")
        return ann, bob, post

    ann, bob, post = live_app.call(setup)
    path = "/admin/posts/%s" % post["_id"]
    for driver, person in ((browser, ann), (second_browser, bob)):
        sign_in(live_app, driver, "alpha", person["email"])
        driver.get(live_app.url("alpha", path))
    browser.find_element(By.NAME, "markdown").send_keys("\nAnn was here.")
    browser.find_element(By.CSS_SELECTOR, ".settings button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    second_browser.find_element(By.NAME, "markdown").send_keys("\nBob was here.")
    second_browser.find_element(By.CSS_SELECTOR, ".settings button[type=submit]").click()
    conflict = WebDriverWait(second_browser, 10).until(EC.presence_of_element_located((By.ID, "conflict")))
    assert "Someone else saved this post" in conflict.text
    assert "Ann was here." in second_browser.find_element(By.CSS_SELECTOR, "pre.theirs").text
    assert "Bob was here." in second_browser.find_element(By.NAME, "markdown").get_attribute("value")
    second_browser.find_element(By.CSS_SELECTOR, ".settings button[type=submit]").click()  # keep Bob's, knowingly
    WebDriverWait(second_browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))


def test_a_post_scheduled_seconds_ahead_appears_on_the_site_by_itself(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        return await live_app.world.member(store, "author")

    user = live_app.call(setup)
    sign_in(live_app, browser, "alpha", user["email"])
    browser.get(live_app.url("alpha", "/admin/posts/new"))
    browser.find_element(By.NAME, "title").send_keys("Right On Cue")
    browser.find_element(By.NAME, "markdown").send_keys("Arrived on schedule.")
    browser.find_element(By.CSS_SELECTOR, "input[name=state][value=scheduled]").click()
    when = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=3)).replace(microsecond=0)
    browser.execute_script("var f = document.querySelector('input[name=publish_at]'); f.step = 1; f.value = arguments[0];",
                           when.strftime("%Y-%m-%dT%H:%M:%S"))  # the site's time zone is UTC
    browser.find_element(By.CSS_SELECTOR, ".settings button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    assert browser.find_element(By.CSS_SELECTOR, ".page-head .badge").text == "scheduled"
    browser.get(live_app.url("alpha", "/"))
    assert "Right On Cue" not in browser.page_source
    deadline = time.monotonic() + 12
    while "Right On Cue" not in browser.page_source and time.monotonic() < deadline:
        time.sleep(0.5)
        browser.refresh()
    assert "Right On Cue" in browser.page_source
    assert dt.datetime.now(dt.timezone.utc) >= when
    browser.get(live_app.url("alpha", "/posts/right-on-cue"))
    assert "Arrived on schedule." in browser.find_element(By.CSS_SELECTOR, ".post__body").text


def test_google_sign_in_round_trip_through_the_stand_in(google_live_app, browser):  # noqa: F811
    app = google_live_app

    async def setup():
        store = await app.world.site("alpha", title="Alpha Blog")
        return await app.world.member(store, "author", email="gina@example.com", name="Gina Google")

    user = app.call(setup)
    app.google.sign_in_as("gina@example.com", sub="sub-gina", name="Gina G.")
    browser.get(app.url("alpha", "/admin/posts"))
    WebDriverWait(browser, 10).until(EC.url_contains("/login"))
    browser.find_element(By.ID, "google-sign-in").click()
    assert heading(browser) == "Posts"  # back where they were going
    assert "Gina Google" in browser.find_element(By.CSS_SELECTOR, ".whoami").text
    assert app.google.authorize_requests[-1]["redirect_uri"] == app.url("alpha", "/auth/google")
    assert app.call(lambda: app.world.users.by_id(user["_id"]))["google_sub"] == "sub-gina"


def test_invite_then_accept_then_confirm_then_sign_in(mail_live_app, browser):  # noqa: F811
    live_app = mail_live_app  # noqa: F811

    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        return await live_app.world.member(store, "admin", name="Ada Admin")

    admin = live_app.call(setup)
    sign_in(live_app, browser, "alpha", admin["email"])
    browser.find_element(By.LINK_TEXT, "People").click()
    assert heading(browser) == "People"
    browser.find_element(By.CSS_SELECTOR, "#invite input[name=email]").send_keys("newbie@example.com")
    browser.find_element(By.CSS_SELECTOR, "#invite select[name=role] option[value=editor]").click()
    browser.find_element(By.CSS_SELECTOR, "#invite button[type=submit]").click()
    link = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "invite-link"))).get_attribute("value")
    assert link.startswith(live_app.url("alpha", "/invitation?token="))
    browser.find_element(By.CSS_SELECTOR, ".whoami form[action='/logout'] button").click()
    WebDriverWait(browser, 10).until(EC.url_contains("/login"))

    browser.get(link)
    assert "Join Alpha Blog" in browser.find_element(By.TAG_NAME, "h1").text
    browser.find_element(By.NAME, "name").send_keys("Nina Newbie")
    browser.find_element(By.NAME, "password").send_keys(TEST_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    # The answer is a new page; the old one's h1 may go stale while it is read, so ask again.
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: b.find_element(By.TAG_NAME, "h1").text == "Check your e-mail")
    # The invitation came by e-mail too; the second message is the confirmation link.
    assert link_in(wait_for_blocking(live_app.smtp_server, "newbie@example.com")) == link
    browser.get(link_in(wait_for_blocking(live_app.smtp_server, "newbie@example.com", count=2)))
    browser.find_element(By.NAME, "password").send_keys(TEST_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    assert heading(browser) == "Dashboard"
    assert "Nina Newbie" in browser.find_element(By.CSS_SELECTOR, ".whoami").text
    assert browser.find_elements(By.LINK_TEXT, "Tags")  # an editor
    browser.find_element(By.CSS_SELECTOR, ".whoami form[action='/logout'] button").click()
    WebDriverWait(browser, 10).until(EC.url_contains("/login"))
    sign_in(live_app, browser, "alpha", "newbie@example.com")
    assert heading(browser) == "Dashboard"
    browser.get(link)
    assert "not valid" in browser.find_element(By.CSS_SELECTOR, ".alert.error").text  # used once


def test_text_typed_while_the_server_is_unreachable_is_offered_back(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha")
        return store, await live_app.world.member(store, "author")

    store, user = live_app.call(setup)
    sign_in(live_app, browser, "alpha", user["email"])
    browser.get(live_app.url("alpha", "/admin/posts/new"))
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: b.find_element(By.ID, "preview-status").text == "live")
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    try:
        browser.find_element(By.NAME, "title").send_keys("Offline thoughts")
        browser.find_element(By.NAME, "markdown").send_keys("Written on a train with no signal.")
        WebDriverWait(browser, 10).until(
            lambda b: b.find_element(By.ID, "autosave-status").get_attribute("data-state") == "error")
    finally:
        browser.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    assert live_app.call(lambda: store.autosaves.get("new-post", user["_id"])) is None  # the server never got it
    browser.execute_script("window.onbeforeunload = null; sessionStorage.clear();")
    browser.get(live_app.url("alpha", "/admin/posts/new"))
    offer = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "local-copy")))
    assert "never saved" in offer.text
    offer.find_element(By.CSS_SELECTOR, "button.button").click()
    assert browser.find_element(By.NAME, "markdown").get_attribute("value") == "Written on a train with no signal."
    assert browser.find_element(By.NAME, "title").get_attribute("value") == "Offline thoughts"
    browser.find_element(By.CSS_SELECTOR, ".settings button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    browser.get(live_app.url("alpha", "/admin/posts/new"))
    # editor.js is deferred: it has run (and would have offered a copy) once the page is loaded.
    WebDriverWait(browser, 10).until(lambda b: b.execute_script("return document.readyState") == "complete")
    assert not browser.find_elements(By.ID, "local-copy")  # saved, so no longer offered
