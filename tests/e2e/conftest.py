"""Browser fixtures: a live application in a background thread, one Chromium per session.

Selenium's calls block, so the app cannot share pytest's event loop: it runs
in its own thread with its own asyncio loop, against the session's embedded
database server and a fresh database, seeded with the demo content in three
sites, one per theme (``demo`` = journal, ``mag`` = magazine, ``dusk`` = the
child theme).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import threading
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support import wait as selenium_wait
from tornado.httpserver import HTTPServer

from cms import db as database
from cms.app import make_app
from cms.config import Settings
from cms.seed import AUTHORS, CONTENT, parse, seed_demo
from cms.store import Sites, SiteStore, Users

# A wait whose condition reads an element of a page being replaced (a reload when an
# import ends, the page after a form) asks again instead of failing: on a loaded
# machine the old page is often still there when the condition runs (CI failed so,
# several times). WebDriverWait reads this tuple each time one is made.
selenium_wait.IGNORED_EXCEPTIONS = (NoSuchElementException, StaleElementReferenceException)


def staleness_of(element):
    """``EC.staleness_of`` that also takes Chromium's answer for a page being replaced at
    that very moment ("Node with given id does not belong to the document", an unknown
    error rather than a stale element: a sign-in in CI failed on it) as stale."""
    def gone(_driver) -> bool:
        try:
            element.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
    return gone


expected_conditions.staleness_of = staleness_of  # every test's EC.staleness_of

SCREENSHOTS = Path(__file__).parent / "screenshots"
THEMED_SITES = {"demo": "journal", "mag": "magazine", "dusk": "dusk"}
CHROME_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
)


async def seed_themed_sites(db) -> None:
    """The demo site (journal) plus a copy of its content in a site per other theme."""
    await seed_demo(db)
    sites, users = Sites(db), Users(db)
    people = {key: await users.by_email(info["email"]) for key, info in AUTHORS.items()}
    now = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    titles = {"mag": "The Field Notes", "dusk": "Evening Pages"}
    for name, theme in THEMED_SITES.items():
        if name == "demo":
            continue
        store = SiteStore(db, await sites.create(name, title=titles[name], theme=theme,
                                                 tagline="Notes on writing, code and the web"))
        for key, person in people.items():
            await store.members.add(person["_id"], "owner" if key == "owner" else "author")
        for path in sorted(CONTENT.glob("*.md")):
            meta, body = parse(path)
            await store.posts.create(
                title=meta["title"], slug=meta["slug"], markdown=body,
                author_id=people[meta["author"]]["_id"], type=meta.get("type", "post"),
                tags=[t.strip() for t in meta.get("tags", "").split(",") if t.strip()],
                published_at=now - dt.timedelta(days=int(meta.get("days_ago", 10)), hours=3),
            )
    await sites.update_theme((await sites.by_name("mag"))["_id"], "magazine", {
        "navigation": [{"label": "About", "url": "/about"}, {"label": "Code", "url": "/tags/code"}],
    })


def new_chromium(page_load_timeout: float = 30, extra_flags: tuple[str, ...] = ()) -> Any:
    """Debian's headless Chromium through its own chromedriver (selenium's download cannot work offline).

    ``extra_flags``: more command-line flags, e.g. ``--host-resolver-rules`` to send a
    custom domain to the test server."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROME_FLAGS + tuple(extra_flags):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(page_load_timeout)
    return driver


@dataclasses.dataclass
class LiveServer:
    port: int

    def url(self, site: str, path: str = "/") -> str:
        return "http://%s.localhost:%d%s" % (site, self.port, path)


@pytest.fixture(scope="session")
def live_server(mongo_uri: str, tmp_path_factory) -> Iterator[LiveServer]:
    db_name = "e2e_" + uuid.uuid4().hex[:8]
    settings = Settings(
        mongodb_uri=mongo_uri, database_name=db_name, data_dir=tmp_path_factory.mktemp("e2e"),
        base_domain="localhost", cookie_secret="e2e-" + uuid.uuid4().hex,
    )
    port = database.free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def start() -> None:
        client = database.connect(mongo_uri)
        db = client[db_name]
        await database.ensure_indexes(db)
        await seed_themed_sites(db)
        server = HTTPServer(make_app(settings, db))
        server.listen(port, "127.0.0.1")
        state.update(client=client, server=server)

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(start())
        except BaseException as e:  # reported to the test thread below
            state["error"] = e
        ready.set()
        if "error" not in state:
            loop.run_forever()

    thread = threading.Thread(target=run, name="e2e-live-server", daemon=True)
    thread.start()
    assert ready.wait(60), "the live server did not start"
    if "error" in state:
        raise state["error"]

    async def stop() -> None:
        state["server"].stop()
        await state["server"].close_all_connections()
        await state["client"].drop_database(db_name)
        state["client"].close()

    try:
        yield LiveServer(port)
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the whole session, console logs enabled."""
    driver = new_chromium()
    SCREENSHOTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
