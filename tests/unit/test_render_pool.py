"""The render pool: a budget per render, killed workers replaced, memory capped, a bound on waiting."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from cms import render_pool
from cms.config import REPO_ROOT
from cms.render_pool import RenderBusy, RenderPool, RenderRefused, RenderTooSlow
from tests.waiting import LONG_BODY, until


@pytest.fixture
def small_pool():
    made: list[RenderPool] = []

    def make(**kwargs) -> RenderPool:
        made.append(RenderPool(**{"workers": 1, "budget": 300, **kwargs}))
        return made[-1]

    yield make
    for pool in made:
        pool.shutdown()


async def test_a_render_past_its_budget_is_stopped_and_its_worker_replaced(small_pool):
    pool = small_pool()
    # A worker's first render (its start and imports) may take a while on a busy
    # machine: only the long render runs under the short budget.
    assert "<em>x</em>" in (await pool.render("*x*")).html
    [before] = pool.worker_pids()
    pool.budget = 0.2
    with pytest.raises(RenderTooSlow, match="takes too long to render"):
        await pool.render(LONG_BODY)
    pool.budget = 300
    await until(lambda: pool.worker_pids() and before not in pool.worker_pids(), what="a new worker")
    assert "<em>y</em>" in (await pool.render("*y*")).html
    assert pool.waiting == 0


async def test_a_worker_killed_from_outside_is_replaced(small_pool):
    pool = small_pool()
    await pool.render("warm up")
    [before] = pool.worker_pids()
    os.kill(before, signal.SIGKILL)
    await until(lambda: gone(before), what="the worker to die")
    assert "<strong>back</strong>" in (await pool.render("**back**")).html
    assert pool.worker_pids() and before not in pool.worker_pids()


def gone(pid: int) -> bool:
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")  # a zombie is dead too
    except FileNotFoundError:
        return True


def peak_memory(pid: int) -> int:
    with open("/proc/%d/status" % pid) as status:
        line = next(line for line in status if line.startswith("VmPeak:"))
    return int(line.split()[1]) * 1024


async def test_a_worker_cannot_take_more_memory_than_its_cap(small_pool):
    free = small_pool(memory=0)
    await free.render("warm up")
    started = peak_memory(free.worker_pids()[0])
    await free.render(LONG_BODY)
    needs = peak_memory(free.worker_pids()[0]) - started
    assert needs > 8 * 1024 * 1024  # the long body needs some memory beyond a fresh worker's
    capped = small_pool(memory=started + needs // 4)
    with pytest.raises(RenderRefused, match="too much memory"):
        await capped.render(LONG_BODY)
    assert "<em>small</em>" in (await capped.render("*small*")).html  # the worker lives on


async def test_renders_beyond_the_waiting_bound_are_refused_at_once(small_pool):
    pool = small_pool(max_waiting=1)
    first = asyncio.ensure_future(pool.render(LONG_BODY))
    await until(lambda: pool.waiting == 1, what="the first render to be scheduled")
    with pytest.raises(RenderBusy, match="busy"):
        await pool.render("*second*")
    assert "<em>ordinary</em>" in (await first).html
    assert "<em>third</em>" in (await pool.render("*third*")).html


def test_importing_the_app_makes_no_pool():
    """gunicorn imports the app before forking its workers: a pool made then would serve no one."""
    code = (
        "import multiprocessing, cms.app, cms.handlers.admin, cms.store.posts, cms.render_pool as p\n"
        "assert p._pool is None and not multiprocessing.active_children(), 'a pool at import time'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True, timeout=60)


async def test_one_pool_per_process_made_on_first_use():
    assert render_pool.pool() is render_pool.pool()
    assert (await render_pool.render("# Title")).html == '<h1 id="title">Title</h1>'


async def test_one_persons_renders_take_turns_so_others_get_the_second_worker(small_pool):
    """Without turns, ann's two renders would hold both workers and bob's would finish last."""
    pool = small_pool(workers=2)
    await asyncio.gather(pool.render("warm"), pool.render("up"))
    finished: list[str] = []

    async def render(name: str, owner: str) -> None:
        await pool.render(LONG_BODY, owner=("site", owner))
        finished.append(name)

    first = asyncio.ensure_future(render("ann 1", "ann"))
    await until(lambda: pool.waiting == 1, what="ann's first render to be scheduled")
    second = asyncio.ensure_future(render("ann 2", "ann"))
    await until(lambda: pool.waiting == 2, what="ann's second render to wait")
    await render("bob", "bob")
    await asyncio.gather(first, second)
    assert finished.index("bob") < finished.index("ann 2")


async def test_a_person_with_too_many_renders_waiting_is_refused_at_once(small_pool):
    pool = small_pool()
    waiting = [asyncio.ensure_future(pool.render(LONG_BODY, owner="ann")) for _ in range(render_pool.PER_OWNER)]
    await until(lambda: pool.waiting == render_pool.PER_OWNER, what="ann's renders to be scheduled")
    with pytest.raises(RenderBusy, match="your other texts are still rendering"):
        await pool.render("*more*", owner="ann")
    assert "<em>bob</em>" in (await pool.render("*bob*", owner="bob")).html
    await asyncio.gather(*waiting)
    assert "<em>again</em>" in (await pool.render("*again*", owner="ann")).html
