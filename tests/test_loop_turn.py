"""A turn of the event loop between two stretches of work: what fell due meanwhile runs first."""

from __future__ import annotations

import asyncio
import time

from studio.core.loop_turn import let_the_loop_run


async def test_a_timer_that_fell_due_runs_before_the_work_goes_on() -> None:
    seen: list[str] = []
    asyncio.get_running_loop().call_later(0, seen.append, "repaint")
    await let_the_loop_run()
    seen.append("next stretch")
    assert seen == ["repaint", "next stretch"]


async def test_a_task_woken_by_its_timer_runs_before_the_work_goes_on() -> None:
    """What a key's handling or a lag probe is: a task resumed by a timer, one loop turn after
    the timer fires. asyncio.sleep(0) would let the second stretch of work run before it."""
    seen: list[str] = []

    async def sleeper() -> None:
        await asyncio.sleep(0.001)
        seen.append("woken")

    task = asyncio.create_task(sleeper())
    await asyncio.sleep(0)  # it is asleep on its timer now
    time.sleep(0.005)  # a first stretch of work holding the loop past that timer
    await let_the_loop_run()
    seen.append("next stretch")
    await task
    assert seen == ["woken", "next stretch"]
