"""Keeps the sidebar's "Next message" figures current while the writer types.

The offline estimate (tiktoken, in a thread, calibrated by what the API reported for earlier turns)
follows each short pause; the exact count (`messages.count_tokens`) follows a longer one. Neither
blocks typing: each runs in a worker that a new keystroke replaces.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from studio.core.tokens import ModelCalibrators, TokenizerUnavailable, estimate_request
from studio.core.usage import TokenUsage
from studio.ui.sidebar import NextRequest

if TYPE_CHECKING:
    from textual.timer import Timer

    from studio.ui.app import StudioApp
    from studio.ui.prompt import PromptArea

ESTIMATE_DELAY = 0.3  # seconds of quiet before estimating
EXACT_DELAY = 1.5     # seconds of quiet before asking the API


class NextRequestWatcher:
    def __init__(self, studio: StudioApp, prompt: PromptArea) -> None:
        self.studio = studio
        self.prompt = prompt
        self.calibrators = ModelCalibrators()
        self._timers: list[Timer] = []
        self._raw: int | None = None
        self._exact: int | None = None
        self._sent_raw: int | None = None
        self._sent_model = ""
        self._tokenizer_failed = False

    def changed(self) -> None:
        """Something that goes into the next request changed: the text, the draft, the model."""
        if not self.studio.is_running:  # closing: nothing left to estimate for
            return
        for timer in self._timers:
            timer.stop()
        if self._exact is not None:  # that count was for the request as it stood: no longer true
            self._exact = None
            self.show()
        self._timers = [
            self.studio.set_timer(ESTIMATE_DELAY, self._estimate_later),
            self.studio.set_timer(EXACT_DELAY, self._exact_later),
        ]

    def _estimate_later(self) -> None:
        self.studio.run_worker(self._estimate(), group="estimate", exclusive=True)

    def _exact_later(self) -> None:
        if self.studio.settings.api_key:
            self.studio.run_worker(self._count(), group="count", exclusive=True,
                                   exit_on_error=False)

    async def _raw_estimate(self, typed: str) -> int | None:
        engine = self.studio.engine
        if engine is None:
            return None
        params = engine.count_params(self.studio.conversation, self.studio.model, typed)
        try:
            return await asyncio.to_thread(estimate_request, params)
        except TokenizerUnavailable as exc:  # a broken install: estimates are a nicety, say so once
            if not self._tokenizer_failed:
                self._tokenizer_failed = True
                self.studio.notify(f"No token estimates: {exc}", severity="warning")
            return None

    async def _estimate(self) -> None:
        self._raw = await self._raw_estimate(self.prompt.text)
        self.show()

    async def _count(self) -> None:
        self._exact = await self.exact_now(self.prompt.text)
        self.show()

    async def estimate_now(self, typed: str) -> int:
        """Calibrated estimate of the request `typed` would make; remembered for calibration."""
        await self.studio.engine_ready.wait()
        raw = await self._raw_estimate(typed) or 0
        self._sent_raw, self._sent_model = raw, self.studio.model
        return self.calibrators.for_model(self.studio.model).calibrated(raw)

    async def exact_now(self, typed: str) -> int | None:
        """The API's own count; None when it cannot be had (offline, rate-limited, no key)."""
        engine = self.studio.engine
        if engine is None or not self.studio.settings.api_key:
            return None
        try:
            return await engine.count_tokens(self.studio.conversation, self.studio.model, typed)
        except Exception:  # the estimate stands in; counting is a nicety, not worth a notice
            return None

    def sent(self) -> None:
        for timer in self._timers:
            timer.stop()
        self._raw = self._exact = None
        self.show()

    def reported(self, usage: TokenUsage) -> None:
        """The API's input figure for the request we estimated at send: learn the ratio."""
        if self._sent_raw:
            self.calibrators.observe(self._sent_model, self._sent_raw,
                                     usage.input + usage.cache_read + usage.cache_write)
            self._sent_raw = None

    def show(self) -> None:
        if not self.studio.is_running:  # a late estimate while closing: the sidebar may be gone
            return
        info = self.studio.catalog.info(self.studio.model)
        if self._raw is None:
            self.studio.sidebar.show_next(NextRequest(limit=info.context_window))
            return
        calibrator = self.calibrators.for_model(self.studio.model)
        estimate = calibrator.calibrated(self._raw)
        size = self._exact or estimate
        usd = size * info.price.input / 1_000_000 if info.price else None
        self.studio.sidebar.show_next(NextRequest(estimate, calibrator.error, self._exact, usd,
                                                  info.context_window))
