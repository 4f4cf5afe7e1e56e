"""Writes to the store on one thread of their own, in order, retried until they land.

The UI loop never waits on SQLite: a lock held by another program (a backup, a second studio)
would freeze typing. Writes run first-in first-out (a session row exists before its messages);
a write that fails for a reason that can pass (locked, busy, a full or unplugged disk) is retried
with backoff and never dropped, and keeping is never switched off. The writer is told once when
keeping stalls and once when it recovers, through `on_status` (called on the writer thread).
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

Job = Callable[[], None]
StatusCallback = Callable[[str | None], None]

FIRST_DELAY = 0.1  # seconds before the first retry; doubles up to MAX_DELAY
MAX_DELAY = 2.0
# Errors that are our bug, not the disk's: retrying cannot help, so the write is reported and skipped.
PERMANENT = (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)


@dataclass
class SessionRef:
    """A conversation's row, created by the writer when its first write runs: writes queued for
    it keep pointing at it even after the UI has started another conversation."""

    id: int | None = None


class Keeper:
    """A FIFO of store writes and the one thread that runs them."""

    def __init__(self, on_status: StatusCallback | None = None):
        self.on_status = on_status
        self.problem: str | None = None  # what is wrong right now, in plain words
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="studio-store", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> None:
        """Queue a write; it runs after every write queued before it."""
        if not self._closed:
            self._jobs.put(job)

    @property
    def pending(self) -> int:
        """Writes queued or running (approximate: for messages, not for logic)."""
        return self._jobs.unfinished_tasks

    def flush(self, timeout: float) -> bool:
        """Wait until every write queued so far has landed; False if `timeout` passed first."""
        done = threading.Event()
        self.submit(done.set)
        return done.wait(timeout)

    def close(self, timeout: float) -> bool:
        """Land what is queued (waiting at most `timeout`) and stop; False if writes remain."""
        landed = self.flush(timeout)
        self._closed = True
        self._jobs.put(None)
        return landed

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            self._land(job)
            self._jobs.task_done()

    def _land(self, job: Job) -> None:
        delay = FIRST_DELAY
        while True:
            try:
                job()
            except PERMANENT as exc:
                self._report(f"A change could not be kept ({type(exc).__name__}: {exc}).")
                return
            except (sqlite3.Error, OSError) as exc:
                self._report(
                    f"Conversations and costs are not being kept on disk right now "
                    f"({type(exc).__name__}: {exc}). Nothing is lost: studio keeps "
                    "trying, and will say when they are kept again."
                )
                time.sleep(delay)
                delay = min(delay * 2, MAX_DELAY)
                continue
            if self.problem is not None:
                self._report(None)
            return

    def _report(self, problem: str | None) -> None:
        """Tell the writer when keeping stalls and when it recovers; not on every retry."""
        if (problem is None) == (self.problem is None):
            self.problem = problem
            return
        self.problem = problem
        if self.on_status is not None:
            self.on_status(problem)
