"""An import as a job: its record in ``import_jobs``, kept up to date while it runs.

The command line and the admin's Import page both run imports through
`run`, so both hold the site's one import slot (`cms.store.imports.ImportJobs`)
and leave the same report behind. The Import page starts `in_background`:
the run goes on in the web process after the upload's request has been
answered, and anyone with the page open watches the job's record.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Callable

from cms.importers import ImportFailed, ImportRun, MediaFiles, Report, source_for
from cms.store.imports import ImportJobs

log = logging.getLogger(__name__)

_running: set[asyncio.Task] = set()  # background imports of this process (a task needs a reference)


async def run(db, site: dict, kind: str, path: str, run_by: str, job: dict | None = None, media: str | None = None,
              max_image_bytes: int = 20 << 20, progress: Callable[[str, int, int, dict], Any] | None = None) -> Report:
    """Import the export at ``path`` into ``site`` as ``run_by``; `ImportFailed` when the file cannot be
    imported at all (the job then says why). ``job``: one `ImportJobs.start` made already."""
    jobs = ImportJobs(db, site["_id"])
    if job is None:
        job = await jobs.start(kind, os.path.basename(path), run_by)

    async def tell(phase: str, done: int, total: int, counts: dict) -> None:
        await jobs.progress(job["_id"], phase, done, total, counts)
        if progress is not None:
            progress(phase, done, total, counts)

    files = None
    try:
        files = MediaFiles(media, max_image_bytes) if media else None
        report = await ImportRun(db, site, source_for(kind, path), run_by, files, tell, max_image_bytes).run()
    except ImportFailed as error:
        await jobs.finish(job["_id"], "failed", None, str(error))
        raise
    except BaseException as error:
        log.exception("import job %s of site %s stopped", job["_id"], site.get("name"))
        await asyncio.shield(jobs.finish(job["_id"], "failed", None, "the import stopped: %s" % (
            type(error).__name__ if not str(error) else error)))
        raise
    finally:
        if files is not None:
            files.close()
    await jobs.finish(job["_id"], "done", report.as_dict())
    log.info("site %s: import %s done: %s", site.get("name"), job["_id"], report.counts)
    return report


def in_background(db, site: dict, kind: str, path: str, run_by: str, job: dict, max_image_bytes: int,
                  media: str | None = None) -> asyncio.Task:
    """Run the import after this request; the uploaded files (``path``, ``media``) are removed when it ends."""

    async def go() -> None:
        try:
            await run(db, site, kind, path, run_by, job=job, media=media, max_image_bytes=max_image_bytes)
        except ImportFailed as error:
            log.info("site %s: import %s refused: %s", site.get("name"), job["_id"], error)
        except Exception:
            pass  # logged, and the job says so (`run`)
        finally:
            for uploaded in (path, media):
                if uploaded:
                    try:
                        os.unlink(uploaded)
                    except FileNotFoundError:
                        pass

    task = asyncio.ensure_future(go())
    _running.add(task)
    task.add_done_callback(_running.discard)
    return task


async def wait_all() -> None:
    """Until the background imports of this process end (tests; a stopping process)."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)
