"""A newcomer starts a blog with Google in a real Chromium (Google is the loopback
stand-in, tests/google_standin.py): sign-up from the landing page, a new site, its
admin reached through the handover, a first post published and read by a reader,
signing out of the platform ending the site's session, then signing in again from
the site's own sign-in page ("Sign in with your platform account", which goes
through the platform's sign-in with Google and back). Then an operator suspends
that site on the console and restores it, and the reader sees the suspended page,
then the site again. (The e-mail variant: test_signup_browser.py.)"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import TEST_PASSWORD
from tests.e2e.admin_fixtures import browser, google_live_app, second_browser  # noqa: F401
from tests.e2e.test_themes_browser import problems

pytestmark = pytest.mark.e2e

EMAIL = "grace@example.com"
REASON = "Reported as spam on 26 November: write to abuse@example.com"


def test_a_newcomer_starts_a_blog_with_google_and_an_operator_suspends_and_restores_it(
        google_live_app, browser, second_browser):  # noqa: F811
    app = google_live_app
    platform = "http://localhost:%d" % app.port
    wait = WebDriverWait(browser, 10)
    app.google.sign_in_as(EMAIL, sub="sub-grace", name="Grace Hopper")

    browser.get(platform + "/")
    browser.find_element(By.ID, "start").click()
    wait.until(EC.element_to_be_clickable((By.ID, "google-sign-up"))).click()
    name = wait.until(EC.presence_of_element_located((By.ID, "site-name")))
    name.send_keys("compilers")
    wait.until(EC.text_to_be_present_in_element((By.ID, "name-status"), "compilers.localhost is free."))
    browser.find_element(By.NAME, "title").send_keys("On Compilers")
    browser.find_element(By.CSS_SELECTOR, "#new-site-form button[type=submit]").click()

    # Handed over to the new site's own host, signed in there as its owner.
    wait.until(EC.url_to_be(app.url("compilers", "/admin/")))
    assert "owner" in browser.find_element(By.CSS_SELECTOR, ".whoami").text.lower()
    browser.find_element(By.ID, "first-steps").find_element(By.LINK_TEXT, "Write a first post").click()
    wait.until(EC.presence_of_element_located((By.NAME, "title"))).send_keys("The first bug")
    browser.find_element(By.NAME, "markdown").send_keys("A moth, *taped* into the log book.")
    browser.find_element(By.CSS_SELECTOR, "input[name=state][value=published]").click()
    browser.find_element(By.CSS_SELECTOR, ".settings button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))

    reader = second_browser
    reader.get(app.url("compilers", "/posts/the-first-bug"))
    assert "A moth, taped into the log book." in reader.find_element(By.TAG_NAME, "body").text

    # Signing out of the platform signs out of the site too.
    browser.get(platform + "/sites")
    browser.find_element(By.CSS_SELECTOR, ".platform-bar form[action='/signout'] button").click()
    wait.until(EC.url_to_be(platform + "/"))
    browser.get(app.url("compilers", "/admin/"))
    wait.until(EC.url_contains("/login"))

    # In again from the site's sign-in page: the platform asks for its sign-in (Google), then hands over.
    browser.find_element(By.ID, "platform-sign-in").click()
    wait.until(EC.url_contains(platform + "/signin"))
    browser.find_element(By.ID, "google-sign-in").click()
    wait.until(EC.url_to_be(app.url("compilers", "/admin/")))
    assert "Grace Hopper" in browser.find_element(By.CSS_SELECTOR, ".whoami").text
    assert problems(browser) == []

    suspend_and_restore(app, operator=second_browser, reader=reader, owner=browser, site="compilers",
                        post=("/posts/the-first-bug", "A moth, taped into the log book."))


def suspend_and_restore(app, operator, reader, owner, site: str, post: tuple[str, str]) -> None:
    """An operator (made here; the ``operator`` browser is signed in on the platform's
    host only, so it stays a plain reader of the site) suspends ``site`` on the console:
    the ``reader`` gets the plain suspended page, the ``owner`` reads the reason in the
    admin; the operator lifts it, and the reader has the post back."""
    path, text = post

    async def make_operator():
        await app.world.users.create("ops@example.com", TEST_PASSWORD, name="Olga Ops")
        await app.world.users.set_platform_admin("ops@example.com")

    app.call(make_operator)
    operator.get("http://localhost:%d/console" % app.port)
    WebDriverWait(operator, 10).until(EC.url_contains("/signin"))
    operator.find_element(By.NAME, "email").send_keys("ops@example.com")
    operator.find_element(By.NAME, "password").send_keys(TEST_PASSWORD)
    operator.find_element(By.CSS_SELECTOR, "form[action='/signin'] button[type=submit]").click()
    WebDriverWait(operator, 10).until(EC.presence_of_element_located((By.ID, "numbers")))
    operator.find_element(By.LINK_TEXT, "Sites").click()
    operator.find_element(By.NAME, "q").send_keys(site)
    listed = operator.find_element(By.ID, "content")
    operator.find_element(By.CSS_SELECTOR, "form[role=search] button").click()
    # The results are a new page: the list before the search had the site's link too.
    WebDriverWait(operator, 10).until(EC.staleness_of(listed))
    WebDriverWait(operator, 10).until(EC.element_to_be_clickable((By.LINK_TEXT, site))).click()
    WebDriverWait(operator, 10).until(EC.presence_of_element_located((By.NAME, "reason"))).send_keys(REASON)
    operator.find_element(By.CSS_SELECTOR, "#suspension button").click()
    WebDriverWait(operator, 10).until(EC.presence_of_element_located((By.ID, "suspended")))
    console = operator.current_url

    reader.get(app.url(site, path))
    assert "This site is suspended." in reader.find_element(By.TAG_NAME, "h1").text
    assert text not in reader.page_source and REASON not in reader.page_source
    owner.get(app.url(site, "/admin/"))
    assert REASON in owner.find_element(By.ID, "suspended").text

    operator.get(console)
    operator.find_element(By.CSS_SELECTOR, "#suspension button").click()  # "Lift the suspension"
    WebDriverWait(operator, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "textarea[name=reason]")))
    reader.get(app.url(site, path))
    assert text in reader.find_element(By.TAG_NAME, "body").text
