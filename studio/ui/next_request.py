"""Keeps the sidebar's "Next message" figures current while the writer types.

The session estimates (offline, in a thread, calibrated by earlier turns) after each short pause and
asks the API for the exact count after a longer one. Neither blocks typing: each runs in a worker of
the owning screen that a new keystroke replaces, and the timers are the screen's too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.timer import Timer
from textual.widget import Widget

from studio.core.session import Session
from studio.core.sizing import Estimate, NextRequest
from studio.core.tokens import TokenizerUnavailable
from studio.ui.collecting import give_back

ESTIMATE_DELAY = 0.3  # seconds of quiet before estimating
EXACT_DELAY = 1.5  # seconds of quiet before asking the API


class NextRequestWatcher:
    def __init__(
        self, owner: Widget, session: Session, typed: Callable[[], str], show: Callable[[NextRequest], None]
    ) -> None:
        self.owner = owner
        self.session = session
        self.typed = typed
        self.show_next = show
        self._timers: list[Timer] = []
        self._estimate: Estimate | None = None
        self._exact: int | None = None
        self._tokenizer_failed = False

    def changed(self) -> None:
        """Something that goes into the next request changed: the text, the draft, the model."""
        if not (self.owner.is_attached and self.owner.app.is_running):  # closing: nothing to do
            return
        for timer in self._timers:
            timer.stop()
        if self._exact is not None:  # that count was for the request as it stood: no longer true
            self._exact = None
            self.show()
        self._timers = [
            self.owner.set_timer(ESTIMATE_DELAY, self._estimate_later),
            self.owner.set_timer(EXACT_DELAY, self._exact_later),
        ]

    def sent(self) -> None:
        """The message left the box: the old figures are void, and the next request (this
        message, an empty box) is estimated afresh, whether or not the box's own change
        arrived before this."""
        self._estimate = self._exact = None
        self.show()
        self.changed()

    def show(self) -> None:
        if self.owner.is_attached and self.owner.app.is_running:  # late, while closing: no sidebar
            self.show_next(self.session.next_request(self._estimate, self._exact))

    def _estimate_later(self) -> None:
        self.owner.run_worker(self._estimate_now(), group="estimate", exclusive=True)

    def _exact_later(self) -> None:
        if self.session.settings.api_key:
            self.owner.run_worker(self._count(), group="count", exclusive=True, exit_on_error=False)

    async def _estimate_now(self) -> None:
        try:
            self._estimate = await self.session.estimate(self.typed())
        except TokenizerUnavailable as exc:  # a broken install: estimates are a nicety, say so once
            self._estimate = None
            if not self._tokenizer_failed:
                self._tokenizer_failed = True
                self.owner.notify(f"No token estimates: {exc}", severity="warning")
        self.show()
        # A reopened conversation sized by the API lets the tokenizer go (25 MB): its pages go back.
        await asyncio.to_thread(give_back)

    async def _count(self) -> None:
        self._exact = await self.session.exact_count(self.typed())
        self.show()
        # The count's body (the whole conversation: 11 MB at 1,000 replies), and the request of a
        # turn that ended before it, are freed: their pages go back (collecting.py says why).
        await asyncio.to_thread(give_back)
