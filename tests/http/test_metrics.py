"""Request ids and Prometheus metrics (issue 17, finding 8), against a real app.

The metrics are read the way Prometheus reads them: ``GET /metrics`` on
``CMS_METRICS_PORT``, parsed with prometheus_client's own parser. Counters
are process-wide, so each test compares before and after.
"""

from __future__ import annotations

import logging

import pymongo.errors
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tornado.httpclient import AsyncHTTPClient

from cms import db as database
from cms import metrics
from cms.app import make_app
from cms.metrics import MetricsServer, SiteLabels
from tests.conftest import Client


@pytest.fixture
async def metered(settings, db):
    """The app with CMS_METRICS_PORT set, its sites' port and its metrics' port."""
    settings.metrics_port = database.free_port()
    app = make_app(settings, db)
    app.page_cache.render_budget = 30.0
    from tornado.httpserver import HTTPServer

    server = HTTPServer(app)
    port = database.free_port()
    server.listen(port, "127.0.0.1")
    exporter = MetricsServer(app.sampler)
    exporter.listen(settings.metrics_port, "127.0.0.1")
    http = AsyncHTTPClient(force_instance=True)
    try:
        yield app, Client(port, http)
    finally:
        http.close()
        exporter.stop()
        server.stop()
        await server.close_all_connections()
        app.changes.stop()


async def scrape(port: int) -> dict[tuple[str, tuple], float]:
    response = await AsyncHTTPClient().fetch("http://127.0.0.1:%d/metrics" % port)
    assert response.headers["Content-Type"].startswith("text/plain")
    values = {}
    for family in text_string_to_metric_families(response.body.decode()):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def delta(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


async def test_every_answer_carries_a_request_id_and_its_log_line_names_it(metered, world, caplog):
    app, client = metered
    caplog.set_level(logging.INFO, logger="tornado.access")
    alpha = await world.site("alpha")
    await world.post(alpha, await world.member(alpha), "Hello")
    first = await client.get("alpha", "/posts/hello")
    kept = await client.get("alpha", "/posts/hello")  # the kept page, answered without a handler
    assert first.code == kept.code == 200
    made = {first.headers["X-Request-ID"], kept.headers["X-Request-ID"]}
    assert len(made) == 2 and all(made)
    # A proxy's id is kept; one that could break a log line is replaced.
    traced = await client.get("alpha", "/posts/hello", headers={"X-Request-ID": "router-7f3a.1"},
                              decompress_response=False)  # the size logged is the bytes sent
    assert traced.headers["X-Request-ID"] == "router-7f3a.1"
    forged = await client.get("alpha", "/", headers={"X-Request-ID": "x site=beta"})
    assert forged.headers["X-Request-ID"] not in ("", "x site=beta")
    missing = await client.get("alpha", "/posts/nothing-here")
    assert missing.code == 404 and missing.headers["X-Request-ID"]
    app.access_log.flush()
    text = "\n".join(r.getMessage() for r in caplog.records)
    line = next(line for line in text.splitlines() if "id=router-7f3a.1" in line)
    assert " 200 GET /posts/hello " in line and "site=alpha" in line and "host=alpha.localhost" in line
    assert "size=%d" % len(traced.body) in line
    assert "id=%s" % missing.headers["X-Request-ID"] in text


async def test_metrics_count_requests_by_status_class_and_site_on_their_own_port(metered, world):
    app, client = metered
    port = app.cms_settings.metrics_port
    alpha, beta = await world.site("alpha"), await world.site("beta")
    await world.post(alpha, await world.member(alpha), "Hello")
    await world.post(beta, await world.member(beta), "Other")
    before = await scrape(port)
    for _ in range(3):
        assert (await client.get("alpha", "/posts/hello")).code == 200
    assert (await client.get("beta", "/posts/other")).code == 200
    assert (await client.get("beta", "/posts/alphas-post-is-not-here")).code == 404
    assert (await client.get("nosuch", "/")).code == 404  # no site answered
    assert (await client.fetch("127.0.0.1", "/metrics")).code == 404  # never on the sites' port
    app.access_log.flush()
    after = await scrape(port)
    requests = "cms_http_requests_total"
    assert delta(before, after, requests, status="2xx", site="alpha") == 3
    assert delta(before, after, requests, status="2xx", site="beta") == 1
    assert delta(before, after, requests, status="4xx", site="beta") == 1
    assert delta(before, after, requests, status="4xx", site="-") >= 2  # the unknown host, /metrics
    assert delta(before, after, "cms_http_request_duration_seconds_count") >= 7
    assert delta(before, after, "cms_http_request_duration_seconds_bucket", le="+Inf") >= 7
    # The second and third alpha reads were kept pages.
    assert delta(before, after, "cms_page_cache_lookups_total", result="hit") >= 2
    assert delta(before, after, "cms_page_cache_lookups_total", result="miss") >= 1
    assert ("cms_render_pool_waiting", ()) in after


def test_the_site_label_is_bounded():
    label = SiteLabels(limit=2)
    assert [label(s) for s in ("a", "b", "c", "a", None, "d", "b")] == ["a", "b", "other", "a", "-", "other", "b"]


async def test_failed_database_commands_are_counted(mongo_uri, db_name, metered):
    app, _ = metered
    metrics.watch_database_commands()  # as serve and wsgi.py do before their first client
    client = database.connect(mongo_uri)
    try:
        before = await scrape(app.cms_settings.metrics_port)
        with pytest.raises(pymongo.errors.OperationFailure):
            # (not an unknown command: nx-27017 answers those ok, test_embedded_database.py)
            await client[db_name].posts.aggregate([{"$noSuchStage": {}}]).to_list(None)
        after = await scrape(app.cms_settings.metrics_port)
    finally:
        client.close()
    assert delta(before, after, "cms_database_errors_total", kind="command") == 1


async def test_a_database_found_unreachable_is_counted(metered):
    app, _ = metered
    before = await scrape(app.cms_settings.metrics_port)
    app.monitor.report_failure(pymongo.errors.ServerSelectionTimeoutError("no servers"))
    app.monitor._set_available()
    after = await scrape(app.cms_settings.metrics_port)
    assert delta(before, after, "cms_database_errors_total", kind="unreachable") == 1


async def test_the_outbox_backlog_is_counted(metered):
    app, _ = metered
    for n in range(2):
        await app.mail.outbox.queue("reader%d@example.com" % n, "Hello", "Words.", kind="test")
    await app.sampler.count_outbox()  # what the sampler does every 30 s
    after = await scrape(app.cms_settings.metrics_port)
    assert after[("cms_outbox_messages", (("status", "queued"),))] == 2
    assert after[("cms_outbox_messages", (("status", "failed"),))] == 0
