"""Background loops stop when asked: `woken` waits on an event with a timeout and
passes a cancel straight through; a stopping process never waits for ever on a task.

(`serve` once never stopped under load: its database monitor, cancelled inside
Python 3.11's ``asyncio.wait_for``, stayed "cancelling" for ever, and shutdown
awaited it.)"""

from __future__ import annotations

import asyncio
import logging

from cms.supervisor import _cancelled
from cms.wakeable import woken


async def test_woken_says_whether_the_event_came_or_the_time_ran_out():
    event = asyncio.Event()
    assert await woken(event, 0.01) is False
    asyncio.get_running_loop().call_soon(event.set)
    assert await woken(event, 10) is True


async def test_a_loop_waiting_on_its_event_is_cancelled_at_once_even_as_its_timeout_fires():
    event = asyncio.Event()

    async def loop_forever():
        while True:
            await woken(event, 0.001)  # its timeout fires all the time, as a cancel may come

    for _ in range(200):
        task = asyncio.ensure_future(loop_forever())
        await asyncio.sleep(0.001)
        await _cancelled(task, patience=10)
        assert task.cancelled()


async def test_a_task_that_will_not_stop_is_left_behind_after_the_patience(caplog):
    async def stubborn():
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass  # refuses the first cancel
        await asyncio.sleep(3600)  # a second one ends it

    task = asyncio.ensure_future(stubborn())
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, logger="cms.supervisor"):
        await _cancelled(task, patience=0.05)
    assert not task.done()
    assert "did not stop" in caplog.text
    task.cancel()
    await asyncio.wait({task}, timeout=5)
    assert task.cancelled()
