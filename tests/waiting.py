"""What the render tests share: a wait on a condition with a deadline, and a
long body of ordinary Markdown whose render takes half a second or more."""

from __future__ import annotations

import asyncio
import time
from typing import Callable

# Ordinary text (no construct the guard defuses) that takes a worker half a
# second or more: long enough to ask something else meanwhile, or to pass a
# short budget.
LONG_BODY = "Some *ordinary* text with a [link](https://example.org/) and `code`.\n\n" * 2500


async def until(condition: Callable[[], object], seconds: float = 20.0, what: str = "the condition") -> None:
    """Wait until ``condition()`` is true, failing after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s" % what)
        await asyncio.sleep(0.005)
