"""The OpenShift manifests, checked offline.

Each template is processed the way ``oc process`` does (parameters, generated
values, ``${{...}}`` for non-strings); Kubernetes kinds are then validated
against Kubernetes' own schemas (``kubernetes-validate``, which ships them:
the network is shut off while it runs), and OpenShift's kinds (Template,
BuildConfig, ImageStream, Route) get a check of the fields that matter. The
pieces must also fit together: probes on real endpoints, one port from the
gunicorn config through Deployment, Service and Route, secrets that exist,
and the pod's environment giving the app the right database connection.
"""

from __future__ import annotations

import json
import random
import re
import runpy
import socket
import string
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pymongo.uri_parser import parse_uri

from cms.app import health_routes
from cms.config import REPO_ROOT, Settings

OPENSHIFT = REPO_ROOT / "openshift"
KUBERNETES_VERSION = "1.30.0"  # OpenShift 4.17
PARAMETER = re.compile(r"\$\{(\{)?([A-Z0-9_]+)\}?\}")
BASE_DOMAIN = "blogs.apps.example.com"
# What an operator passes (`oc image info ... | jq -r .digest`); any well-formed digest renders.
EXAMPLE_DIGEST = "sha256:" + "5d2f1c0e9b8a7f6e" * 4
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def load(name: str) -> dict:
    return yaml.safe_load((OPENSHIFT / name).read_text())


def generate(expression: str) -> str:
    match = re.fullmatch(r"\[a-zA-Z0-9\]\{(\d+)\}", expression)
    assert match, "unsupported generator %r" % expression
    return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(int(match.group(1))))


def process(template: dict, **given: str) -> list[dict]:
    """What ``oc process -p NAME=value ...`` makes of ``template``."""
    values: dict[str, str] = {}
    for parameter in template["parameters"]:
        name = parameter["name"]
        if name in given:
            values[name] = given.pop(name)
        elif "value" in parameter:
            values[name] = parameter["value"]
        elif parameter.get("generate") == "expression":
            values[name] = generate(parameter["from"])
        else:
            values[name] = ""
        if parameter.get("required"):
            assert values[name], "required parameter %s has no value" % name
    assert not given, "unknown parameters %s" % sorted(given)

    def substitute(node: Any) -> Any:
        if isinstance(node, dict):
            return {substitute(k): substitute(v) for k, v in node.items()}
        if isinstance(node, list):
            return [substitute(v) for v in node]
        if isinstance(node, str):
            whole = re.fullmatch(r"\$\{\{([A-Z0-9_]+)\}\}", node)
            if whole:
                return json.loads(values[whole.group(1)])
            for _, name in PARAMETER.findall(node):
                assert name in values, "%r refers to an undeclared parameter %s" % (node, name)
            return PARAMETER.sub(lambda m: values[m.group(2)], node)
        return node

    return [substitute(o) for o in template["objects"]]


def app_objects(**params: str) -> list[dict]:
    params.setdefault("CMS_BASE_DOMAIN", BASE_DOMAIN)
    params.setdefault("SOURCE_REPOSITORY_URL", "https://git.example.com/team/cms.git")
    return process(load("template.yaml"), **params)


def mongodb_objects(**params: str) -> list[dict]:
    params.setdefault("MONGODB_IMAGE_DIGEST", EXAMPLE_DIGEST)
    return process(load("mongodb.yaml"), **params)


def secrets_objects(**params: str) -> list[dict]:
    return process(load("secrets.yaml"), **params)


def one(objects: list[dict], kind: str, name: str | None = None) -> dict:
    found = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(found) == 1, "expected one %s %s, found %d" % (kind, name or "", len(found))
    return found[0]


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


# --- parsing and schemas ----------------------------------------------------------


def test_every_manifest_parses():
    files = sorted(OPENSHIFT.glob("*.yaml")) + sorted(OPENSHIFT.glob("*.yml"))
    assert {f.name for f in files} == {"template.yaml", "mongodb.yaml", "secrets.yaml"}
    for path in files:
        docs = list(yaml.safe_load_all(path.read_text()))
        assert docs and all(isinstance(d, dict) and d.get("kind") for d in docs), path


@pytest.mark.parametrize("objects", [app_objects, mongodb_objects, secrets_objects], ids=["app", "mongodb", "secrets"])
def test_kubernetes_kinds_validate_against_the_schemas(objects, no_network):
    checked = []
    for obj in objects():
        if "openshift.io" in obj["apiVersion"] or obj["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # OpenShift's and the Prometheus operator's kinds: checked field by field below
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        checked.append(obj["kind"])
    assert checked  # something was validated


def test_the_validator_catches_mistakes_offline(no_network):
    deployment = one(app_objects(), "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"] = [8080]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    deployment = one(app_objects(), "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessprobe"] = {}  # misspelt field
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


# --- OpenShift kinds ----------------------------------------------------------------


def test_templates_declare_their_parameters():
    for name in ("template.yaml", "mongodb.yaml", "secrets.yaml"):
        template = load(name)
        assert template["apiVersion"] == "template.openshift.io/v1" and template["kind"] == "Template"
        names = [p["name"] for p in template["parameters"]]
        assert len(names) == len(set(names))
        used = {m[1] for m in PARAMETER.findall(yaml.safe_dump(template["objects"]))}
        assert used <= set(names), used - set(names)
        assert set(names) <= used | {"NAME"}, set(names) - used  # nothing declared for nothing
    app = {p["name"]: p for p in load("template.yaml")["parameters"]}
    assert app["CMS_BASE_DOMAIN"].get("required") is True and "value" not in app["CMS_BASE_DOMAIN"]
    secrets = {p["name"]: p for p in load("secrets.yaml")["parameters"]}
    for name in ("COOKIE_SECRET", "MONGODB_PASSWORD", "MONGODB_ADMIN_PASSWORD"):
        assert secrets[name]["generate"] == "expression"  # never a fixed secret in the repo
    assert secrets["MONGODB_URI"]["value"] == ""


def test_re_applying_the_templates_changes_no_secret():
    """Only secrets.yaml (processed once, with ``oc create``) generates values or makes
    Secrets: a second ``oc process | oc apply`` of the others renders the same objects."""
    for name in ("template.yaml", "mongodb.yaml"):
        assert not [p["name"] for p in load(name)["parameters"] if "generate" in p], name
    first, second = app_objects() + mongodb_objects(), app_objects() + mongodb_objects()
    assert first == second
    assert not [o for o in first if o["kind"] == "Secret"]
    header = (OPENSHIFT / "secrets.yaml").read_text().split("apiVersion:")[0]
    assert "oc process -f openshift/secrets.yaml | oc create -f -" in header
    # The parameters secrets.yaml names its Secrets by default to what the others read.
    names = {o["metadata"]["name"] for o in secrets_objects()}
    assert names == {"cms", "cms-webhook", "mongodb", "mongodb-keyfile"}


def test_processing_fills_every_parameter():
    text = json.dumps(app_objects() + mongodb_objects() + secrets_objects())
    assert "${" not in text
    assert BASE_DOMAIN in text


def test_build_and_image_stream():
    objects = app_objects()
    build = one(objects, "BuildConfig", "cms")
    assert build["apiVersion"] == "build.openshift.io/v1"
    assert build["spec"]["source"]["git"]["uri"] == "https://git.example.com/team/cms.git"
    strategy = build["spec"]["strategy"]
    assert strategy["type"] == "Source"
    builder = strategy["sourceStrategy"]["from"]
    assert builder["kind"] == "ImageStreamTag" and builder["namespace"] == "openshift"
    assert re.fullmatch(r"python:3\.1[1-9]-ubi\d+", builder["name"])
    output = build["spec"]["output"]["to"]
    assert output["kind"] == "ImageStreamTag"
    stream = one(objects, "ImageStream", output["name"].split(":")[0])
    assert stream["apiVersion"] == "image.openshift.io/v1"
    # The Deployment rolls out what the build pushes.
    deployment = one(objects, "Deployment")
    trigger = json.loads(deployment["metadata"]["annotations"]["image.openshift.io/triggers"])[0]
    assert trigger["from"] == {"kind": "ImageStreamTag", "name": output["name"]}
    container = re.search(r'@\.name=="(\w+)"', trigger["fieldPath"]).group(1)
    assert container in [c["name"] for c in deployment["spec"]["template"]["spec"]["containers"]]


def test_the_image_is_found_by_name_and_tested_before_it_is_pushed():
    objects = app_objects()
    # `image: cms:latest` in the Deployment and CronJob resolves through the stream, re-apply or not.
    assert one(objects, "ImageStream", "cms")["spec"]["lookupPolicy"] == {"local": True}
    hook = one(objects, "BuildConfig", "cms")["spec"]["postCommit"]
    # Run in a throwaway container of the built image (source in the working directory):
    # a failing unit test fails the build, and nothing is pushed or rolled out.
    steps = [step.strip() for step in hook["script"].split("&&")]
    assert steps[0] == "python -m pip install --no-cache-dir -r requirements-test.txt"
    assert steps[1].startswith("python -m pytest ")
    (target,) = [arg for arg in steps[1].split()[3:] if not arg.startswith("-")]
    assert (REPO_ROOT / "requirements-test.txt").is_file()
    assert sorted((REPO_ROOT / target).glob("test_*.py"))  # the unit tests are in the source the builder copies
    assert not (REPO_ROOT / ".s2iignore").exists() or target not in (REPO_ROOT / ".s2iignore").read_text()


def test_pushes_trigger_builds_through_webhooks_whose_secret_is_made_once():
    build = one(app_objects(), "BuildConfig", "cms")
    webhooks = {t["type"]: t for t in build["spec"]["triggers"] if t["type"] in ("GitHub", "Generic")}
    assert set(webhooks) == {"GitHub", "Generic"}
    secrets = {o["metadata"]["name"]: o["stringData"] for o in secrets_objects()}
    for trigger in webhooks.values():
        hook = trigger[trigger["type"].lower()]
        assert "secret" not in hook  # never inline: it would be in every rendering of the template
        key = secrets[hook["secretReference"]["name"]]["WebHookSecretKey"]  # the key OpenShift reads
        assert len(key) >= 32


def test_routes_are_tls_edge_to_the_service():
    objects = app_objects()
    service = one(objects, "Service", "cms")
    service_ports = {p["name"] for p in service["spec"]["ports"]}
    routes = [o for o in objects if o["kind"] == "Route"]
    assert {r["spec"]["host"] for r in routes} == {BASE_DOMAIN, "sites." + BASE_DOMAIN}
    for route in routes:
        assert route["apiVersion"] == "route.openshift.io/v1"
        spec = route["spec"]
        assert spec["to"] == {"kind": "Service", "name": "cms", "weight": 100}
        assert spec["port"]["targetPort"] in service_ports
        assert spec["tls"] == {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect",
                               "certificate": "", "key": ""}  # empty: the router's default certificate
    wildcard = one(objects, "Route", "cms-sites")
    assert wildcard["spec"]["wildcardPolicy"] == "Subdomain"  # *.<base domain>


def test_routes_send_hsts_and_outwait_the_slowest_upload():
    from cms.handlers.media import UPLOAD_BODY_TIMEOUT

    for route in (o for o in app_objects() if o["kind"] == "Route"):
        annotations = route["metadata"]["annotations"]
        # Clusters with a required HSTS policy (RequiredHSTSPolicies) admit only routes that send it.
        hsts = dict(part.partition("=")[::2] for part in annotations["haproxy.router.openshift.io/hsts_header"].split(";"))
        assert int(hsts["max-age"]) >= 365 * 24 * 3600 and "includeSubDomains" in hsts
        # The router's default 30 s would cut an upload the app still accepts.
        timeout = re.fullmatch(r"(\d+)s", annotations["haproxy.router.openshift.io/timeout"])
        assert timeout and int(timeout.group(1)) > UPLOAD_BODY_TIMEOUT


def test_a_wildcard_certificate_reaches_both_routes():
    pem = "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----"
    key = "-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----"
    routes = [o for o in app_objects(TLS_CERTIFICATE=pem, TLS_KEY=key) if o["kind"] == "Route"]
    assert len(routes) == 2
    for route in routes:
        assert (route["spec"]["tls"]["certificate"], route["spec"]["tls"]["key"]) == (pem, key)


# --- the pieces fit together ----------------------------------------------------------


def container(objects: list[dict], kind: str = "Deployment") -> dict:
    return one(objects, kind)["spec"]["template"]["spec"]["containers"][0]


def member_addresses(statefulset: dict) -> list[tuple[str, int]]:
    """The stable DNS names of a StatefulSet's pods: <name>-<i>.<governing service>."""
    name, service = statefulset["metadata"]["name"], statefulset["spec"]["serviceName"]
    port = statefulset["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"]
    return [("%s-%d.%s" % (name, i, service), port) for i in range(statefulset["spec"]["replicas"])]


def mongod_option(statefulset: dict, option: str) -> str:
    """The value of ``--option=value`` among mongod's arguments."""
    args = statefulset["spec"]["template"]["spec"]["containers"][0]["args"]
    (value,) = [a.split("=", 1)[1] for a in args if a.startswith(option + "=")]
    return value


def test_probes_hit_real_endpoints_on_the_served_port():
    web = container(app_objects())
    ports = {p["name"]: p["containerPort"] for p in web["ports"]}
    routes = {spec.regex.pattern.rstrip("$") for spec in health_routes()}
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("readinessProbe", "livenessProbe"):
        get = web[probe]["httpGet"]
        assert get["path"] in routes
        assert get["port"] in ports
    assert web["resources"]["limits"]["memory"] and web["resources"]["limits"]["cpu"]


async def test_the_probed_endpoints_answer(client):
    for path, body in (("/healthz", b'{"status": "ok"}'), ("/readyz", b'{"status": "ready"}')):
        response = await client.fetch("10.128.2.15", path)  # the kubelet probes the pod IP
        assert (response.code, response.body) == (200, body)


def test_one_port_from_gunicorn_to_the_route(monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    config = runpy.run_path(str(OPENSHIFT / "gunicorn.conf.py"))
    assert config["worker_class"] == "tornado"
    gunicorn_port = int(config["bind"].rsplit(":", 1)[1])
    objects = app_objects()
    web = container(objects)
    env = {e["name"]: e.get("value") for e in web["env"]}
    assert int(env["PORT"]) == gunicorn_port == 8080
    (http,) = [p for p in web["ports"] if p["name"] == "http"]
    assert http["containerPort"] == gunicorn_port
    service = one(objects, "Service", "cms")
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] in (http["name"], http["containerPort"])
    assert service["spec"]["selector"].items() <= one(objects, "Deployment")["spec"]["template"]["metadata"]["labels"].items()


def test_graceful_stop_fits_in_the_pod_grace_period(monkeypatch):
    """The kubelet's countdown (terminationGracePeriodSeconds) starts with the preStop
    pause, during which the router drops the pod; then SIGTERM, and gunicorn's
    graceful_timeout, inside which the workers drain for CMS_SHUTDOWN_GRACE."""
    pod = one(app_objects(), "Deployment")["spec"]["template"]["spec"]
    web = pod["containers"][0]
    env = {e["name"]: e.get("value") for e in web["env"]}
    for name in ("GRACEFUL_TIMEOUT", "CMS_SHUTDOWN_GRACE"):
        monkeypatch.setenv(name, env[name])
    config = runpy.run_path(str(OPENSHIFT / "gunicorn.conf.py"))
    assert pod["terminationGracePeriodSeconds"] == 45
    pause = prestop_seconds(web)
    assert 5 <= pause  # the routers see the endpoint go and reload before new connections are refused
    assert config["shutdown_grace"] + config["DRAIN_MARGIN"] <= config["graceful_timeout"]
    # (with the cookie key its Secret gives: the in-project database's hosts make a URI)
    assert Settings.from_env({**env, "COOKIE_SECRET": "k"}).shutdown_grace == config["shutdown_grace"]  # the app drains as gunicorn expects
    assert pause + config["graceful_timeout"] < pod["terminationGracePeriodSeconds"]  # no SIGKILL mid-drain


def prestop_seconds(web: dict) -> float:
    """How long the preStop hook pauses: an exec of the image's python (the UBI
    python image's venv is on PATH; no reliance on a ``sleep`` binary)."""
    command = web["lifecycle"]["preStop"]["exec"]["command"]
    assert command[:2] == ["python", "-c"]
    match = re.fullmatch(r"import time; time\.sleep\((\d+)\)", command[2])
    assert match, command
    compile(command[2], "preStop", "exec")
    return float(match.group(1))


def test_probes_give_start_up_its_time_and_readiness_its_deadlines():
    from cms.supervisor import PING_DEADLINE

    web = container(app_objects())
    startup, ready, live = web["startupProbe"], web["readinessProbe"], web["livenessProbe"]
    assert startup["httpGet"] == live["httpGet"]  # up means the process answers, not that the database does
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 60  # a slow first start is not killed
    assert "initialDelaySeconds" not in live  # the startup probe holds liveness back
    # /readyz pings, then reads, each within PING_DEADLINE: both fit in the probe's timeout.
    assert ready["timeoutSeconds"] >= 2 * PING_DEADLINE + 1


def test_secret_references_resolve():
    objects = app_objects() + mongodb_objects() + secrets_objects()
    secrets = {o["metadata"]["name"]: o["stringData"] for o in objects if o["kind"] == "Secret"}
    for kind in ("Deployment", "StatefulSet"):
        for item in container(objects, kind)["env"]:
            ref = item.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["name"] in secrets, ref
                # An optional key may be absent: COOKIE_SECRET_OLD exists only during a rotation.
                assert ref["key"] in secrets[ref["name"]] or ref.get("optional"), ref
    assert set(secrets["cms"]) == {"COOKIE_SECRET", "GOOGLE_OAUTH_CLIENT_ID", "GOOGLE_OAUTH_CLIENT_SECRET", "MONGODB_URI"}
    assert len(secrets["cms"]["COOKIE_SECRET"]) == 64


def pod_environment(objects: list[dict], service_ips: dict[str, str], web: dict | None = None) -> dict[str, str]:
    """A container's environment (the web one unless ``web`` is given) as the kubelet
    builds it: the service-link variables of the project's ClusterIP Services
    first, then the container's own variables, secrets resolved, which win."""
    secrets = {o["metadata"]["name"]: o["stringData"] for o in objects if o["kind"] == "Secret"}
    env: dict[str, str] = {}
    services = [o for o in objects if o["kind"] == "Service" and o["spec"].get("clusterIP") != "None"]
    for n, service in enumerate(services):
        name = service["metadata"]["name"]
        env.update(service_links(service, service_ips.get(name) or "172.30.99.%d" % n))
    for item in (web or container(objects))["env"]:
        if "value" in item:
            env[item["name"]] = item["value"]
        elif "secretKeyRef" in item["valueFrom"]:
            ref = item["valueFrom"]["secretKeyRef"]
            secret = secrets.get(ref["name"])
            if secret is None or ref["key"] not in secret:
                assert ref.get("optional"), ref
                continue
            env[item["name"]] = secret[ref["key"]]
    return env


def service_links(service: dict, ip: str) -> dict[str, str]:
    """The variables Kubernetes gives every pod of the project for ``service`` (enableServiceLinks)."""
    prefix = service["metadata"]["name"].upper().replace("-", "_")
    first = service["spec"]["ports"][0]
    env = {prefix + "_SERVICE_HOST": ip, prefix + "_SERVICE_PORT": str(first["port"]),
           prefix + "_PORT": "tcp://%s:%s" % (ip, first["port"])}
    for port in service["spec"]["ports"]:
        protocol = port.get("protocol", "TCP")
        link = "%s_PORT_%s_%s" % (prefix, port["port"], protocol)
        env.update({link: "%s://%s:%s" % (protocol.lower(), ip, port["port"]), link + "_PROTO": protocol.lower(),
                    link + "_PORT": str(port["port"]), link + "_ADDR": ip})
        if port.get("name"):
            env["%s_SERVICE_PORT_%s" % (prefix, port["name"].upper().replace("-", "_"))] = str(port["port"])
    return env


def test_the_pod_reaches_the_in_project_database_as_its_app_user():
    database = mongodb_objects()
    objects = app_objects() + database + secrets_objects()
    env = pod_environment(objects, {"cms": "172.30.10.1", "mongodb": "172.30.20.2"})
    settings = Settings.from_env(env)
    info = parse_uri(settings.mongodb_uri)
    account = one(objects, "Secret", "mongodb")["stringData"]
    statefulset = one(database, "StatefulSet")
    assert info["nodelist"] == member_addresses(statefulset)  # every member, not the Service's one address
    assert info["options"]["replicaSet"] == mongod_option(statefulset, "--replSet")
    assert (info["username"], info["password"]) == ("cms", account["MONGODB_PASSWORD"])
    assert settings.database_name == "cms" and "authSource" not in info["options"]
    assert settings.trust_proxy is True and settings.base_domain == BASE_DOMAIN
    assert settings.cookie_secret == one(objects, "Secret", "cms")["stringData"]["COOKIE_SECRET"]
    # The init Job gives exactly that account readWrite on that database.
    script = one(database, "ConfigMap")["data"]["initiate.js"]
    assert "createUser({user: process.env.MONGODB_USER" in script and 'role: "readWrite"' in script
    job_env = {e["name"]: e for e in container(database, "Job")["env"]}
    for name in ("MONGODB_USER", "MONGODB_PASSWORD", "MONGODB_DATABASE"):
        assert job_env[name]["valueFrom"]["secretKeyRef"] == {"name": "mongodb", "key": name}


def test_a_key_rotation_reaches_the_pod_through_the_secret():
    objects = app_objects() + mongodb_objects() + secrets_objects()
    keys = one(objects, "Secret", "cms")["stringData"]
    keys["COOKIE_SECRET_OLD"], keys["COOKIE_SECRET"] = keys["COOKIE_SECRET"], "n" * 64  # docs/operating.md
    settings = Settings.from_env(pod_environment(objects, {"cms": "172.30.10.1", "mongodb": "172.30.20.2"}))
    assert (settings.cookie_secret, settings.cookie_secret_old) == (keys["COOKIE_SECRET"], keys["COOKIE_SECRET_OLD"])
    backup_env = {e["name"] for e in one(objects, "CronJob", "cms-backup")["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert "COOKIE_SECRET" in backup_env


def test_the_upload_limit_is_a_parameter_the_app_reads():
    objects = app_objects(CMS_MAX_UPLOAD_MB="40") + mongodb_objects() + secrets_objects()
    settings = Settings.from_env(pod_environment(objects, {"cms": "172.30.10.1", "mongodb": "172.30.20.2"}))
    assert settings.max_upload_mb == 40
    default = {p["name"]: p.get("value") for p in load("template.yaml")["parameters"]}["CMS_MAX_UPLOAD_MB"]
    assert int(default) == Settings().max_upload_mb


def test_an_external_uri_wins_over_the_in_project_database():
    uri = "mongodb+srv://cms:pw@cluster0.example.net/blog?retryWrites=true"
    objects = app_objects() + mongodb_objects() + secrets_objects(MONGODB_URI=uri)
    settings = Settings.from_env(pod_environment(objects, {"cms": "172.30.10.1", "mongodb": "172.30.20.2"}))
    assert settings.mongodb_uri == uri and settings.database_name == "blog"


def test_the_database_keeps_its_data_on_a_volume():
    objects = mongodb_objects()
    statefulset = one(objects, "StatefulSet")
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    mounts = {m["name"]: m["mountPath"] for m in container(objects, "StatefulSet")["volumeMounts"]}
    assert mounts[claim["metadata"]["name"]] == "/data/db"
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"
    headless = one(objects, "Service", statefulset["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    ports = {p["name"] for p in container(objects, "StatefulSet")["ports"]}
    for service in (o for o in objects if o["kind"] == "Service"):
        assert service["spec"]["ports"][0]["targetPort"] in ports


def test_backups_run_on_a_schedule_into_their_own_volume_keeping_the_newest():
    from cms.__main__ import _parser

    objects = app_objects(BACKUP_SCHEDULE="15 1 * * *", BACKUP_KEEP="5")
    cron = one(objects, "CronJob")
    assert cron["spec"]["schedule"] == "15 1 * * *"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"  # never two backups on one volume at once
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    backup = pod["containers"][0]
    assert backup["command"][:3] == ["python", "-m", "cms"]
    args = _parser().parse_args(backup["command"][3:])  # the CLI accepts exactly this command
    assert args.command == "backup" and args.keep == 5
    mount = next(m for m in backup["volumeMounts"] if m["mountPath"] == args.dir)
    claim = next(v for v in pod["volumes"] if v["name"] == mount["name"])["persistentVolumeClaim"]["claimName"]
    volume = one(objects, "PersistentVolumeClaim", claim)  # a volume of its own, made by this template
    assert volume["spec"]["resources"]["requests"]["storage"] == "10Gi"
    database_env = {e["name"]: e for e in container(objects)["env"]
                    if e["name"] in ("COOKIE_SECRET", "DATABASE_SERVICE_NAME") or e["name"].startswith("MONGODB")}
    backup_env = {e["name"]: e for e in backup["env"]}
    assert {name: backup_env.get(name) for name in database_env} == database_env  # the web pods' database
    trigger = json.loads(cron["metadata"]["annotations"]["image.openshift.io/triggers"])[0]
    assert trigger["from"]["name"] == one(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert trigger["fieldPath"] == 'spec.jobTemplate.spec.template.spec.containers[?(@.name=="backup")].image'
