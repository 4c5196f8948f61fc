"""An owner imports a WordPress export through the admin's Import page in a real Chromium,
watches it run, leaves, comes back to the report, and reads an imported post."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.admin_fixtures import browser, live_app  # noqa: F401 (fixtures)
from tests.e2e.test_admin_browser import sign_in

pytestmark = pytest.mark.e2e

WXR = Path(__file__).parent.parent / "fixtures" / "import" / "wordpress-6.5.xml"


def test_import_through_the_admin_page_watching_its_progress(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("lake", title="Lakeside")
        return await live_app.world.member(store, "owner", name="Olga Owner")

    owner = live_app.call(setup)
    sign_in(live_app, browser, "lake", owner["email"])
    browser.find_element(By.LINK_TEXT, "Import").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=source][value=wordpress]").click()
    browser.find_element(By.ID, "import-file").send_keys(str(WXR))
    browser.find_element(By.CSS_SELECTOR, ".import-form button[type=submit]").click()

    # The job's page follows the import live, then shows its report.
    WebDriverWait(browser, 10).until(lambda b: "/admin/import/" in b.current_url)
    job_url = browser.current_url
    WebDriverWait(browser, 60).until(
        lambda b: b.find_element(By.ID, "import-job").get_attribute("data-status") == "done"
        and b.find_element(By.ID, "import-report").is_displayed())
    progress = browser.find_element(By.ID, "import-progress")
    assert progress.get_attribute("value") == progress.get_attribute("max") == "12"
    report = browser.find_element(By.ID, "import-report").text
    assert "Imported 10, skipped 2" in report and "a menu item" in report
    if os.environ.get("CMS_IMPORT_SCREENSHOT"):  # to look at the page by hand; never committed
        browser.set_window_size(1280, 1100)
        browser.save_screenshot(os.environ["CMS_IMPORT_SCREENSHOT"])

    # Leaving and coming back: the list links to the job, whose report is still there.
    browser.get(live_app.url("lake", "/admin/"))
    browser.find_element(By.LINK_TEXT, "Import").click()
    browser.find_element(By.LINK_TEXT, "wordpress-6.5.xml").click()
    assert browser.current_url == job_url
    assert "Imported 10, skipped 2" in browser.find_element(By.ID, "import-report").text

    # A reader follows an old WordPress link to the imported post.
    browser.get(live_app.url("lake", "/2024/05/morning-at-the-lake/"))
    assert browser.current_url.endswith("/posts/morning-at-the-lake")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Morning at the lake"
    severe = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"
              and "favicon" not in e["message"] and "wp-content" not in e["message"]]
    assert severe == []
