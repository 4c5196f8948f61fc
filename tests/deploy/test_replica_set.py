"""The in-project MongoDB replica set (openshift/mongodb.yaml; issue 17, finding 3), checked offline.

Rendered as ``oc process`` does (tests/deploy/test_manifests.py), then:
the app's URI names every member and the replica set; the members
authenticate each other with a keyfile mongod accepts; the image is a
digest; the probes let a long recovery finish; the WiredTiger cache follows
the memory limit; the backups (mongodump) keep what they should. There is no
replica set on this machine: the driver is shown to take the URI as a
replica set (its seeds and name), not to talk to one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time

import pytest

from cms import db as database
from cms.config import Settings

from .test_manifests import (
    DIGEST,
    app_objects,
    container,
    load,
    member_addresses,
    mongod_option,
    mongodb_objects,
    one,
    pod_environment,
    secrets_objects,
)

# The grammar of an image reference's tail (distribution/reference): ``name[:tag][@digest]``.
REFERENCE = re.compile(r"[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*:[0-9a-fA-F]{32,})?")


def scripts() -> dict[str, str]:
    return one(mongodb_objects(), "ConfigMap")["data"]


def pods(objects: list[dict]) -> list[dict]:
    """Every pod spec a template makes (Deployments, StatefulSets, Jobs, CronJobs)."""
    found = []
    for obj in objects:
        spec = obj.get("spec", {})
        if obj["kind"] == "CronJob":
            found.append(spec["jobTemplate"]["spec"]["template"]["spec"])
        elif "template" in spec and obj["kind"] in ("Deployment", "StatefulSet", "Job"):
            found.append(spec["template"]["spec"])
    return found


def test_the_app_lists_every_member_and_the_replica_set_and_its_client_takes_them():
    database_objects = mongodb_objects()
    objects = app_objects() + database_objects + secrets_objects()
    statefulset = one(database_objects, "StatefulSet")
    assert statefulset["spec"]["replicas"] == 3
    members = member_addresses(statefulset)
    assert members == [("mongodb-%d.mongodb-headless" % i, 27017) for i in range(3)]
    headless = one(database_objects, "Service", statefulset["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None" and headless["spec"]["publishNotReadyAddresses"] is True
    for name in ("Deployment", "CronJob"):
        web = container(objects) if name == "Deployment" else \
            one(objects, "CronJob", "cms-backup")["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
        settings = Settings.from_env(pod_environment(objects, {}, web))
        client = database.connect(settings.mongodb_uri)  # cms/db.py, as the app makes it
        try:
            # Seeds and replica set name as the driver took them; no member answers here.
            assert client.options.replica_set_name == mongod_option(statefulset, "--replSet") == "rs0"
            description = client.topology_description
            assert description.topology_type_name == "ReplicaSetNoPrimary"
            assert sorted(description.server_descriptions()) == members
        finally:
            client.close()
        assert settings.database_name == "cms"


def test_the_image_is_a_digest_never_a_tag():
    parameters = {p["name"]: p for p in load("mongodb.yaml")["parameters"]}
    digest = parameters["MONGODB_IMAGE_DIGEST"]
    assert digest.get("required") is True and "value" not in digest  # no default that could go stale
    images = {c["image"] for pod in pods(mongodb_objects()) for c in pod.get("initContainers", []) + pod["containers"]}
    (image,) = images  # one image everywhere: members, init Job, backups
    repository, _, pinned = image.partition("@")
    assert repository == "docker.io/mongodb/mongodb-community-server" and DIGEST.fullmatch(pinned)
    assert REFERENCE.fullmatch(image.split("/", 1)[1])
    # A tag given where the digest goes makes a reference the kubelet refuses: no pod runs it.
    (tagged,) = {c["image"] for c in pods(mongodb_objects(MONGODB_IMAGE_DIGEST="7.0.16-ubi9"))[0]["containers"]}
    assert not REFERENCE.fullmatch(tagged.split("/", 1)[1])


def test_members_authenticate_with_a_keyfile_mongod_accepts():
    objects = mongodb_objects()
    pod = one(objects, "StatefulSet")["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    (copy,) = pod["initContainers"]
    mongod = pod["containers"][0]
    keyfile = mongod_option(one(objects, "StatefulSet"), "--keyFile")
    mounts = {m["name"]: m for m in mongod["volumeMounts"]}
    # mongod reads it from a memory emptyDir, read-only, where the init container put it ...
    (mount,) = [m for m in mongod["volumeMounts"] if keyfile.startswith(m["mountPath"] + "/")]
    assert volumes[mount["name"]]["emptyDir"]["medium"] == "Memory" and mounts[mount["name"]]["readOnly"]
    # ... copied from the Secret (readable by the pod's fsGroup, 0440) and made 0400, its own:
    # mongod refuses a keyfile that group or others may read.
    secret_mount = next(m for m in copy["volumeMounts"] if "secret" in volumes[m["name"]])
    secret = volumes[secret_mount["name"]]["secret"]
    assert secret["defaultMode"] == 0o440 and secret["secretName"] == "mongodb-keyfile"
    script = copy["command"][-1]
    assert "cp %s/keyfile %s" % (secret_mount["mountPath"], keyfile) in script and "chmod 0400 %s" % keyfile in script
    # The key: made once by secrets.yaml, base64 characters, within mongod's 6 to 1024.
    key = one(secrets_objects(), "Secret", "mongodb-keyfile")["stringData"]["keyfile"]
    assert 6 <= len(key) <= 1024 and re.fullmatch(r"[A-Za-z0-9+/=]+", key)


def test_probes_let_a_long_recovery_finish():
    mongod = container(mongodb_objects(), "StatefulSet")
    startup, live, ready = mongod["startupProbe"], mongod["livenessProbe"], mongod["readinessProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 30 * 60  # crash recovery, initial sync
    assert "initialDelaySeconds" not in live  # held back by the startup probe instead
    assert startup["exec"]["command"][0] == live["exec"]["command"][0] == ready["exec"]["command"][0] == "mongosh"
    assert "isWritablePrimary" in ready["exec"]["command"][-1] and "secondary" in ready["exec"]["command"][-1]


@pytest.mark.parametrize("limit_mb, cache", [(2048, "0.50"), (4096, "1.50"), (1024, "0.25"), (1536, "0.25"),
                                             (3072, "1.00")])
def test_the_wiredtiger_cache_follows_the_memory_limit(limit_mb, cache):
    mongod = container(mongodb_objects(), "StatefulSet")
    env = {e["name"]: e for e in mongod["env"]}
    field = env["MEMORY_LIMIT_MB"]["valueFrom"]["resourceFieldRef"]
    assert field == {"containerName": "mongodb", "resource": "limits.memory", "divisor": "1Mi"}
    assert mongod["command"] == ["bash", "/opt/cms-mongodb/start.sh"]
    # The script as the container runs it, ending in `echo` instead of the entrypoint.
    result = subprocess.run(["bash", "-c", scripts()["start.sh"], "start.sh", "echo", *mongod["args"]],
                            env={"MEMORY_LIMIT_MB": str(limit_mb), "PATH": os.environ["PATH"]},
                            capture_output=True, text=True, check=True)
    assert result.stdout.split() == [*mongod["args"], "--wiredTigerCacheSizeGB", cache]


def test_the_init_job_initiates_every_member_and_is_idempotent():
    objects = mongodb_objects()
    job = one(objects, "Job", "mongodb-init")
    script = scripts()["initiate.js"]
    assert 'e.codeName !== "NotYetInitialized"' in script  # an initiated set is left alone
    assert "app.getUser(process.env.MONGODB_USER) === null" in script  # so is an existing account
    env = {e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    statefulset = one(objects, "StatefulSet")
    assert env["REPLICA_SET_NAME"] == mongod_option(statefulset, "--replSet")
    assert int(env["REPLICAS"]) == statefulset["spec"]["replicas"]
    command = job["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert "mongodb-0.mongodb-headless:27017" in command and "/opt/cms-mongodb/initiate.js" in command


def test_pod_disruption_budgets_keep_a_majority_and_select_real_pods():
    for objects in (mongodb_objects(), app_objects()):
        for budget in (o for o in objects if o["kind"] == "PodDisruptionBudget"):
            selector = budget["spec"]["selector"]["matchLabels"]
            matched = [o for o in objects if o["kind"] in ("Deployment", "StatefulSet")
                       and selector.items() <= o["spec"]["template"]["metadata"]["labels"].items()]
            assert len(matched) == 1, budget["metadata"]["name"]
            assert budget["spec"]["maxUnavailable"] == 1
    statefulset = one(mongodb_objects(), "StatefulSet")
    assert statefulset["spec"]["replicas"] - 1 > statefulset["spec"]["replicas"] // 2  # a majority stays up
    anti = statefulset["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
    (rule,) = anti["requiredDuringSchedulingIgnoredDuringExecution"]
    assert rule["topologyKey"] == "kubernetes.io/hostname"
    assert rule["labelSelector"]["matchLabels"].items() <= statefulset["spec"]["template"]["metadata"]["labels"].items()


def backup_script_env(tmp_path, keep_days: int, bin_dir) -> dict[str, str]:
    return {"PATH": "%s:%s" % (bin_dir, os.environ["PATH"]), "BACKUP_URI": "mongodb://example/",
            "KEEP_DAYS": str(keep_days), "BACKUP_DIR": str(tmp_path / "backups")}


def test_the_mongodump_cronjob_names_its_dumps_and_keeps_n_days(tmp_path):
    """The CronJob's script with a stand-in ``mongodump`` (there is none on this machine):
    what it names, renames and removes. mongodump itself needs a cluster (docs/operating.md)."""
    cron = one(mongodb_objects(BACKUP_KEEP_DAYS="3"), "CronJob")
    dump = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in dump["env"]}
    assert env["KEEP_DAYS"] == "3" and env["BACKUP_DIR"] == "/backups"
    assert "--oplog --gzip" in scripts()["backup.sh"]
    assert "replicaSet=rs0" in env["BACKUP_URI"] and "authSource=admin" in env["BACKUP_URI"]
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    backups = tmp_path / "backups"
    backups.mkdir()
    old, recent = backups / "20200101T000000Z.archive.gz", backups / "20991231T000000Z.archive.gz"
    for path, age_days in ((old, 10), (recent, 1)):
        path.write_bytes(b"dump")
        when = time.time() - age_days * 86400
        os.utime(path, (when, when))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stand_in = bin_dir / "mongodump"
    stand_in.write_text('#!/bin/sh\nfor a; do case "$a" in --archive=*) printf dumped > "${a#--archive=}";; esac; done\n')
    stand_in.chmod(0o755)
    result = subprocess.run(["bash", "-c", scripts()["backup.sh"]], env=backup_script_env(tmp_path, 3, bin_dir),
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    left = sorted(p.name for p in backups.iterdir())
    assert old.name not in left and recent.name in left
    (new,) = [name for name in left if name != recent.name]
    assert re.fullmatch(r"\d{8}T\d{6}Z\.archive\.gz", new) and (backups / new).read_text() == "dumped"
    # A dump that fails leaves no finished name behind.
    stand_in.write_text("#!/bin/sh\nexit 1\n")
    failed = subprocess.run(["bash", "-c", scripts()["backup.sh"]], env=backup_script_env(tmp_path, 3, bin_dir),
                            capture_output=True, text=True)
    assert failed.returncode != 0 and sorted(p.name for p in backups.iterdir() if p.suffix == ".gz") == left


@pytest.mark.skipif(shutil.which("bash") is None, reason="the scripts are bash")
def test_the_scripts_are_valid_bash():
    for name in ("start.sh", "backup.sh"):
        subprocess.run(["bash", "-n", "-c", scripts()[name]], check=True)
