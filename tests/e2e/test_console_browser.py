"""The operators' console in a real Chromium: an operator signs in on the platform,
suspends a site with a reason, a reader sees the plain suspended page, the owner
sees the reason in the read-only admin, the operator lifts the suspension, and the
reader gets the site back."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import TEST_PASSWORD
from tests.e2e.admin_fixtures import browser, live_app, second_browser  # noqa: F401
from tests.e2e.test_admin_browser import sign_in

pytestmark = pytest.mark.e2e

REASON = "Copyright complaint of 26 November: please write to abuse@example.com"


def test_an_operator_suspends_a_site_and_restores_it(live_app, browser, second_browser):  # noqa: F811
    async def setup():
        world = live_app.world
        store = await world.site("alpha", title="Alpha Blog")
        owner = await world.member(store, "owner", name="Ann Owner")
        await world.post(store, owner, "Morning pages", markdown="Written at dawn.")
        await world.users.create("ops@example.com", TEST_PASSWORD, name="Olga Ops")
        await world.users.set_platform_admin("ops@example.com")
        return owner

    owner = live_app.call(setup)
    operator, reader = browser, second_browser
    reader.get(live_app.url("alpha", "/posts/morning-pages"))
    assert "Written at dawn." in reader.page_source

    # The operator opens the console, is sent to sign in on the platform, and comes back.
    platform = "http://localhost:%d" % live_app.port
    operator.get(platform + "/console")
    WebDriverWait(operator, 10).until(EC.url_contains("/signin"))
    operator.find_element(By.NAME, "email").send_keys("ops@example.com")
    operator.find_element(By.NAME, "password").send_keys(TEST_PASSWORD)
    operator.find_element(By.CSS_SELECTOR, "form[action='/signin'] button[type=submit]").click()
    WebDriverWait(operator, 10).until(EC.presence_of_element_located((By.ID, "numbers")))

    operator.find_element(By.LINK_TEXT, "Sites").click()
    operator.find_element(By.NAME, "q").send_keys("alpha")
    listed = operator.find_element(By.ID, "content")
    operator.find_element(By.CSS_SELECTOR, "form[role=search] button").click()
    # The results are a new page: the list before the search had the site's link too.
    WebDriverWait(operator, 10).until(EC.staleness_of(listed))
    WebDriverWait(operator, 10).until(EC.element_to_be_clickable((By.LINK_TEXT, "alpha"))).click()
    WebDriverWait(operator, 10).until(EC.presence_of_element_located((By.NAME, "reason"))).send_keys(REASON)
    operator.find_element(By.CSS_SELECTOR, "#suspension button").click()
    notice = WebDriverWait(operator, 10).until(EC.presence_of_element_located((By.ID, "suspended")))
    assert REASON in notice.text and "ops@example.com" in notice.text

    reader.refresh()
    assert "This site is suspended." in reader.find_element(By.TAG_NAME, "h1").text
    assert "Written at dawn." not in reader.page_source and REASON not in reader.page_source

    # Its owner signs in and reads why; the admin is read-only.
    sign_in(live_app, reader, "alpha", owner["email"])
    assert REASON in reader.find_element(By.ID, "suspended").text

    operator.find_element(By.CSS_SELECTOR, "#suspension button").click()  # "Lift the suspension"
    WebDriverWait(operator, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "textarea[name=reason]")))

    reader.get(live_app.url("alpha", "/admin/"))
    assert not reader.find_elements(By.ID, "suspended")
    reader.get(live_app.url("alpha", "/posts/morning-pages"))
    assert "Written at dawn." in reader.page_source
