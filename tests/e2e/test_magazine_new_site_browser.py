"""A brand-new Magazine site as its owner first sees it (issue 14's newcomer): no empty boxes,
no blank strip under the footer, and a phone menu that starts collapsed on every page, 404 too."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.admin_fixtures import browser, live_app  # noqa: F401 (fixtures)
from tests.e2e.test_themes_browser import use_width

pytestmark = pytest.mark.e2e


def test_a_new_magazine_site_looks_finished_on_desktop_and_phone(live_app, browser):  # noqa: F811
    live_app.call(lambda: live_app.world.site("fresh", title="Fresh Start", theme="magazine"))

    use_width(browser, "desktop")
    browser.get(live_app.url("fresh", "/"))
    boxes = browser.find_elements(By.CSS_SELECTOR, ".sidebar .widget")
    assert boxes and all(box.text.strip() for box in boxes)  # no empty widget box
    # The footer ends at the bottom of the window, not above a blank strip.
    bottom, window = browser.execute_script(
        "return [document.querySelector('.colophon').getBoundingClientRect().bottom, window.innerHeight]")
    assert bottom >= window - 1

    use_width(browser, "phone")
    for path in ("/", "/no-such-page"):
        browser.get(live_app.url("fresh", path))
        toggle = WebDriverWait(browser, 10).until(
            lambda b: b.find_element(By.CSS_SELECTOR, ".site-nav__toggle"), message=path)
        assert toggle.get_attribute("aria-expanded") == "false", path
        assert not browser.find_element(By.CSS_SELECTOR, ".site-nav__list").is_displayed(), path
        toggle.click()
        assert browser.find_element(By.CSS_SELECTOR, ".site-nav__list").is_displayed(), path
