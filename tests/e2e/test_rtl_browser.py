"""A Hebrew (right-to-left) site with a Russian post, read in a real Chromium: the page
runs right to left, titles start on the right, code stays left to right, and the
Cyrillic tag and a typed Cyrillic address lead to their pages."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By

from tests.e2e.admin_fixtures import browser, live_app  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e
BODY = "Первый абзац.\n\n> Цитата из книги.\n\n```\nprint('hello')\n```\n"


def box(driver, css: str) -> dict:
    return driver.execute_script("return document.querySelector(arguments[0]).getBoundingClientRect().toJSON()", css)


def style(driver, css: str, prop: str) -> str:
    return driver.execute_script(
        "return getComputedStyle(document.querySelector(arguments[0])).getPropertyValue(arguments[1])", css, prop)


@pytest.mark.parametrize(("theme", "title_css", "quote_css", "code_css"), [
    ("journal", ".post__title", ".post__body blockquote", ".post__body pre"),
    ("magazine", ".article__title", ".article__body blockquote", ".article__body pre"),
])
def test_a_hebrew_site_with_a_russian_post_reads_right_to_left(live_app, browser, theme, title_css, quote_css,  # noqa: F811
                                                               code_css):
    async def setup():
        store = await live_app.world.site("shalom-" + theme, title="בלוג", language="he", theme=theme)
        owner = await live_app.world.member(store, "owner", name="Мария")
        await live_app.world.post(store, owner, "Привет мир", markdown=BODY, tags=["Путешествия"])

    live_app.call(setup)
    site = "shalom-" + theme
    browser.set_window_size(1280, 900)
    browser.get(live_app.url(site))
    assert browser.execute_script("return document.documentElement.dir") == "rtl"
    assert style(browser, "body", "direction") == "rtl"
    browser.find_element(By.LINK_TEXT, "Привет мир").click()
    assert urlsplit(browser.current_url).path == "/posts/privet-mir"

    # The title starts where the column starts on a right-to-left page: on the right.
    heading, words = box(browser, title_css), box(browser, title_css + " bdi")
    assert abs(words["right"] - heading["right"]) < 2, (words, heading)
    assert words["left"] > heading["left"] + 100, (words, heading)
    # The quote's rule is on its start side (the right), code reads left to right.
    assert style(browser, quote_css, "border-right-width") != "0px"
    assert style(browser, quote_css, "border-left-width") == "0px"
    assert style(browser, code_css, "direction") == "ltr"

    browser.find_element(By.PARTIAL_LINK_TEXT, "Путешествия").click()
    assert urlsplit(browser.current_url).path == "/tags/puteshestviya"
    assert "Привет мир" in browser.find_element(By.TAG_NAME, "main").text
    # An address typed in Cyrillic (the browser percent-encodes it) leads to the same page.
    browser.get(live_app.url(site, "/tags/Путешествия"))
    assert urlsplit(browser.current_url).path == "/tags/puteshestviya"
