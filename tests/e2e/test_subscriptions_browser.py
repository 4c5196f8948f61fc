"""A reader subscribes from a site's footer, confirms through the e-mailed link, gets the next
post by e-mail (as does the other subscriber: one message each, read from the test SMTP
server), and unsubscribes with the link at the end of that message (issue 12)."""

from __future__ import annotations

import datetime as dt
import re
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.admin_fixtures import browser, mail_live_app  # noqa: F401 (fixtures)
from tests.mail_server import link_in, text_of, wait_for_blocking

WAIT = 20


def click_to_new_page(driver, selector: str) -> None:
    """Click a submit button and wait until the page it was on is gone."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(driver, WAIT).until(EC.staleness_of(old))


def h1(driver) -> str:
    return WebDriverWait(driver, WAIT).until(EC.presence_of_element_located((By.TAG_NAME, "h1"))).text


def test_subscribe_confirm_get_the_new_post_once_then_unsubscribe(mail_live_app, browser):  # noqa: F811
    app = mail_live_app
    cms = app.server.request_callback  # the application: its dispatcher looks for due posts often here
    cms.newsletters.poll = 0.2

    async def setup():
        store = await app.world.site("letters", title="Letters")
        author = await app.world.member(store, "author")
        await app.world.post(store, author, "An older post", status="published",  # before anyone subscribed
                             published_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10))
        _, token = await store.subscribers.subscribe("faithful@example.org", via="http://letters.localhost:%d" % app.port)
        await store.subscribers.confirm(token, via="http://letters.localhost:%d" % app.port)
        cms.newsletters.start()
        return store, author

    store, author = app.call(setup)
    browser.get(app.url("letters"))
    form = browser.find_element(By.CSS_SELECTOR, "form.subscribe-box")
    form.find_element(By.NAME, "email").send_keys("reader@example.org")
    # The module's script fetches the token a kept page cannot carry: one click.
    click_to_new_page(browser, "form.subscribe-box button[type=submit]")
    assert h1(browser) == "Check your inbox"

    confirmation = wait_for_blocking(app.smtp_server, "reader@example.org")
    assert confirmation["Subject"] == "Confirm your subscription to Letters"
    browser.get(link_in(confirmation))
    assert h1(browser) == "You are subscribed"

    async def publish():
        return await app.world.post(store, author, "Fresh from the press", markdown="The news, in short.",
                                    status="published")

    app.call(publish)
    letter = wait_for_blocking(app.smtp_server, "reader@example.org", count=2)
    other = wait_for_blocking(app.smtp_server, "faithful@example.org")
    assert letter["Subject"] == other["Subject"] == "Fresh from the press"
    assert "The news, in short." in text_of(letter)
    assert letter["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    async def all_sent() -> bool:
        newsletter = await app.db.newsletters.find_one({"site_id": store.site_id})
        unsent = await app.db.outbox.count_documents({"kind": "newsletter", "status": {"$ne": "sent"}})
        return newsletter is not None and newsletter["status"] == "sent" and unsent == 0

    deadline = time.monotonic() + WAIT
    while not app.call(all_sent):
        assert time.monotonic() < deadline, "the newsletter was not sent in time"
        time.sleep(0.05)
    # Everything is out: one message per subscriber, none twice.
    assert len(app.smtp_server.to("reader@example.org")) == 2 and len(app.smtp_server.to("faithful@example.org")) == 1

    unsubscribe = re.search(r"Unsubscribe: (\S+)", text_of(letter)).group(1)
    browser.get(unsubscribe)
    assert h1(browser) == "Unsubscribe"
    click_to_new_page(browser, "main button[type=submit]")
    assert h1(browser) == "You are unsubscribed"

    async def counts():
        return await store.subscribers.counts()

    assert app.call(counts) == {"pending": 0, "confirmed": 1, "unsubscribed": 1}
