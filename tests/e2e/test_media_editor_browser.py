"""Images in the editor without fuss (issue 16, points 2 and 14), in a real Chromium.

An upload's answer is held back by the test (its ``fetch`` promise waits for
``window.releaseUploads()``), so "typing while the upload runs" happens for
sure, however fast or loaded the machine: the upload itself is real, a
2400 px JPEG sent to the server and processed there.
"""

from __future__ import annotations

import re

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests import images
from tests.e2e.admin_fixtures import browser, live_app  # noqa: F401 (fixtures)
from tests.e2e.test_admin_browser import sign_in

pytestmark = pytest.mark.e2e

MEDIA_URL = r"/media/[0-9a-f]{24}/[0-9a-f]{32}\.(?:jpg|png)"

# Holds the answer of every upload (POST /admin/media) until the test calls
# window.releaseUploads(); the request itself goes to the server at once.
HOLD_UPLOADS = """
var realFetch = window.fetch, release;
var released = new Promise(function (resolve) { release = resolve; });
window.releaseUploads = function () { release(); };
window.fetch = function (url, options) {
  var answer = realFetch.apply(this, arguments);
  if (!(options && options.method === "POST" && /\\/admin\\/media/.test(String(url)))) return answer;
  return Promise.all([answer, released]).then(function (both) { return both[0]; });
};
"""


def open_new_post(live_app, browser, site: str, role: str = "author"):  # noqa: F811
    async def setup():
        store = await live_app.world.site(site, title="Alpha Blog")
        return store, await live_app.world.member(store, role, name="Ada Author")

    store, user = live_app.call(setup)
    sign_in(live_app, browser, site, user["email"])
    browser.get(live_app.url(site, "/admin/posts/new"))
    return store, browser.find_element(By.NAME, "markdown")


def value_of(browser) -> str:  # noqa: F811
    return browser.find_element(By.NAME, "markdown").get_attribute("value")


def wait_for_text(browser, check, what: str) -> str:  # noqa: F811
    """The editor's text once ``check(text)`` holds (re-found: never a stale element)."""
    found = {}

    def ready(b):
        found["text"] = value_of(b)
        return check(found["text"])

    try:
        WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(ready)
    except Exception:
        raise AssertionError("%s; the text is %r" % (what, found.get("text"))) from None
    return found["text"]


def test_typing_during_an_upload_stays_where_it_is_and_undo_keeps_working(live_app, browser, tmp_path):  # noqa: F811
    picture = tmp_path / "IMG_4021.jpg"
    picture.write_bytes(images.jpeg(2400, 1600))
    store, body = open_new_post(live_app, browser, "cursor")
    body.send_keys("First paragraph.\n\nSecond paragraph.")
    browser.execute_script("arguments[0].setSelectionRange(16, 16);", body)  # end of the first paragraph
    browser.execute_script(HOLD_UPLOADS)

    upload_file(browser, str(picture))
    wait_for_text(browser, lambda text: "Uploading IMG_4021.jpg" in text, "no placeholder while uploading")
    body.send_keys("typed during, ")
    browser.execute_script("window.releaseUploads();")
    text = wait_for_text(browser, lambda text: "Uploading" not in text, "the upload never finished")
    assert re.fullmatch(r"First paragraph\.\n!\[[^\]]*\]\(%s\)\ntyped during, \n\nSecond paragraph\." % MEDIA_URL,
                        text), text

    body.send_keys("typed after")  # the cursor stayed where the typing was
    before_undo = wait_for_text(browser, lambda text: "typed after" in text, "typing after the upload was lost")
    assert re.fullmatch(r"First paragraph\.\n!\[[^\]]*\]\(%s\)\ntyped during, typed after\n\nSecond paragraph\."
                        % MEDIA_URL, before_undo), before_undo
    # Undo walks back the typing after the upload, then (the browser's undo
    # stack survived the upload) the typing done while it ran.
    undo_until(browser, body, lambda text: text == before_undo.replace("typed after", ""), "the last typing")
    undo_until(browser, body, lambda text: "typed" not in text, "the typing during the upload")
    assert value_of(browser).startswith("First paragraph.\n") and value_of(browser).endswith("\n\nSecond paragraph.")


def undo_until(browser, body, check, what: str, most: int = 40) -> None:  # noqa: F811
    """Ctrl+Z (one step at a time: headless Chromium may undo typing a key at a time) until ``check``."""
    for _ in range(most):
        if check(value_of(browser)):
            return
        body.send_keys(Keys.CONTROL, "z")
    raise AssertionError("Ctrl+Z did not undo %s; the text is %r" % (what, value_of(browser)))


def upload_file(browser, path: str) -> None:  # noqa: F811
    """What "Insert image…" does with the chosen file."""
    picker = browser.find_element(By.ID, "image-file")
    browser.execute_script("arguments[0].hidden = false;", picker)
    picker.send_keys(path)
