"""Policies of the rendered templates (issue 17, finding 5), checked offline and against each other.

Restricted security contexts on every pod, a read-only root with ``/tmp`` an
``emptyDir`` (that the app really runs so: tests/deploy/test_restricted_pod.py),
no service account token, disruption budgets, the autoscaler, topology
spread, NetworkPolicies whose selectors and ports meet real pods and ports,
and the metrics port that only monitoring reaches.
"""

from __future__ import annotations

from cms.config import REPO_ROOT

from .test_docs import READS
from .test_manifests import app_objects, container, mongodb_objects, one, secrets_objects, service_links
from .test_replica_set import pods


def all_objects() -> list[dict]:
    return app_objects() + mongodb_objects() + secrets_objects()


def workload_pods(objects: list[dict]) -> list[tuple[dict, dict]]:
    """(labels, pod spec) of every workload."""
    found = []
    for obj in objects:
        spec = obj.get("spec", {})
        if obj["kind"] == "CronJob":
            template = spec["jobTemplate"]["spec"]["template"]
        elif obj["kind"] in ("Deployment", "StatefulSet", "Job"):
            template = spec["template"]
        else:
            continue
        found.append((template["metadata"]["labels"], template["spec"]))
    return found


def test_every_pod_runs_restricted_without_a_token_on_a_read_only_root():
    for pod in pods(all_objects()):
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
        volumes = {v["name"]: v for v in pod["volumes"]}
        for c in pod.get("initContainers", []) + pod["containers"]:
            context = c["securityContext"]
            assert context["allowPrivilegeEscalation"] is False and context["capabilities"] == {"drop": ["ALL"]}
            assert context["readOnlyRootFilesystem"] is True
            assert "runAsUser" not in context and "privileged" not in context  # any UID the project assigns
            for mount in c.get("volumeMounts", []):
                # Writable only where a volume is: /tmp an emptyDir, data on claims.
                assert mount.get("readOnly") or "emptyDir" in volumes.get(mount["name"], {}) \
                    or "persistentVolumeClaim" in volumes.get(mount["name"], {}) or mount["name"] == "data", mount
        writable = [m["mountPath"] for m in pod["containers"][0].get("volumeMounts", [])
                    if "emptyDir" in volumes.get(m["name"], {}) and not m.get("readOnly")]
        assert "/tmp" in writable, pod
    assert "runAsUser" not in str(all_objects()) and "fsGroup" not in str(all_objects())


def test_the_autoscaler_owns_the_web_pods_count_and_has_a_request_to_scale_on():
    objects = app_objects(REPLICAS="3", MAX_REPLICAS="8", CPU_TARGET="60")
    deployment = one(objects, "Deployment")
    autoscaler = one(objects, "HorizontalPodAutoscaler")
    assert autoscaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "cms"}
    assert (autoscaler["spec"]["minReplicas"], autoscaler["spec"]["maxReplicas"]) == (3, 8)
    (target,) = autoscaler["spec"]["metrics"]
    assert target["resource"]["name"] == "cpu" and target["resource"]["target"]["averageUtilization"] == 60
    assert "replicas" not in deployment["spec"]  # a re-apply must not undo the autoscaler
    assert container(objects)["resources"]["requests"]["cpu"]  # utilization is measured against it
    budget = one(objects, "PodDisruptionBudget")
    assert budget["spec"]["maxUnavailable"] < autoscaler["spec"]["minReplicas"]


def test_pods_spread_over_zones_and_nodes():
    for objects, kind in ((app_objects(), "Deployment"), (mongodb_objects(), "StatefulSet")):
        template = one(objects, kind)["spec"]["template"]
        keys = set()
        for constraint in template["spec"]["topologySpreadConstraints"]:
            assert constraint["labelSelector"]["matchLabels"].items() <= template["metadata"]["labels"].items()
            keys.add(constraint["topologyKey"])
        assert "topology.kubernetes.io/zone" in keys


def selected(selector: dict, labels: dict) -> bool:
    return selector.get("matchLabels", {}).items() <= labels.items()


def test_mongodb_is_reached_only_by_its_members_and_the_apps_pods():
    objects = all_objects()
    (policy,) = [o for o in objects if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "mongodb"]
    members = one(objects, "StatefulSet")["spec"]["template"]
    assert selected(policy["spec"]["podSelector"], members["metadata"]["labels"])
    (rule,) = policy["spec"]["ingress"]
    sources = rule["from"]
    assert all(set(source) == {"podSelector"} for source in sources)  # this project's pods only

    def admitted(labels: dict) -> bool:
        return any(selected(source["podSelector"], labels) for source in sources)

    for labels, pod in workload_pods(objects):
        names = {c["name"] for c in pod["containers"]}
        # The web pods, the app's backup, the members, their init Job and mongodump: all of them.
        assert admitted(labels), (labels, names)
    assert not admitted({"app": "something-else"}) and not admitted({})
    ports = {p["name"] for p in members["spec"]["containers"][0]["ports"]}
    assert {p["port"] for p in rule["ports"]} <= ports


def test_the_web_pods_are_reached_by_the_routers_and_monitoring_only():
    objects = app_objects()
    (policy,) = [o for o in objects if o["kind"] == "NetworkPolicy"]
    web = one(objects, "Deployment")["spec"]["template"]
    assert selected(policy["spec"]["podSelector"], web["metadata"]["labels"])
    backup = one(objects, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    assert not selected(policy["spec"]["podSelector"], backup)  # backups take no connections at all
    ports = {p["name"]: p["containerPort"] for p in web["spec"]["containers"][0]["ports"]}
    allowed = {}
    for rule in policy["spec"]["ingress"]:
        (source,) = rule["from"]
        group = source["namespaceSelector"]["matchLabels"]["network.openshift.io/policy-group"]
        allowed[group] = {p["port"] for p in rule["ports"]}
        assert allowed[group] <= set(ports)
    assert allowed == {"ingress": {"http"}, "monitoring": {"metrics"}}


def test_metrics_go_to_monitoring_and_no_route_leads_there():
    objects = app_objects()
    web = container(objects)
    env = {e["name"]: e.get("value") for e in web["env"]}
    ports = {p["name"]: p["containerPort"] for p in web["ports"]}
    assert ports["metrics"] == int(env["CMS_METRICS_PORT"]) != ports["http"]
    monitor = one(objects, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    (service,) = [o for o in objects if o["kind"] == "Service"
                  and selected(monitor["spec"]["selector"], o["metadata"]["labels"])]
    (port,) = service["spec"]["ports"]
    assert port["name"] == endpoint["port"] and port["targetPort"] == "metrics"
    assert service["spec"]["selector"].items() <= one(objects, "Deployment")["spec"]["template"]["metadata"]["labels"].items()
    for route in (o for o in objects if o["kind"] == "Route"):
        target = one(objects, "Service", route["spec"]["to"]["name"])
        assert target is not service
        assert all(p["targetPort"] != "metrics" and p["port"] != ports["metrics"] for p in target["spec"]["ports"])


def test_no_service_link_variable_is_one_the_app_reads():
    """Kubernetes gives every pod <SERVICE>_PORT=tcp://... for every Service of the project:
    a Service named cms-metrics would set CMS_METRICS_PORT in the backup Job, which reads it."""
    sources = [*sorted((REPO_ROOT / "cms").rglob("*.py")), REPO_ROOT / "openshift" / "gunicorn.conf.py",
               REPO_ROOT / "wsgi.py"]
    read = {name for path in sources for name in READS.findall(path.read_text())}
    assert "CMS_METRICS_PORT" in read
    for service in (o for o in all_objects() if o["kind"] == "Service"):
        collisions = set(service_links(service, "172.30.0.1")) & read
        # The database's own links are read on purpose (MONGODB_SERVICE_HOST/_PORT).
        assert collisions <= {"MONGODB_SERVICE_HOST", "MONGODB_SERVICE_PORT"}, (service["metadata"]["name"], collisions)


# tests/bench/bench_pod_memory.py, docs/operating.md (Pod sizing): MiB at the worst moment.
MASTER_PEAK = 31
WORKER_PEAK = 705 + 64  # a web worker, its image and render workers at their peaks; a full page cache


def mebibytes(quantity: str) -> float:
    units = {"Mi": 1, "Gi": 1024, "M": 1e6 / 2**20, "G": 1e9 / 2**20}
    for unit, factor in sorted(units.items(), key=lambda u: -len(u[0])):
        if quantity.endswith(unit):
            return float(quantity[: -len(unit)]) * factor
    return float(quantity) / 2**20


def test_the_web_pod_is_sized_from_the_measured_peaks():
    for workers in ("2", "3"):
        objects = app_objects(WEB_CONCURRENCY=workers, MEMORY_LIMIT="%dMi" % (800 * int(workers) + 192))
        web = container(objects)
        env = {e["name"]: e.get("value") for e in web["env"]}
        resources = web["resources"]
        assert resources["requests"]["memory"] == resources["limits"]["memory"]  # never overcommitted
        assert mebibytes(resources["limits"]["memory"]) >= 1.1 * (MASTER_PEAK + int(env["WEB_CONCURRENCY"]) * WORKER_PEAK)
    web = container(app_objects())  # the defaults
    env = {e["name"]: e.get("value") for e in web["env"]}
    assert int(env["WEB_CONCURRENCY"]) == 2 and web["resources"]["limits"]["memory"] == "1792Mi"
    assert mebibytes("1792Mi") >= 1.1 * (MASTER_PEAK + 2 * WORKER_PEAK)
    assert int(env["CMS_MAX_UPLOAD_MB"]) <= 90  # the bench's uploads were at the highest limit
