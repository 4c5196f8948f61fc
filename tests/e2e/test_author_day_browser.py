"""An author's working day in a real Chromium (issue 16): nothing chosen is lost, Enter never submits."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from cms.images.process import process
from tests import images
from tests.e2e.admin_fixtures import browser, live_app  # noqa: F401 (fixtures)
from tests.e2e.test_admin_browser import sign_in

pytestmark = pytest.mark.e2e


def pictured_post(live_app):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        owner = await live_app.world.member(store, "owner", name="Olga Owner")
        item, _ = await store.media.add(process(images.jpeg(120, 80)), "cover.jpg", owner["_id"])
        url = item["files"][0]["url"]
        post = await live_app.world.post(store, owner, "Harbour", markdown="Boats.", tags=["sea"],
                                         featured_image={"url": url, "alt": "Boats at dawn", "caption": "At six"})
        return store, owner, post, url

    return live_app.call(setup)


def test_restoring_the_servers_autosave_keeps_the_featured_image_and_its_changes(live_app, browser):  # noqa: F811
    store, owner, post, url = pictured_post(live_app)
    sign_in(live_app, browser, "alpha", owner["email"])
    editor = live_app.url("alpha", "/admin/posts/%s" % post["_id"])
    browser.get(editor)
    alt = browser.find_element(By.NAME, "featured_alt")
    alt.clear()
    alt.send_keys("Boats in the mist")
    browser.find_element(By.NAME, "markdown").send_keys(Keys.END, "\n\nA new line.")
    WebDriverWait(browser, 10).until(
        lambda b: b.find_element(By.ID, "autosave-status").get_attribute("data-state") == "saved")
    browser.execute_script("localStorage.clear()")  # the server's copy only, as on another computer
    browser.get(editor)
    WebDriverWait(browser, 10).until(EC.element_to_be_clickable((By.LINK_TEXT, "Restore them"))).click()
    WebDriverWait(browser, 10).until(EC.url_contains("restore=1"))
    assert browser.find_element(By.NAME, "featured_image").get_attribute("value") == url
    assert browser.find_element(By.NAME, "featured_alt").get_attribute("value") == "Boats in the mist"
    assert browser.find_element(By.NAME, "featured_caption").get_attribute("value") == "At six"
    browser.find_element(By.CSS_SELECTOR, ".save-bar button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    saved = live_app.call(lambda: store.posts.get(post["_id"]))
    assert saved["markdown"].endswith("A new line.") and saved["status"] == "published"
    assert saved["featured_image"]["url"] == url and saved["featured_image"]["alt"] == "Boats in the mist"


def test_enter_in_title_slug_or_tags_never_submits_and_takes_the_tag_suggestion(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        owner = await live_app.world.member(store, "owner", name="Olga Owner")
        await live_app.world.post(store, owner, "Old one", tags=["writing", "work"])
        return store, owner

    store, owner = live_app.call(setup)
    sign_in(live_app, browser, "alpha", owner["email"])
    browser.get(live_app.url("alpha", "/admin/posts/new"))
    browser.execute_script("window.stayed = true")  # gone if the page is submitted and replaced
    browser.find_element(By.CSS_SELECTOR, "input[name=state][value=published]").click()
    browser.find_element(By.NAME, "markdown").send_keys("Words.")
    browser.find_element(By.NAME, "title").send_keys("A day of writing", Keys.ENTER)
    browser.find_element(By.NAME, "slug").send_keys(Keys.END, "-2", Keys.ENTER)
    tags = browser.find_element(By.NAME, "tags")
    tags.send_keys("writ", Keys.ENTER)  # at once, before the suggestions are in: they are waited for
    WebDriverWait(browser, 10).until(lambda b: tags.get_attribute("value") == "writing, ")
    tags.send_keys("wo")
    listbox = browser.find_element(By.ID, "tag-suggestions")
    WebDriverWait(browser, 10).until(lambda b: listbox.is_displayed())
    tags.send_keys(Keys.ENTER)  # the list is open, nothing highlighted yet: its first, best match
    WebDriverWait(browser, 10).until(lambda b: tags.get_attribute("value") == "writing, work, ")
    tags.send_keys("zebra", Keys.ENTER)  # no such tag: kept as typed, still nothing submitted
    WebDriverWait(browser, 10).until(
        lambda b: b.find_element(By.ID, "tag-suggestions-status").get_attribute("textContent") == "No matching tags.")
    assert browser.execute_script("return window.stayed === true")
    assert browser.find_element(By.NAME, "title").get_attribute("value") == "A day of writing"
    assert live_app.call(lambda: store.posts.admin_list("post")).total == 1  # the old one only
    browser.find_element(By.CSS_SELECTOR, ".save-bar button[type=submit]").click()  # Save does publish
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert.ok")))
    saved = live_app.call(lambda: store.posts.get_visible("post", "a-day-of-writing-2"))
    assert saved["status"] == "published" and saved["tags"] == ["writing", "work", "zebra"]


def test_reloading_after_making_an_invitation_link_makes_no_second_one(live_app, browser):  # noqa: F811
    async def setup():
        store = await live_app.world.site("alpha", title="Alpha Blog")
        return store, await live_app.world.member(store, "admin", name="Ada Admin")

    store, admin = live_app.call(setup)
    sign_in(live_app, browser, "alpha", admin["email"])
    browser.get(live_app.url("alpha", "/admin/users"))
    browser.find_element(By.CSS_SELECTOR, "#invite input[name=email]").send_keys("newbie@example.com")
    browser.find_element(By.CSS_SELECTOR, "#invite button[type=submit]").click()
    link = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "invite-link")))
    assert "/invitation?token=" in link.get_attribute("value")
    browser.refresh()
    WebDriverWait(browser, 10).until(EC.staleness_of(link))
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "invitations")))
    assert browser.find_elements(By.ID, "invite-link") == []  # shown once
    assert len(live_app.call(lambda: store.invitations.pending())) == 1
