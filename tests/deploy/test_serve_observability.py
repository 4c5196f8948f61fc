"""``python -m cms serve`` with ``CMS_LOG_FORMAT=json`` and ``CMS_METRICS_PORT``
(issue 17, finding 8): the same JSON lines and metrics as under gunicorn
(tests/deploy/test_restricted_pod.py), from the one process ``serve`` runs."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import uuid

import pymongo
from prometheus_client.parser import text_string_to_metric_families

from cms.config import REPO_ROOT
from cms.db import free_port

from .support import child_env, get, stop, uri_with_database, wait_for, wait_until_serving


def scrape(port: int) -> dict[tuple, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_serve_writes_json_lines_and_serves_metrics_on_their_own_port(mongo_uri, tmp_path):
    port, metrics_port = free_port(), free_port()
    name = "serve_obs_%s" % uuid.uuid4().hex[:8]
    env = child_env(MONGODB_URI=uri_with_database(mongo_uri, name), COOKIE_SECRET="test-" + uuid.uuid4().hex,
                    CMS_DATA_DIR=str(tmp_path), CMS_LOG_FORMAT="json", CMS_METRICS_PORT=str(metrics_port))
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "cms", "serve", "--port", str(port)], cwd=REPO_ROOT,
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(process, port)
        status, headers, _ = get(port, "/", host="demo.localhost", headers={"X-Request-ID": "serve-check-1"})
        assert status == 200 and headers["X-Request-ID"] == "serve-check-1"
        assert get(port, "/metrics", host="demo.localhost")[0] == 404  # not on the sites' port
        wait_for(lambda: scrape(metrics_port).get(("cms_http_requests_total", (("site", "demo"), ("status", "2xx"))))
                 == 1, 10, "the demo page counted")
        wait_for(lambda: '"request_id": "serve-check-1"' in log.read_text(), 10, "the request logged")
        # What serve prints for people (addresses, the demo's password) is not logging;
        # every logged line is one JSON object.
        lines = [line for line in log.read_text().splitlines() if line.startswith("{")]
        entries = [json.loads(line) for line in lines]
        (request,) = [e for e in entries if e.get("request_id") == "serve-check-1"]
        assert (request["site"], request["status"], request["path"], request["logger"]) == ("demo", 200, "/",
                                                                                              "tornado.access")
        assert any(e["logger"] == "cms.metrics" and "metrics on" in e["message"] for e in entries)
        assert not [line for line in log.read_text().splitlines() if line.startswith(("20", "INFO", "WARNING"))]
    finally:
        stop(process)
        pymongo.MongoClient(mongo_uri).drop_database(name)
