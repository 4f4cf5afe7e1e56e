"""Letting the event loop take a turn between two stretches of work done on it.

`await asyncio.sleep(0)` does not: it puts the task back at the end of the callbacks ready now,
ahead of the timers that fall due meanwhile (a repaint, the next step of a key's handling, a
lag probe), so the work before and after it is one stall to them (traced: a 900 KB save_draft's
disk work and the editor taking its text, 20 ms each, were one stall of 40). A timer, however
short, is queued behind those: what is due or ready runs first.
"""

from __future__ import annotations

import asyncio

TURN = 0.001  # seconds: a few turns of a busy loop, a millisecond of an idle one


async def let_the_loop_run() -> None:
    """Return once what was due or ready on the loop has had its turn."""
    await asyncio.sleep(TURN)
