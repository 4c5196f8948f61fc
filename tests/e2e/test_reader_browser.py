"""A reader's visit to the demo site in a real browser: browse, read, search, follow tags."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.test_themes_browser import load, problems

pytestmark = pytest.mark.e2e


def wait_for_title(browser, text: str) -> None:
    WebDriverWait(browser, 10).until(EC.title_contains(text))


def test_a_reader_browses_reads_searches_and_follows_a_tag(browser, live_server):
    browser.set_window_size(1280, 900)
    load(browser, live_server.url("demo"))
    assert browser.title == "Demo Journal"
    cards = browser.find_elements(By.CSS_SELECTOR, ".post-card__title a")
    assert [c.text for c in cards][:2] == ["Feeds, sitemaps and search, built in", "Five habits of people who publish often"]
    assert problems(browser) == []

    # Read a post: highlighted code, author, tags, a link to the neighbours.
    browser.find_element(By.LINK_TEXT, "Code that is a pleasure to read").click()
    wait_for_title(browser, "Code that is a pleasure to read")
    assert browser.find_elements(By.CSS_SELECTOR, ".post__body .highlight .k")  # Pygments classes, styled
    keyword = browser.find_element(By.CSS_SELECTOR, ".post__body .highlight .k")
    assert keyword.value_of_css_property("color") != browser.find_element(
        By.CSS_SELECTOR, ".post__body p").value_of_css_property("color")
    assert "Tomás Reyes" in browser.find_element(By.CSS_SELECTOR, ".post-meta").text
    assert problems(browser) == []

    # Search from the header box.
    box = browser.find_element(By.CSS_SELECTOR, "input[type=search]")
    box.send_keys("markdown", Keys.ENTER)
    wait_for_title(browser, "Search")
    results = [c.text for c in browser.find_elements(By.CSS_SELECTOR, ".post-card__title a")]
    assert results[0] == "A tour of Markdown"
    assert "markdown" in browser.find_element(By.CSS_SELECTOR, "input[name=q]").get_attribute("value")

    # Follow a tag from a post.
    browser.find_element(By.LINK_TEXT, "A tour of Markdown").click()
    wait_for_title(browser, "A tour of Markdown")
    browser.find_element(By.CSS_SELECTOR, ".post-meta a[href='/tags/writing']").click()
    wait_for_title(browser, "Writing")
    listed = [c.text for c in browser.find_elements(By.CSS_SELECTOR, ".post-card__title a")]
    assert "A tour of Markdown" in listed and "Code that is a pleasure to read" not in listed


def test_a_missing_page_is_a_friendly_themed_404(browser, live_server):
    load(browser, live_server.url("demo", "/posts/does-not-exist"))
    assert "Demo Journal" in browser.title
    assert "not here" in browser.find_element(By.TAG_NAME, "main").text
    assert browser.find_element(By.LINK_TEXT, "Back to Demo Journal")
    assert problems(browser, expect_404_document=True) == []
