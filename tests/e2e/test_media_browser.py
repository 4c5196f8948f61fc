"""Uploading an image in the editor with the file picker, in a real Chromium."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests import images
from tests.e2e.admin_fixtures import browser, live_app  # noqa: F401 (fixtures)
from tests.e2e.test_admin_browser import sign_in
from tests.e2e.test_media_editor_browser import upload_file

pytestmark = pytest.mark.e2e


def test_pick_an_image_insert_it_publish_and_see_it_with_a_srcset(live_app, browser, tmp_path):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        user = await live_app.world.member(store, "author", name="Ada Author")
        return store, user

    store, user = live_app.call(setup)
    picture = tmp_path / "garden-party.png"
    picture.write_bytes(images.png_transparent(700, 350))
    sign_in(live_app, browser, "alpha", user["email"])
    browser.get(live_app.url("alpha", "/admin/posts/new"))
    browser.find_element(By.NAME, "title").send_keys("Garden party")
    body = browser.find_element(By.NAME, "markdown")
    body.send_keys("Before the picture.\n")
    upload_file(browser, str(picture), "A green disc on a garden table")
    WebDriverWait(browser, 20).until(
        lambda b: b.find_element(By.ID, "image-status").get_attribute("data-state") in ("done", "error"))
    assert browser.find_element(By.ID, "image-status").get_attribute("data-state") == "done", \
        browser.find_element(By.ID, "image-status").text
    text = body.get_attribute("value")
    assert re.search(r"^Before the picture\.\n!\[A green disc on a garden table\]\(/media/[0-9a-f]{24}/[0-9a-f]{32}\.png\)\n", text), text
    frame = browser.find_element(By.ID, "preview")
    WebDriverWait(browser, 10).until(lambda b: "/media/" in (frame.get_attribute("srcdoc") or ""))

    browser.find_element(By.CSS_SELECTOR, "input[name=state][value=published]").click()
    browser.find_element(By.CSS_SELECTOR, ".settings button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))

    browser.get(live_app.url("alpha", "/posts/garden-party"))
    img = browser.find_element(By.CSS_SELECTOR, ".post__body picture img")
    assert "320w" in img.get_attribute("srcset") and "700w" in img.get_attribute("srcset")
    assert img.get_attribute("alt") == "A green disc on a garden table"  # as typed on upload, never the file name
    WebDriverWait(browser, 10).until(lambda b: b.execute_script(
        "var i = arguments[0]; return i.complete && i.naturalWidth > 0;", img))
    chosen = browser.execute_script("return arguments[0].currentSrc;", img)
    assert re.search(r"/media/[0-9a-f]{24}/[0-9a-f]{32}\.(webp|png)$", chosen), chosen


DELIVER_FILE = """
const [target, kind, b64, name] = arguments;
const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
const transfer = new DataTransfer();
transfer.items.add(new File([bytes], name, {type: "image/png"}));
const event = kind === "paste"
  ? new ClipboardEvent("paste", {clipboardData: transfer, bubbles: true, cancelable: true})
  : new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true});
target.dispatchEvent(event);
"""


@pytest.mark.parametrize("kind", ["paste", "drop"])
def test_an_image_pasted_or_dropped_into_the_text_lands_at_the_cursor(live_app, browser, kind):  # noqa: F811
    import base64

    async def setup():
        store = await live_app.world.site("%s-site" % kind, title="Alpha Blog")
        return await live_app.world.member(store, "author", name="Ada Author")

    user = live_app.call(setup)
    sign_in(live_app, browser, "%s-site" % kind, user["email"])
    browser.get(live_app.url("%s-site" % kind, "/admin/posts/new"))
    body = browser.find_element(By.NAME, "markdown")
    body.send_keys("First line.\nLast line.")
    # The cursor goes to the end of the first line, where the image must land.
    browser.execute_script("arguments[0].setSelectionRange(11, 11);", body)
    png = base64.b64encode(images.png_transparent(64, 32)).decode()
    browser.execute_script(DELIVER_FILE, body, kind, png, "%s-shot.png" % kind)
    WebDriverWait(browser, 20).until(
        lambda b: b.find_element(By.ID, "image-status").get_attribute("data-state") in ("done", "error"))
    text = body.get_attribute("value")
    assert re.search(r"^First line\.\n?!\[\]\(/media/[0-9a-f]{24}/[0-9a-f]{32}\.png\)\n?\nLast line\.$", text), text
