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
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from cms.images.process import process
from tests import images
from tests.e2e.admin_fixtures import browser, live_app  # noqa: F401 (fixtures)
from tests.e2e.axe import axe_violations
from tests.e2e.test_admin_browser import sign_in

pytestmark = pytest.mark.e2e

MEDIA_URL = r"/media/[0-9a-f]{24}/[0-9a-f]{32}\.(?:jpg|png)"

# Holds the answer of every upload (POST /admin/media) until the test calls
# window.releaseUploads(); the request itself goes to the server at once.
HOLD_UPLOADS = """
var realFetch = window.fetch, released, release;
window.holdUploads = function () { released = new Promise(function (resolve) { release = resolve; }); };
window.releaseUploads = function () { release(); };
window.holdUploads();
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

    upload_file(browser, str(picture), "A red barn at dusk")
    wait_uploading(browser)
    body.send_keys("typed during, ")
    assert "/media/" not in value_of(browser) and "Uploading" not in value_of(browser)  # nothing to save by mistake
    browser.execute_script("window.releaseUploads();")
    text = wait_for_text(browser, lambda text: "/media/" in text, "the upload never finished")
    assert re.fullmatch(r"First paragraph\.\n!\[A red barn at dusk\]\(%s\)\ntyped during, \n\nSecond paragraph\." % MEDIA_URL,
                        text), text

    body.send_keys("typed after")  # the cursor stayed where the typing was
    before_undo = wait_for_text(browser, lambda text: "typed after" in text, "typing after the upload was lost")
    assert re.fullmatch(r"First paragraph\.\n!\[[^\]]*\]\(%s\)\ntyped during, typed after\n\nSecond paragraph\."
                        % MEDIA_URL, before_undo), before_undo
    # Undo walks back the typing after the upload, then (the browser's undo
    # stack survived the upload) the typing done while it ran.
    undo_until(browser, body, lambda text: text == before_undo.replace("typed after", ""), "the last typing")
    body.send_keys(Keys.CONTROL, "z")  # then the image, in one step, leaving no placeholder behind
    assert value_of(browser) == "First paragraph.\ntyped during, \n\nSecond paragraph.", value_of(browser)
    undo_until(browser, body, lambda text: "typed" not in text, "the typing during the upload")
    assert value_of(browser).startswith("First paragraph.\n") and value_of(browser).endswith("\n\nSecond paragraph.")

    # Typing before the image's place and in another field while an upload runs: the
    # image still takes its place, and the focus and the typing stay where they were.
    second = tmp_path / "IMG_4022.png"
    second.write_bytes(images.png_transparent(900, 600))
    so_far = value_of(browser)
    browser.execute_script("arguments[0].setSelectionRange(arguments[0].value.length, arguments[0].value.length);", body)
    browser.execute_script("window.holdUploads();")
    upload_file(browser, str(second), "Second picture")
    wait_uploading(browser)
    browser.execute_script("arguments[0].setSelectionRange(0, 0);", body)
    ActionChains(browser).send_keys("Lead. ").perform()
    title = browser.find_element(By.NAME, "title")
    title.click()
    title.send_keys("Typed in the title")
    browser.execute_script("window.releaseUploads();")
    text = wait_for_text(browser, lambda text: "![Second picture](/media/" in text, "the second upload did not land")
    assert re.fullmatch(r"Lead\. %s\n!\[Second picture\]\(%s\)\n" % (re.escape(so_far), MEDIA_URL), text), text
    assert title.get_attribute("value") == "Typed in the title"
    assert browser.execute_script("return document.activeElement.name") == "title"


def wait_uploading(browser) -> None:  # noqa: F811
    WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: b.find_element(By.ID, "image-status").get_attribute("data-state") == "uploading")


def undo_until(browser, body, check, what: str, most: int = 40) -> None:  # noqa: F811
    """Ctrl+Z (one step at a time: headless Chromium may undo typing a key at a time) until ``check``."""
    for _ in range(most):
        if check(value_of(browser)):
            return
        body.send_keys(Keys.CONTROL, "z")
    raise AssertionError("Ctrl+Z did not undo %s; the text is %r" % (what, value_of(browser)))


def upload_file(browser, path: str, alt: str = "") -> None:  # noqa: F811
    """Insert image…, a file and its alt text in the picker, Upload and insert."""
    browser.find_element(By.ID, "insert-image").click()
    dialog = WebDriverWait(browser, 20).until(lambda b: b.find_element(By.ID, "media-picker"))
    WebDriverWait(browser, 20).until(lambda b: dialog.get_attribute("open") is not None)
    browser.find_element(By.ID, "media-picker-file").send_keys(path)
    browser.find_element(By.ID, "media-picker-alt").send_keys(alt)
    browser.find_element(By.ID, "media-picker-upload").click()


def picker_open(browser) -> bool:  # noqa: F811
    return browser.execute_script("var d = document.getElementById('media-picker'); return !!(d && d.open);")


def focus_in_picker(browser) -> bool:  # noqa: F811
    return browser.execute_script("return !!document.activeElement.closest('#media-picker');")


def picker_names(browser) -> list[str]:  # noqa: F811
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('#media-picker-results .media-pick-name'), n => n.textContent);")


def wait_for_names(browser, names: list[str]) -> None:  # noqa: F811
    WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: picker_names(b) == names)


def test_the_library_picker_inserts_at_the_cursor_fills_the_featured_image_and_flags_missing_alt(
        live_app, browser, tmp_path):  # noqa: F811
    async def setup():
        store = await live_app.world.site("picker", title="Alpha Blog")
        user = await live_app.world.member(store, "author", name="Ada Author")
        barn, _ = await store.media.add(process(images.jpeg(320, 200, "red")), "barn.jpg", user["_id"], alt="A red barn")
        sea, _ = await store.media.add(process(images.jpeg(320, 200, "blue")), "IMG_4021.jpg", user["_id"])
        other = await live_app.world.site("other-site", title="Other")
        await other.media.add(process(images.jpeg(320, 200, "green")), "barn-elsewhere.jpg", user["_id"])
        return user, barn, sea

    user, barn, sea = live_app.call(setup)
    sign_in(live_app, browser, "picker", user["email"])
    browser.get(live_app.url("picker", "/admin/posts/new"))
    body = browser.find_element(By.NAME, "markdown")
    body.send_keys("Intro.\nOutro.")
    browser.execute_script("arguments[0].setSelectionRange(6, 6);", body)  # after "Intro."

    # The dialog: focus inside and kept there by Tab; Esc closes it and changes nothing.
    browser.find_element(By.ID, "insert-image").click()
    WebDriverWait(browser, 20).until(picker_open)
    wait_for_names(browser, ["IMG_4021.jpg", "barn.jpg"])  # this site's images only, newest first
    assert focus_in_picker(browser)
    assert not axe_violations(browser), axe_violations(browser)
    for _ in range(12):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        assert focus_in_picker(browser)
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    WebDriverWait(browser, 20).until(lambda b: not picker_open(b))
    assert value_of(browser) == "Intro.\nOutro."

    # Search, choose: the image goes where the cursor was, with its alt text.
    browser.find_element(By.ID, "insert-image").click()
    WebDriverWait(browser, 20).until(picker_open)
    browser.find_element(By.ID, "media-picker-search").send_keys("BARN")
    wait_for_names(browser, ["barn.jpg"])
    browser.find_element(By.CSS_SELECTOR, "#media-picker-results .media-pick").click()
    text = wait_for_text(browser, lambda text: "/media/" in text, "the chosen image was not inserted")
    assert re.fullmatch(r"Intro\.\n!\[A red barn\]\(/media/%s/[0-9a-f]{32}\.jpg\)\n\nOutro\." % barn["_id"], text), text
    assert browser.find_element(By.ID, "alt-hint").is_displayed() is False

    # An image without alt text is inserted as such, and the editor says so (never "IMG 4021").
    browser.find_element(By.ID, "insert-image").click()
    WebDriverWait(browser, 20).until(picker_open)
    wait_for_names(browser, ["IMG_4021.jpg", "barn.jpg"])
    browser.find_elements(By.CSS_SELECTOR, "#media-picker-results .media-pick")[0].click()
    text = wait_for_text(browser, lambda text: "![](/media/%s/" % sea["_id"] in text, "the second image was not inserted")
    assert "IMG" not in text
    WebDriverWait(browser, 20).until(lambda b: b.find_element(By.ID, "alt-hint").is_displayed())
    assert "1 image" in browser.find_element(By.ID, "alt-hint").text
    browser.find_element(By.ID, "describe-image").click()  # the cursor goes between its brackets
    ActionChains(browser).send_keys("Grey sea").perform()
    wait_for_text(browser, lambda text: "![Grey sea](/media/%s/" % sea["_id"] in text, "Describe it did not lead there")
    WebDriverWait(browser, 20).until(lambda b: not b.find_element(By.ID, "alt-hint").is_displayed())

    # The featured image: chosen from the library; its missing alt text is pointed out until typed.
    browser.find_element(By.ID, "featured-choose").click()
    WebDriverWait(browser, 20).until(picker_open)
    browser.find_element(By.ID, "media-picker-search").send_keys("4021")
    wait_for_names(browser, ["IMG_4021.jpg"])
    browser.find_element(By.CSS_SELECTOR, "#media-picker-results .media-pick").click()
    WebDriverWait(browser, 20).until(
        lambda b: b.find_element(By.NAME, "featured_image").get_attribute("value").startswith("/media/%s/" % sea["_id"]))
    assert browser.find_element(By.CSS_SELECTOR, "#featured-preview img")
    WebDriverWait(browser, 20).until(lambda b: b.find_element(By.ID, "featured-alt-hint").is_displayed())
    browser.find_element(By.NAME, "featured_alt").send_keys("Grey sea under rain")
    WebDriverWait(browser, 20).until(lambda b: not b.find_element(By.ID, "featured-alt-hint").is_displayed())


def test_the_logo_is_chosen_from_the_library_in_the_theme_settings(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("logo-site", title="Alpha Blog")
        user = await live_app.world.member(store, "admin", name="Ada Admin")
        logo, _ = await store.media.add(process(images.png_transparent(300, 120)), "logo.png", user["_id"])
        return store, user, logo

    store, user, logo = live_app.call(setup)
    sign_in(live_app, browser, "logo-site", user["email"])
    browser.get(live_app.url("logo-site", "/admin/media"))  # one upload, however many copies of it were made
    assert browser.find_element(By.ID, "media-usage").text.startswith("1 image, ")

    # A logo address naming no file of the library is refused with the reason.
    browser.get(live_app.url("logo-site", "/admin/theme"))
    field = browser.find_element(By.ID, "setting.logo")
    field.send_keys(logo["files"][0]["url"].replace(logo["_id"], "0" * 24))
    save = browser.find_element(By.CSS_SELECTOR, "#theme-settings button[type=submit]")
    save.click()
    WebDriverWait(browser, 20).until(EC.staleness_of(save))
    error = WebDriverWait(browser, 20).until(lambda b: b.find_element(By.CSS_SELECTOR, ".alert.error"))
    assert "is not in this site's media library" in error.text
    browser.find_element(By.ID, "setting.logo").clear()
    browser.find_element(By.CSS_SELECTOR, "[data-media-pick='setting.logo']").click()
    WebDriverWait(browser, 20).until(picker_open)
    wait_for_names(browser, ["logo.png"])
    browser.find_element(By.CSS_SELECTOR, "#media-picker-results .media-pick").click()
    field = browser.find_element(By.ID, "setting.logo")
    WebDriverWait(browser, 20).until(lambda b: field.get_attribute("value").startswith("/media/%s/" % logo["_id"]))
    chosen = field.get_attribute("value")
    save = browser.find_element(By.CSS_SELECTOR, "#theme-settings button[type=submit]")
    save.click()
    WebDriverWait(browser, 20).until(EC.staleness_of(save))
    WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".alert.ok"))
    site = live_app.call(lambda: live_app.world.sites.by_name("logo-site"))
    assert site["theme_settings"]["logo"] == chosen
    browser.get(live_app.url("logo-site", "/"))
    assert browser.find_elements(By.CSS_SELECTOR, "img[src='%s']" % chosen)

