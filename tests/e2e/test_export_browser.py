"""An owner takes their whole site home from the admin's Export page, in a real Chromium."""

from __future__ import annotations

import json
import time
import zipfile

import pytest
from selenium.webdriver.common.by import By

from tests.e2e.admin_fixtures import browser, live_app  # noqa: F401 (fixtures)
from tests.e2e.test_admin_browser import sign_in

pytestmark = pytest.mark.e2e


def downloaded(folder, pattern: str, timeout: float = 30.0):
    """The file Chromium saved in ``folder`` (a finished download: no .crdownload left), or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(pattern) if not p.name.endswith(".crdownload")]
        if done and not list(folder.glob("*.crdownload")):
            return done[0]
        time.sleep(0.1)  # polling a folder for a condition, under a deadline
    raise AssertionError("no download matching %s in %s" % (pattern, folder))


def test_the_owner_downloads_the_site_archive_from_the_export_page(live_app, browser, tmp_path):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        owner = await live_app.world.member(store, "owner", name="Olga Owner")
        await live_app.world.post(store, owner, "Harbour notes", "Morning light.", tags=["Travel"])
        await live_app.world.post(store, owner, "Half written", "Not yet.", status="draft")
        return owner

    owner = live_app.call(setup)
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    sign_in(live_app, browser, "alpha", owner["email"])
    browser.find_element(By.CSS_SELECTOR, 'nav.sidebar a[href="/admin/export"]').click()
    assert browser.find_element(By.CSS_SELECTOR, ".page-head h1").text == "Export"
    assert "2 posts and pages" in browser.find_element(By.ID, "content").text
    browser.find_element(By.CSS_SELECTOR, 'form:has(input[value="archive"]) button[type=submit]').click()

    archive = downloaded(tmp_path, "alpha-export-*.zip")
    with zipfile.ZipFile(archive) as z:
        data = json.loads(z.read("site.json"))
    assert data["format"] == "cms-site-export" and data["site"]["title"] == "Alpha Blog"
    assert {(p["title"], p["state"]) for p in data["posts"]} == {("Harbour notes", "published"),
                                                                 ("Half written", "draft")}
    assert browser.find_element(By.CSS_SELECTOR, ".page-head h1").text == "Export"  # the page stays as it was
