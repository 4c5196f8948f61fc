"""A custom domain in a real Chromium: the owner adds it, verifies it, makes it the
primary address; readers at the old address land on the domain, and the admin
stays where it was. Chromium reaches ``blog.example.org`` through
``--host-resolver-rules``, the app's check through ``domain_check_hosts``."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.admin_fixtures import LiveApp
from tests.e2e.conftest import new_chromium
from tests.e2e.test_admin_browser import sign_in

pytestmark = pytest.mark.e2e

DOMAIN = "blog.example.org"


@pytest.fixture
def domain_app(settings):
    app = LiveApp(settings)
    app.overrides = {"domain_check_hosts": {DOMAIN: ("127.0.0.1", app.port)}}
    app.start()
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture
def domain_browser():
    driver = new_chromium(page_load_timeout=20, extra_flags=("--host-resolver-rules=MAP %s 127.0.0.1" % DOMAIN,))
    try:
        yield driver
    finally:
        driver.quit()


def click(browser, domain: str, label: str) -> None:
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-domain="%s"]' % domain)
    row.find_element(By.XPATH, ".//button[normalize-space()='%s']" % label).click()
    # The answer is a new page: wait for this one to go (its own ".alert.ok" from the
    # step before would otherwise be taken for the answer), then for the new message.
    WebDriverWait(browser, 10).until(EC.staleness_of(row))
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))


def test_an_owner_moves_the_site_to_a_custom_domain(domain_app, domain_browser):
    browser = domain_browser

    async def setup():
        store = await domain_app.world.site("mag", title="The Magazine")
        owner = await domain_app.world.member(store, "owner", name="Olive Owner")
        await domain_app.world.post(store, owner, "Moving house", markdown="We live at a new address.")
        return owner

    owner = domain_app.call(setup)
    sign_in(domain_app, browser, "mag", owner["email"])
    browser.get(domain_app.url("mag", "/admin/domains"))
    assert "CNAME" in browser.find_element(By.ID, "dns-help").text
    browser.find_element(By.CSS_SELECTOR, "#add-domain input[name=name]").send_keys(DOMAIN)
    browser.find_element(By.CSS_SELECTOR, "#add-domain button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, 'tr[data-domain="%s"]' % DOMAIN)))
    assert "waiting for verification" in browser.find_element(By.ID, "domains").text
    click(browser, DOMAIN, "Verify")
    assert "Domain verified" in browser.find_element(By.CSS_SELECTOR, ".alert.ok").text
    click(browser, DOMAIN, "Make primary")
    assert browser.find_element(By.ID, "primary-address").text == DOMAIN

    # A reader at the old address lands on the domain, with the page's canonical URL there.
    browser.get(domain_app.url("mag", "/posts/moving-house"))
    WebDriverWait(browser, 10).until(EC.url_contains(DOMAIN))
    assert browser.current_url == "http://%s:%d/posts/moving-house" % (DOMAIN, domain_app.port)
    assert "We live at a new address." in browser.page_source
    canonical = browser.find_element(By.CSS_SELECTOR, "link[rel=canonical]").get_attribute("href")
    assert canonical == "http://%s:%d/posts/moving-house" % (DOMAIN, domain_app.port)

    # The admin stays at <name>.<base>: nothing moves the owner away from it.
    browser.get(domain_app.url("mag", "/admin/domains"))
    assert browser.current_url == domain_app.url("mag", "/admin/domains")
    assert browser.find_element(By.ID, "primary-address").text == DOMAIN
