"""The backup CronJob's command, run as the CronJob runs it, restored into an empty
database as docs/operating.md says (issue 17, finding 3).

There is no ``mongodump`` on this machine, so the rehearsal is of the app's own
``python -m cms backup --keep N /backups`` (the CronJob ``cms-backup`` in
openshift/template.yaml) and ``python -m cms restore``; the mongodump CronJob's
script is rehearsed with a stand-in in tests/deploy/test_replica_set.py.
"""

from __future__ import annotations

import time

from tests.cli.test_backup import everything, fill, other  # noqa: F401 (a fixture)
from tests.cli.test_commands import cms

from .support import uri_with_database, wait_for
from .test_manifests import app_objects, mongodb_objects, one, pod_environment, secrets_objects


async def test_the_backup_cronjobs_command_restores_into_an_empty_database(db, db_name, mongo_uri, other, tmp_path):  # noqa: F811
    await fill(db)
    objects = app_objects(BACKUP_KEEP="2") + mongodb_objects() + secrets_objects()
    job = one(objects, "CronJob", "cms-backup")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (backup,) = job["containers"]
    (mount,) = [m for m in backup["volumeMounts"] if m["name"] == "backups"]
    volume = tmp_path / "backups"  # the CronJob's volume
    command = [str(volume) if arg == mount["mountPath"] else arg for arg in backup["command"]]
    assert command[:3] == ["python", "-m", "cms"]
    # The Job's environment, the external-URI way (the embedded server is no replica set).
    env = pod_environment(objects, {}, backup)
    env.update(MONGODB_URI=uri_with_database(mongo_uri, db_name), CMS_DATA_DIR=str(tmp_path / "job-data"))
    for _night in range(3):  # three nights: the oldest is removed, BACKUP_KEEP stay
        code, out, err = await cms(env, *command[3:])
        assert code == 0, err
        # Backups are named by the second they start, some time after the command
        # does: the next night starts after the second this one ended in.
        ended = int(time.time())
        wait_for(lambda ended=ended: int(time.time()) > ended, 2, "the next second")
    kept = sorted(volume.iterdir())
    assert len(kept) == 2
    # docs/operating.md, Restore: `python -m cms restore --force /backups/<time>` into the database.
    target, target_env = other
    code, out, err = await cms({**env, **target_env, "CMS_DATA_DIR": str(tmp_path / "restore-data")},
                               "restore", str(kept[-1]))
    assert code == 0, err
    assert await everything(target) == await everything(db)
