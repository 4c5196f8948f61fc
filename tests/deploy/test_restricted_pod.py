"""The pod as the template runs it: read-only root filesystem, ``/tmp`` its only
writable place, JSON logs and every worker's metrics on their own port
(issue 17, findings 5 and 8).

gunicorn runs with the builder's command and the Deployment's environment
(rendered from ``openshift/template.yaml``) in a mount namespace of its own
where ``/`` is remounted read-only and ``/tmp`` is an empty tmpfs -- what
``readOnlyRootFilesystem: true`` and the ``emptyDir`` at ``/tmp`` give the
container. HOME is the (read-only) source directory, as in the Python
image. The tests run as root, whom file permissions would not stop: the
read-only mount does. It needs ``unshare`` and the right to mount
(CAP_SYS_ADMIN, which a root container usually has); without them the test
is skipped, saying so. The UID itself cannot be checked here (an arbitrary
UID could not read this machine's Python under /root).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import shutil
import subprocess
import sys
import uuid

import pymongo
import pytest
from prometheus_client.parser import text_string_to_metric_families

from cms.config import REPO_ROOT
from cms.db import connect, free_port
from tests.conftest import World

from .support import child_env, get, stop, uri_with_database, wait_for, wait_until_serving
from .test_manifests import app_objects, mongodb_objects, pod_environment, secrets_objects

pytestmark = pytest.mark.timeout(180)

BASE_DOMAIN = "blogs.apps.example.com"  # test_manifests renders the template with it
# In a mount namespace of its own: / read-only, an empty tmpfs on /tmp, then the command.
# Exit 97 if the source could still be written (the remount did not cover it).
READ_ONLY_ROOT = (
    'mount --make-rprivate / && mount -o remount,bind,ro / && mount -t tmpfs -o size=128m,mode=1777 tmpfs /tmp'
    ' && { touch "$HOME/.write-probe" 2>/dev/null && exit 97; touch /tmp/.write-probe || exit 98; }'
    ' && exec "$@"'
)
# The same where the source itself is under /tmp (a checkout in a temporary folder):
# the source is held on /mnt, the tmpfs goes on /tmp, and the source comes back at
# its own path, read-only, so its virtualenv and scripts work as they are.
READ_ONLY_ROOT_SOURCE_IN_TMP = (
    'mount --make-rprivate / && mount --bind "$HOME" /mnt && mount -o remount,bind,ro /'
    ' && mount -t tmpfs -o size=128m,mode=1777 tmpfs /tmp && mkdir -p "$HOME" && mount --bind /mnt "$HOME"'
    ' && mount -o remount,bind,ro "$HOME"'
    ' && { touch "$HOME/.write-probe" 2>/dev/null && exit 97; touch /tmp/.write-probe || exit 98; }'
    ' && exec "$@"'
)


def can_make_read_only_namespaces() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "sh", "-c", "mount --make-rprivate / && mount -o remount,bind,ro /"],
                           capture_output=True)
    return probe.returncode == 0


async def make_content(uri: str, database: str) -> None:
    client = connect(uri)
    try:
        world = World(client[database])
        alpha = await world.site("alpha", title="Alpha Notes")
        await world.post(alpha, await world.member(alpha, "owner"), "Read only", "Served from a read-only root.")
    finally:
        client.close()


def metric(port: int, name: str, **labels: str) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mount namespaces are Linux's")
def test_the_pod_serves_from_a_read_only_root_with_json_logs_and_summed_metrics(mongo_uri, tmp_path):
    if not can_make_read_only_namespaces():
        pytest.skip("cannot make a mount namespace with a read-only root here (unshare, CAP_SYS_ADMIN)")
    database = "pod_%s" % uuid.uuid4().hex[:8]
    port, metrics_port = free_port(), free_port()
    objects = app_objects() + mongodb_objects() + secrets_objects()
    pod = pod_environment(objects, {"cms": "172.30.10.1", "mongodb": "172.30.20.2"})
    assert pod["CMS_LOG_FORMAT"] == "json" and pod["CMS_METRICS_PORT"]  # what the template sets
    env = child_env(**{k: v for k, v in pod.items() if not k.endswith(("_SERVICE_HOST", "_SERVICE_PORT", "_PORT"))})
    env.update(
        PATH="%s:%s" % (os.path.dirname(sys.executable), os.environ.get("PATH", "")),
        HOME=str(REPO_ROOT),  # the Python image's HOME is the source directory
        PORT=str(port),
        CMS_METRICS_PORT=str(metrics_port),
        MONGODB_URI=uri_with_database(mongo_uri, database),
        WEB_CONCURRENCY="2",
    )
    env.pop("TMPDIR", None)
    asyncio.run(make_content(env["MONGODB_URI"], database))
    log = tmp_path / "pod.log"
    script = READ_ONLY_ROOT_SOURCE_IN_TMP if str(REPO_ROOT).startswith("/tmp/") else READ_ONLY_ROOT
    command = ["unshare", "--mount", "sh", "-c", script, "sh",
               "gunicorn", "wsgi", "--access-logfile=-", "--config", "openshift/gunicorn.conf.py"]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(process, port, "/healthz", timeout=60)
        wait_for(lambda: log.read_text().count("database indexes in place") >= 2, 60, "both workers ready")

        host = "alpha." + BASE_DOMAIN
        answers = [get(port, "/posts/read-only", host=host, headers={"X-Request-ID": "pod-%d" % n}) for n in range(8)]
        assert {status for status, _, _ in answers} == {200}
        assert all(b"Served from a read-only root." in body for _, _, body in answers)
        assert [headers["X-Request-ID"] for _, headers, _ in answers] == ["pod-%d" % n for n in range(8)]

        # Every worker's requests, summed by the master, on the metrics port alone.
        wait_for(lambda: metric(metrics_port, "cms_http_requests_total", status="2xx", site="alpha") == 8, 20,
                 "8 requests of alpha counted")
        assert metric(metrics_port, "cms_http_request_duration_seconds_count") >= 8
        assert get(port, "/metrics", host=host)[0] == 404

        # Every line on stdout is one JSON object: gunicorn's, the app's and the requests'.
        wait_for(lambda: '"request_id": "pod-7"' in log.read_text(), 10, "the last request logged")
        entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        requests = {e["request_id"]: e for e in entries if e["logger"] == "tornado.access"}
        assert requests["pod-3"]["site"] == "alpha" and requests["pod-3"]["status"] == 200
        assert requests["pod-3"]["host"] == host and requests["pod-3"]["path"] == "/posts/read-only"
        assert any(e["logger"] == "gunicorn.error" and "Booting worker" in e["message"] for e in entries)
        assert not [e for e in entries if e["level"] in ("ERROR", "CRITICAL")]
    finally:
        stop(process)
        pymongo.MongoClient(mongo_uri).drop_database(database)
    assert process.returncode != 97, "the source directory was writable inside the namespace"
    assert process.returncode != 98, "/tmp was not writable inside the namespace"
