"""Both themes (and the child theme) in a real browser, at desktop and phone widths.

Every page type loads without console errors and without a failed asset;
screenshots land in ``tests/e2e/screenshots/``. With ``CMS_UPDATE_SCREENSHOTS=1``
the home pages are also written to ``docs/screenshots/`` for the README.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.e2e.conftest import SCREENSHOTS, THEMED_SITES

pytestmark = pytest.mark.e2e

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
MAX_README_IMAGE = 300 * 1024
WIDTHS = {
    "desktop": {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    "phone": {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True},
}
PAGES = {
    "home": "/",
    "post": "/posts/code-highlighting",
    "page": "/about",
    "tag": "/tags/writing",
    "author": "/authors/maya",
    "search": "/search?q=markdown",
    "missing": "/no-such-page",
}


def use_width(browser, width: str) -> None:
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", WIDTHS[width])


def load(browser, url: str) -> None:
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(url)


def problems(browser, expect_404_document: bool = False) -> list[str]:
    """Console errors and failed resources of the current page."""
    found = []
    for entry in browser.get_log("browser"):
        if entry["level"] != "SEVERE":
            continue
        if expect_404_document and "404" in entry["message"] and browser.current_url in entry["message"]:
            continue  # the missing page itself answered 404, as it should
        found.append(entry["message"])
    failed = browser.execute_script(
        "return performance.getEntriesByType('resource')"
        ".filter(e => e.responseStatus && e.responseStatus >= 400).map(e => e.name + ' ' + e.responseStatus)"
    )
    broken_images = browser.execute_script(
        "return [...document.images].filter(i => i.complete && i.naturalWidth === 0).map(i => i.src)"
    )
    unstyled = browser.execute_script(
        "return [...document.querySelectorAll('link[rel=stylesheet]')].filter(l => !l.sheet).map(l => l.href)"
    )
    return found + failed + broken_images + unstyled


def save_png(png: bytes, path: Path, limit: int | None = None) -> None:
    """Write a screenshot; README copies are palette-quantised when over ``limit``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if limit is not None and len(png) > limit:
        from PIL import Image

        image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, dither=Image.Dither.NONE)
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        png = out.getvalue()
    path.write_bytes(png)
    if limit is not None:
        assert len(png) <= limit, "%s is %d KB" % (path, len(png) // 1024)


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("site", list(THEMED_SITES))
def test_every_page_type_renders_cleanly(browser, live_server, site: str, width: str) -> None:
    theme = THEMED_SITES[site]
    use_width(browser, width)
    for kind, path in PAGES.items():
        load(browser, live_server.url(site, path))
        assert browser.find_element(By.CSS_SELECTOR, "main#content").is_displayed(), (kind, path)
        assert browser.find_element(By.CSS_SELECTOR, "body").get_attribute("class").startswith("theme-" + theme)
        assert problems(browser, expect_404_document=(kind == "missing")) == [], (site, kind)
        # nothing wider than the screen: no sideways scrolling on a phone
        overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, "%s %s is %dpx too wide at %s" % (site, path, overflow, width)
        if kind in ("home", "post"):
            browser.save_screenshot(str(SCREENSHOTS / ("%s-%s-%s.png" % (theme, width, kind))))
    if os.environ.get("CMS_UPDATE_SCREENSHOTS") == "1" and site in ("demo", "mag"):
        load(browser, live_server.url(site))
        save_png(browser.get_screenshot_as_png(), DOCS / ("%s-%s.png" % (theme, width)), MAX_README_IMAGE)


@pytest.mark.parametrize("site", list(THEMED_SITES))
def test_keyboard_users_get_a_visible_skip_link_and_focus_ring(browser, live_server, site: str) -> None:
    use_width(browser, "desktop")
    load(browser, live_server.url(site))
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.text == "Skip to content"
    rect = browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", focused)
    assert rect["left"] >= 0 and rect["top"] >= 0 and rect["width"] > 0
    outline = browser.execute_script("return getComputedStyle(arguments[0]).outlineStyle", focused)
    assert outline != "none"
    focused.send_keys(Keys.ENTER)
    assert browser.execute_script("return location.hash") == "#content"


def test_magazine_menu_collapses_behind_a_button_on_phones(browser, live_server) -> None:
    use_width(browser, "phone")
    load(browser, live_server.url("mag"))
    about = browser.find_element(By.CSS_SELECTOR, ".site-nav__link[href=\"/about\"]")
    assert not about.is_displayed()
    toggle = browser.find_element(By.CSS_SELECTOR, ".site-nav__toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert about.is_displayed() and toggle.get_attribute("aria-expanded") == "true"
    assert problems(browser) == []
    use_width(browser, "desktop")
    load(browser, live_server.url("mag"))
    assert browser.find_element(By.CSS_SELECTOR, ".site-nav__link[href=\"/about\"]").is_displayed()
    assert not browser.find_element(By.CSS_SELECTOR, ".site-nav__toggle").is_displayed()


@pytest.mark.parametrize("site", ["demo", "mag"])
def test_dark_mode_follows_the_system_preference(browser, live_server, site: str) -> None:
    use_width(browser, "desktop")
    background = "return getComputedStyle(document.body).backgroundColor"
    try:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia",
                                {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        load(browser, live_server.url(site, "/posts/code-highlighting"))
        dark = browser.execute_script(background)
        code = browser.execute_script(
            "return getComputedStyle(document.querySelector('.highlight')).backgroundColor")
        browser.save_screenshot(str(SCREENSHOTS / ("%s-desktop-dark-post.png" % THEMED_SITES[site])))
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia",
                                {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
    load(browser, live_server.url(site, "/posts/code-highlighting"))
    light = browser.execute_script(background)

    def brightness(rgb: str) -> int:
        return sum(int(n) for n in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3])

    assert brightness(dark) < 150 < brightness(light), (dark, light)
    assert brightness(code) < 200  # code blocks go dark too (monokai), not a white slab
