"""A person who forgot their password: "Forgot password?" on the sign-in form, the link from
the e-mail (read from the test SMTP server), a new password, signed out elsewhere, signed in again."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.admin_fixtures import browser, mail_live_app  # noqa: F401 (fixtures)
from tests.mail_server import link_in, wait_for_blocking

NEW_PASSWORD = "remembered at last, 2026"


def h1(driver) -> str:
    return WebDriverWait(driver, 10).until(EC.presence_of_element_located((By.TAG_NAME, "h1"))).text


def test_forgot_password_then_reset_then_sign_in(mail_live_app, browser):  # noqa: F811
    app = mail_live_app

    async def setup():
        store = await app.world.site("alpha", title="Alpha Blog")
        return await app.world.member(store, "author", email="forgetful@example.com", name="Fern Forgetful")

    app.call(setup)
    browser.get(app.url("alpha", "/login"))
    browser.find_element(By.ID, "forgot-password").click()
    assert h1(browser) == "Forgot your password?"
    browser.find_element(By.NAME, "email").send_keys("forgetful@example.com")
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    assert "we sent it a link" in WebDriverWait(browser, 10).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok"))).text

    link = link_in(wait_for_blocking(app.smtp_server, "forgetful@example.com"))
    browser.get(link)
    assert h1(browser) == "Choose a new password"
    browser.find_element(By.NAME, "password").send_keys(NEW_PASSWORD)
    browser.find_element(By.NAME, "confirm_password").send_keys(NEW_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    notice = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    assert "new password is set" in notice.text and "/admin/account" in browser.current_url

    browser.find_element(By.CSS_SELECTOR, ".whoami form[action='/logout'] button").click()
    WebDriverWait(browser, 10).until(EC.url_contains("/login"))
    browser.find_element(By.NAME, "email").send_keys("forgetful@example.com")
    browser.find_element(By.NAME, "password").send_keys(NEW_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    assert "Fern Forgetful" in WebDriverWait(browser, 10).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, ".whoami"))).text
    browser.get(link)  # the link worked once
    assert "not valid" in browser.find_element(By.CSS_SELECTOR, ".alert.error").text
