"""Follows running batch jobs while the studio is open, F6 shown or not, and says when one ends.

A widget with nothing to draw, so the timer and the worker belong to what uses them. Each look runs
in a thread with its own event loop and SDK client (core.batches.BatchAccess): typing never waits.
Soon after a job starts it looks every 2 s, backing off to a minute (the API reports progress only
when a batch ends); with no job running, a cheap look at the store every 15 s.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget

if TYPE_CHECKING:  # the store's batch tables are read after the first frame
    from studio.core.batch_store import BatchJob
    from studio.core.session import Session

POLL_START, POLL_MAX, POLL_IDLE = 2.0, 60.0, 15.0


class BatchFollower(Widget):
    DEFAULT_CSS = "BatchFollower { display: none; }"

    class Ended(Message):
        """A job ended and its results were fetched."""

        def __init__(self, job: BatchJob) -> None:
            super().__init__()
            self.job = job

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self._delay = POLL_IDLE
        self._timer: Timer | None = None

    def soon(self) -> None:
        """A job may have just started (or the engine just loaded): look in a moment."""
        self._delay = POLL_START
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(POLL_START, self._look)

    @work(thread=True, exclusive=True, group="batch-follow")
    def _look(self) -> None:
        access = self.session.batch_access()
        ended: list[BatchJob] = []
        running = False
        if access is not None:
            try:
                ended, running = asyncio.run(access.poll())
            except Exception as exc:  # offline for now: the jobs are kept, and asked about later
                self.log.warning(f"batch follow failed: {type(exc).__name__}")
                running = True
        self.app.call_from_thread(self._looked, ended, running)

    def _looked(self, ended: list[BatchJob], running: bool) -> None:
        for job in ended:
            self.post_message(self.Ended(job))
        self._delay = min(self._delay * 1.5, POLL_MAX) if running else POLL_IDLE
        if self.is_attached and self.app.is_running:
            self._timer = self.set_timer(self._delay, self._look)
