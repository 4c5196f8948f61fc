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


def author_at_a_new_post(live_app, browser, width: int = 1400, height: int = 900):  # noqa: F811
    """An author signed in at a new, empty post; the site's store and the author."""
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        return store, await live_app.world.member(store, "author", name="Ada Author")

    store, author = live_app.call(setup)
    browser.set_window_size(width, height)
    sign_in(live_app, browser, "alpha", author["email"])
    browser.get(live_app.url("alpha", "/admin/posts/new"))
    return store, author


def text_of(browser):  # noqa: F811
    return browser.execute_script("return document.querySelector('textarea[name=markdown]').value")


def select(browser, start: int, end: int) -> None:  # noqa: F811
    browser.execute_script("var t = document.querySelector('textarea[name=markdown]'); t.focus();"
                           "t.setSelectionRange(arguments[0], arguments[1])", start, end)


def press(browser, *keys: str) -> None:  # noqa: F811
    """A chord typed at whatever has the focus (e.g. Ctrl+B)."""
    from selenium.webdriver.common.action_chains import ActionChains

    chain = ActionChains(browser)
    for key in keys[:-1]:
        chain.key_down(key)
    chain.send_keys(keys[-1])
    for key in reversed(keys[:-1]):
        chain.key_up(key)
    chain.perform()


def becomes(browser, expected: str) -> str:  # noqa: F811
    WebDriverWait(browser, WAIT).until(lambda b: text_of(b) == expected)
    return expected


def test_toolbar_and_shortcuts_format_the_markdown_and_undo_takes_them_back(live_app, browser):  # noqa: F811
    from selenium.webdriver.common.keys import Keys

    author_at_a_new_post(live_app, browser)
    toolbar = browser.find_element(By.CSS_SELECTOR, "[role=toolbar]")
    buttons = toolbar.find_elements(By.TAG_NAME, "button")
    names = [b.get_attribute("aria-label") or b.text for b in buttons]
    for wanted in ("Heading", "Bold", "Italic", "Link", "Quote", "Code", "List", "Image"):
        assert any(name.startswith(wanted) for name in names), names
    body = browser.find_element(By.NAME, "markdown")
    body.send_keys("Hello world")
    select(browser, 6, 11)
    press(browser, Keys.CONTROL, "b")
    becomes(browser, "Hello **world**")
    press(browser, Keys.CONTROL, "z")  # the browser's own undo takes the bold back
    becomes(browser, "Hello world")
    select(browser, 6, 11)
    toolbar.find_element(By.CSS_SELECTOR, "[aria-label^=Italic]").click()
    becomes(browser, "Hello _world_")
    press(browser, Keys.CONTROL, "z")
    becomes(browser, "Hello world")
    select(browser, 6, 11)
    press(browser, Keys.CONTROL, "k")  # a link around the words, its address selected to be typed over
    becomes(browser, "Hello [world](https://)")
    body.send_keys("https://example.org")
    becomes(browser, "Hello [world](https://example.org)")
    select(browser, 0, 0)
    toolbar.find_element(By.CSS_SELECTOR, "[aria-label^=Heading]").click()
    becomes(browser, "## Hello [world](https://example.org)")
    body.send_keys(Keys.END, Keys.ENTER, "one", Keys.ENTER, "two")
    select(browser, len(text_of(browser)) - 7, len(text_of(browser)))
    toolbar.find_element(By.CSS_SELECTOR, "[aria-label^=List]").click()
    becomes(browser, "## Hello [world](https://example.org)\n- one\n- two")
    press(browser, Keys.CONTROL, "z")
    becomes(browser, "## Hello [world](https://example.org)\none\ntwo")
    select(browser, len(text_of(browser)) - 7, len(text_of(browser)))
    toolbar.find_element(By.CSS_SELECTOR, "[aria-label^=Code]").click()  # lines: a fenced block
    becomes(browser, "## Hello [world](https://example.org)\n```\none\ntwo\n```")
    press(browser, Keys.CONTROL, "z")
    select(browser, len(text_of(browser)) - 3, len(text_of(browser)) - 3)
    toolbar.find_element(By.CSS_SELECTOR, "[aria-label^=Quote]").click()  # the caret's line
    becomes(browser, "## Hello [world](https://example.org)\none\n> two")
    press(browser, Keys.CONTROL, "z")
    becomes(browser, "## Hello [world](https://example.org)\none\ntwo")
    # the word count follows the text
    WebDriverWait(browser, WAIT).until(
        lambda b: b.find_element(By.ID, "word-count").text.startswith("4 words") and "1 min read" in
        b.find_element(By.ID, "word-count").text)


def test_the_toolbar_is_one_tab_stop_walked_with_arrow_keys_and_its_image_button_opens_the_picker(live_app, browser):  # noqa: F811,E501
    from selenium.webdriver.common.keys import Keys

    author_at_a_new_post(live_app, browser)
    browser.find_element(By.NAME, "slug").click()
    focused = []
    for _ in range(12):  # Tab from the slug until the text, through the image tools and the toolbar
        press(browser, Keys.TAB)
        focused.append(browser.execute_script(
            "var a = document.activeElement; return [a.closest('[role=toolbar]') ? 'toolbar' : a.name || a.id]"))
        if focused[-1] == ["markdown"]:
            break
    assert focused.count(["toolbar"]) == 1 and focused[-1] == ["markdown"], focused  # one stop for the toolbar
    press(browser, Keys.SHIFT, Keys.TAB)
    label = lambda b: b.execute_script("return document.activeElement.getAttribute('aria-label')")  # noqa: E731
    first = label(browser)
    press(browser, Keys.ARROW_RIGHT)
    WebDriverWait(browser, WAIT).until(lambda b: label(b) != first)
    press(browser, Keys.END)
    WebDriverWait(browser, WAIT).until(lambda b: (label(b) or "").startswith("Focus"))
    press(browser, Keys.ARROW_LEFT)
    WebDriverWait(browser, WAIT).until(lambda b: (label(b) or "").startswith("Image"))
    press(browser, Keys.ENTER)
    WebDriverWait(browser, WAIT).until(lambda b: b.execute_script(  # media-picker.js: the library's picker
        "var d = document.getElementById('media-picker'); return !!(d && d.open);"))


def test_distraction_free_mode_fills_the_window_with_the_text_and_escape_leaves_it(live_app, browser):  # noqa: F811
    from selenium.webdriver.common.keys import Keys

    author_at_a_new_post(live_app, browser, 1400, 900)
    body = browser.find_element(By.NAME, "markdown")
    body.send_keys("Quiet words.")
    normal = body.rect
    browser.find_element(By.CSS_SELECTOR, "[role=toolbar] [aria-label^=Focus]").click()
    wide = lambda b: b.find_element(By.NAME, "markdown").rect["width"] > 1000  # noqa: E731
    WebDriverWait(browser, WAIT).until(wide)
    size = browser.execute_script("return [innerWidth, innerHeight]")
    rect = body.rect
    assert rect["height"] > size[1] * 0.7 and normal["width"] < 1000
    hit = browser.execute_script("return document.elementFromPoint(innerWidth / 2, innerHeight / 2)"
                                 " === document.querySelector('textarea[name=markdown]')")
    assert hit  # nothing of the admin on top of it
    assert browser.execute_script("return document.activeElement.name") == "markdown"
    body.send_keys(" More.")
    press(browser, Keys.ESCAPE)
    WebDriverWait(browser, WAIT).until(lambda b: not wide(b))
    assert text_of(browser) == "Quiet words. More."


def test_keyboard_skip_link_autofocus_and_a_preview_out_of_the_tab_order(live_app, browser):  # noqa: F811
    from selenium.webdriver.common.keys import Keys

    store, author = author_at_a_new_post(live_app, browser)
    WebDriverWait(browser, WAIT).until(lambda b: b.execute_script("return document.activeElement.name") == "title")
    post = live_app.call(lambda: live_app.world.post(store, author, "Links", markdown="[one](/a) [two](/b) [three](/c)"))
    browser.get(live_app.url("alpha", "/admin/posts/%s" % post["_id"]))
    preview_has(browser, "return doc.querySelectorAll('a').length > 3")
    press(browser, Keys.TAB)  # the first stop of the page skips the sidebar and the fields above the text
    skip = browser.switch_to.active_element
    assert "skip" in skip.text.lower() and skip.is_displayed()
    press(browser, Keys.ENTER)
    WebDriverWait(browser, WAIT).until(lambda b: b.execute_script("return document.activeElement.name") == "markdown")
    stops = []
    while len(stops) < 25:  # from the text to Save, never into the preview's page
        press(browser, Keys.TAB)
        stops.append(browser.execute_script(
            "var a = document.activeElement; return a.tagName === 'IFRAME' ? 'preview' : a.textContent.trim() === "
            "'Save' ? 'Save' : a.name || a.id || a.tagName"))
        if stops[-1] == "Save":
            break
    # the status radios are one stop, "Publish at" is one per part of the date (Chromium's own)
    assert "preview" not in stops and stops[-1] == "Save" and len(stops) <= 10, stops
    # the preview is still there for the keyboard: the second skip link, then the arrow keys scroll it
    browser.get(live_app.url("alpha", "/admin/posts/%s" % post["_id"]))
    preview_has(browser, "return doc.querySelectorAll('a').length > 3")
    press(browser, Keys.TAB)
    press(browser, Keys.TAB)
    assert browser.switch_to.active_element.text == "Skip to the preview"
    press(browser, Keys.ENTER)
    WebDriverWait(browser, WAIT).until(lambda b: b.execute_script("return document.activeElement.id") == "preview")
    press(browser, Keys.PAGE_DOWN)
    preview_has(browser, "return doc.defaultView.scrollY > 0")


def test_ctrl_s_saves_through_the_forms_own_save(live_app, browser):  # noqa: F811
    from selenium.webdriver.common.keys import Keys

    store, author = author_at_a_new_post(live_app, browser)
    browser.find_element(By.NAME, "title").send_keys("Kept by keyboard")
    body = browser.find_element(By.NAME, "markdown")
    body.send_keys("Saved with Ctrl+S.")
    press(browser, Keys.CONTROL, "s")
    WebDriverWait(browser, WAIT).until(lambda b: "saved=1" in b.current_url)
    WebDriverWait(browser, WAIT).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, ".alert.ok") and text_of(b) == "Saved with Ctrl+S.")
    saved = live_app.call(lambda: store.posts.admin_list("post")).items
    assert [p["title"] for p in saved] == ["Kept by keyboard"]


def test_the_save_status_is_announced_only_when_it_changes(live_app, browser):  # noqa: F811
    import time

    author_at_a_new_post(live_app, browser)
    browser.execute_script("""
        window.spoken = [];
        new MutationObserver(function (records) {
          records.forEach(function (r) {
            var region = (r.target.nodeType === 1 ? r.target : r.target.parentNode).closest('[aria-live], [role=status], [role=alert]');
            if (region) window.spoken.push(region.id + ': ' + region.textContent);
          });
        }).observe(document.body, {childList: true, characterData: true, subtree: true});""")
    body = browser.find_element(By.NAME, "markdown")
    deadline = time.monotonic() + 10  # typing for ten seconds: at least three autosaves
    while time.monotonic() < deadline:
        body.send_keys("word ")
    WebDriverWait(browser, WAIT).until(
        lambda b: b.find_element(By.ID, "autosave-status").get_attribute("data-state") == "saved")
    spoken = browser.execute_script("return window.spoken")
    assert 1 <= len(spoken) <= 2, spoken  # "kept" once; never "Editing…", "Saving draft…" or each new time


def long_post(live_app, paragraphs: int = 60):  # noqa: F811
    text = "\n\n".join("Paragraph %d of a long post, with enough words to fill a line or two of the preview." % n
                       for n in range(1, paragraphs + 1))

    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        owner = await live_app.world.member(store, "owner", name="Olga Owner")
        return owner, await live_app.world.post(store, owner, "A long one", markdown=text)

    return live_app.call(setup)


def in_view(browser, words: str) -> bool:  # noqa: F811
    """Whether the preview shows the paragraph holding ``words`` inside its window."""
    return preview_has(browser, """
        var words = %s, p = Array.prototype.find.call(doc.querySelectorAll('p'), function (p) {
          return p.textContent.indexOf(words) >= 0; });
        if (!p) return null;
        var r = p.getBoundingClientRect(), h = doc.defaultView.innerHeight;
        return r.bottom > 0 && r.top < h ? 'yes' : 'no';""" % repr(words)) == "yes"


def test_the_preview_keeps_its_place_and_follows_the_caret_as_the_text_changes(live_app, browser):  # noqa: F811
    from selenium.webdriver.common.keys import Keys

    owner, post = long_post(live_app)
    browser.set_window_size(1400, 900)
    sign_in(live_app, browser, "alpha", owner["email"])
    browser.get(live_app.url("alpha", "/admin/posts/%s" % post["_id"]))
    preview_has(browser, "return doc.body.textContent.indexOf('Paragraph 60') >= 0")
    browser.execute_script("document.getElementById('preview').contentWindow.scrollTo(0, 1500)")
    browser.find_element(By.NAME, "title").send_keys(" indeed")  # not the text: the preview stays where it was
    preview_has(browser, "return doc.querySelector('h1').textContent.indexOf('indeed') >= 0")
    preview_has(browser, "return Math.abs(doc.defaultView.scrollY - 1500) < 5")  # the new page is put back there
    body = browser.find_element(By.NAME, "markdown")
    body.send_keys(Keys.CONTROL, Keys.END)
    body.send_keys("\n\nThe very end.")  # typing at the end: the end is what the preview shows
    preview_has(browser, "return doc.body.textContent.indexOf('The very end.') >= 0")
    WebDriverWait(browser, WAIT).until(lambda b: in_view(b, "The very end."))
    body.send_keys(Keys.CONTROL, Keys.HOME)
    body.send_keys("At the start. ")
    preview_has(browser, "return doc.body.textContent.indexOf('At the start.') >= 0")
    WebDriverWait(browser, WAIT).until(lambda b: in_view(b, "At the start."))


@pytest.mark.parametrize("width", [1200, 900])
def test_below_1300_px_the_preview_is_not_covered_by_the_settings(live_app, browser, width):  # noqa: F811
    owner, post = long_post(live_app, 20)
    browser.set_window_size(width, 900)
    sign_in(live_app, browser, "alpha", owner["email"])
    browser.get(live_app.url("alpha", "/admin/posts/%s" % post["_id"]))
    preview_has(browser, "return doc.body.textContent.indexOf('Paragraph 20') >= 0")
    browser.execute_script("document.getElementById('preview').scrollIntoView({block: 'center'})")
    hits = browser.execute_script("""
        var frame = document.getElementById('preview'), r = frame.getBoundingClientRect();
        var y = (Math.max(r.top, 0) + Math.min(r.bottom, innerHeight)) / 2;
        return [0.1, 0.5, 0.9].map(function (f) {
          var hit = document.elementFromPoint(r.left + f * r.width, y);
          return hit === frame ? 'preview' : hit && (hit.closest('.settings') ? 'settings' : hit.tagName);
        });""")
    assert hits == ["preview"] * 3, hits
    width_of = browser.execute_script("return document.getElementById('preview').getBoundingClientRect().width")
    assert width_of >= 400  # still wide enough to read the page in
