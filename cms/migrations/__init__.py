"""Upgrades of the data model, run in order when a process opens the database.

The database records the version of the data model its documents are in
(`cms.store.platform.Platform.schema_version`; 0 for data from before
versions were recorded). Each module here named ``mNNN_<what>.py`` is the
step to version NNN: its docstring says what changes and why, and its
``async def up(db)`` makes the change. At start `migrate` runs the steps past
the recorded version, in order, each logged, recording the version after
each step; a database newer than this code is refused, since this code
would misread it.

Every step must be idempotent: two processes may start at once, and a crash
between a step and the version it records means the step runs again.
A step reads and writes through the stores (`cms.store`) where it can, so
the tenancy rules hold in upgrades too.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import pkgutil
import re
from typing import Awaitable, Callable

import pymongo.errors

from cms.datadir import RESTORE_HINT, DataDirError
from cms.store.platform import Platform

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Step:
    version: int
    name: str
    about: str  # the first line of the module's docstring
    up: Callable[..., Awaitable[None]]


def steps() -> list[Step]:
    """Every step in this package, in version order."""
    found = []
    for module in pkgutil.iter_modules(__path__):
        match = re.fullmatch(r"m(\d{3})_\w+", module.name)
        if match:
            code = importlib.import_module("%s.%s" % (__name__, module.name))
            about = (code.__doc__ or module.name).strip().splitlines()[0]
            found.append(Step(int(match.group(1)), module.name, about, code.up))
    found.sort(key=lambda step: step.version)
    assert [s.version for s in found] == list(range(1, len(found) + 1)), "steps must be numbered 1, 2, 3..."
    return found


LATEST = len(steps())


class SchemaTooNew(DataDirError):
    """The database was written by a newer version of the code."""


class MigrationFailed(DataDirError):
    """A step failed; the versions before it are kept, the step runs again next time."""


async def migrate(db) -> list[Step]:
    """Bring the database to `LATEST`; return the steps that ran."""
    platform = Platform(db)
    current = await platform.schema_version()
    if current > LATEST:
        raise SchemaTooNew(
            "the database %s is at schema version %d, newer than this code knows (%d): run the newer "
            "version of the code, or %s" % (db.name, current, LATEST, RESTORE_HINT))
    if current == LATEST:
        return []
    if current == 0 and not await platform.has_content():
        await platform.set_schema_version(LATEST)  # a new platform starts at the current model
        return []
    ran = []
    for step in steps():
        if step.version <= current:
            continue
        log.info("migrating database %s to schema version %d: %s", db.name, step.version, step.about)
        try:
            await step.up(db)
        except pymongo.errors.ConnectionFailure:
            raise  # the database went away: whoever called retries (not the step's fault)
        except Exception as e:
            log.exception("migration %s failed", step.name)
            raise MigrationFailed(
                "the upgrade of database %s to schema version %d (%s) failed: %s; it is still at version %d, "
                "and the step runs again at the next start" % (db.name, step.version, step.name, e, step.version - 1)
            ) from None
        await platform.set_schema_version(step.version)
        ran.append(step)
    log.info("database %s is at schema version %d", db.name, LATEST)
    return ran
