"""A newcomer starts a blog in a real Chromium: the platform's landing page, sign-up
by e-mail, the confirmation link read from the test SMTP server, a new site named
with the as-you-type check, its admin reached through the handover, a first post
published and read as a reader, signing out of the platform ending the site's
session too, then "Forgot password?" and a new password signing in again; then an
operator suspends the site on the console and restores it, as a reader watches.
(The Google variant: test_signup_google_browser.py.)"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.admin_fixtures import browser, mail_live_app, second_browser  # noqa: F401
from tests.e2e.test_signup_google_browser import suspend_and_restore
from tests.e2e.test_themes_browser import problems
from tests.mail_server import link_in, wait_for_blocking

pytestmark = pytest.mark.e2e

EMAIL = "octavia@example.com"
PASSWORD = "kindred parable of the sower"
NEW_PASSWORD = "parable of the talents"


def test_a_newcomer_signs_up_confirms_starts_a_blog_publishes_and_signs_out(mail_live_app, browser,  # noqa: F811
                                                                            second_browser):  # noqa: F811
    app = mail_live_app
    platform = "http://localhost:%d" % app.port
    wait = WebDriverWait(browser, 10)

    browser.get(platform + "/")
    assert "Start your blog" in browser.find_element(By.TAG_NAME, "body").text
    browser.find_element(By.ID, "start").click()
    form = wait.until(EC.presence_of_element_located((By.ID, "signup-form")))
    form.find_element(By.NAME, "email").send_keys(EMAIL)
    form.find_element(By.NAME, "name").send_keys("Octavia Butler")
    form.find_element(By.NAME, "password").send_keys(PASSWORD)
    assert not form.find_element(By.NAME, "website").is_displayed()  # the honeypot is not for people
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Check your inbox"))

    # The confirmation link, from the mail that arrived at the SMTP server.
    browser.get(link_in(wait_for_blocking(app.smtp_server, EMAIL)))
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    wait.until(EC.url_to_be(platform + "/sites"))

    browser.find_element(By.ID, "new-site").click()
    name = wait.until(EC.presence_of_element_located((By.ID, "site-name")))
    name.send_keys("www")
    wait.until(EC.text_to_be_present_in_element((By.ID, "name-status"), "reserved"))
    name.clear()
    name.send_keys("parables")
    wait.until(EC.text_to_be_present_in_element((By.ID, "name-status"), "parables.localhost is free."))
    browser.find_element(By.NAME, "title").send_keys("Parables")
    browser.find_element(By.CSS_SELECTOR, "input[name=theme][value=magazine]").click()
    browser.find_element(By.CSS_SELECTOR, "#new-site-form button[type=submit]").click()

    # Handed over to the new site's own host, signed in there as its owner.
    wait.until(EC.url_to_be(app.url("parables", "/admin/")))
    steps = browser.find_element(By.ID, "first-steps")
    assert "Write a first post" in steps.text and "Fill in the About page" in steps.text
    assert "owner" in browser.find_element(By.CSS_SELECTOR, ".whoami").text.lower()
    steps.find_element(By.LINK_TEXT, "Write a first post").click()
    wait.until(EC.presence_of_element_located((By.NAME, "title"))).send_keys("Earthseed")
    browser.find_element(By.NAME, "markdown").send_keys("All that you touch *you change*.")
    browser.find_element(By.CSS_SELECTOR, "input[name=state][value=published]").click()
    browser.find_element(By.CSS_SELECTOR, ".settings button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    browser.get(app.url("parables", "/admin/"))
    assert "Write a first post" in browser.find_element(By.CSS_SELECTOR, "#first-steps li.done").text

    browser.get(app.url("parables", "/posts/earthseed"))
    assert "All that you touch you change." in browser.find_element(By.TAG_NAME, "body").text
    assert problems(browser) == []

    # Signing out of the platform signs out of the site too.
    browser.get(platform + "/sites")
    assert "Parables" in browser.find_element(By.ID, "your-sites").text
    browser.find_element(By.CSS_SELECTOR, ".platform-bar form[action='/signout'] button").click()
    wait.until(EC.url_to_be(platform + "/"))
    browser.get(app.url("parables", "/admin/"))
    wait.until(EC.url_contains("/login"))

    # Forgot the password: a reset link by e-mail, then a new password signs in again.
    browser.get(platform + "/signin")
    browser.find_element(By.ID, "forgot-password").click()
    browser.find_element(By.NAME, "email").send_keys(EMAIL)
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    browser.get(link_in(wait_for_blocking(app.smtp_server, EMAIL, count=2)))
    browser.find_element(By.NAME, "password").send_keys(NEW_PASSWORD)
    browser.find_element(By.NAME, "confirm_password").send_keys(NEW_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    wait.until(EC.url_to_be(platform + "/sites"))
    browser.find_element(By.CSS_SELECTOR, ".platform-bar form[action='/signout'] button").click()
    wait.until(EC.url_to_be(platform + "/"))
    browser.get(platform + "/signin")
    browser.find_element(By.NAME, "email").send_keys(EMAIL)
    browser.find_element(By.NAME, "password").send_keys(NEW_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    wait.until(EC.url_to_be(platform + "/sites"))
    browser.find_element(By.CSS_SELECTOR, "form[action='/sites/parables/open'] button").click()
    wait.until(EC.url_to_be(app.url("parables", "/admin/")))
    assert problems(browser) == []
    suspend_and_restore(app, operator=second_browser, reader=second_browser, owner=browser, site="parables",
                        post=("/posts/earthseed", "All that you touch you change."))
