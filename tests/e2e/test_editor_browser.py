"""The post editor keeps up with its writer, in a real Chromium (issue 14 "A better editor"; issue 16,
points 10, 11 and 13): toolbar and shortcuts with a working undo, keyboard paths, a preview that
stays where the writer is and shows what is typed, not only what is saved."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from cms.images.process import process
from tests import images
from tests.e2e.admin_fixtures import browser, live_app  # noqa: F401 (fixtures)
from tests.e2e.test_admin_browser import sign_in

pytestmark = pytest.mark.e2e

WAIT = 20  # seconds: the CI machine is loaded


def preview_has(browser, script: str):  # noqa: F811
    """Wait until ``script`` (run against the preview's document ``doc``) is truthy; its value."""
    run = "var doc = document.getElementById('preview').contentDocument; if (!doc || !doc.body) return null; " + script
    return WebDriverWait(browser, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: b.execute_script(run))


def test_the_preview_shows_the_featured_image_alt_and_caption_as_typed(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        owner = await live_app.world.member(store, "owner", name="Olga Owner")
        item, _ = await store.media.add(process(images.jpeg(120, 80)), "cover.jpg", owner["_id"])
        post = await live_app.world.post(store, owner, "Harbour", markdown="Boats.")
        return owner, post, item["files"][0]["url"]

    owner, post, url = live_app.call(setup)
    sign_in(live_app, browser, "alpha", owner["email"])
    browser.get(live_app.url("alpha", "/admin/posts/%s" % post["_id"]))
    preview_has(browser, "return doc.body.textContent.indexOf('Boats.') >= 0")
    assert browser.execute_script("return document.getElementById('preview').contentDocument"
                                  ".querySelector('figure img')") is None
    browser.find_element(By.NAME, "featured_image").send_keys(url)
    browser.find_element(By.NAME, "featured_alt").send_keys("Boats at dawn")
    browser.find_element(By.NAME, "featured_caption").send_keys("At six")
    shown = preview_has(browser, "var img = doc.querySelector('figure img'), cap = doc.querySelector('figcaption');"
                                 "return img && cap && cap.textContent === 'At six' ? [img.alt, img.src] : null")
    assert shown[0] == "Boats at dawn" and "/media/" in shown[1]
