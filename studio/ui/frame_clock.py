"""The writing screen's frame clock: a change is painted at once if the last frame was painted
SPACING ago or more, else when that time is up.

Textual's screen paints on a 60 Hz interval timer, paused while nothing changes. Resumed after a
pause, that timer skips to the grid point after the next one, so a change waits 17 to 33 ms. While
a reply streams its updates keep the timer in that state, and a key typed in the message box took
27-33 ms to show (measured: benchmarks/key_echo.py), twice the frame it should take. Frames
still come at most 60 times a second: twice that made a fast 2 MB reply slower (more frames, less
of the loop for the stream) for no clear gain in typing.

Two changes are painted at once, whatever the spacing (`paint_at_once`): a typed key (keys come a
few times a second: few frames more), and a reply's last words. Without it, a key handled 2 ms after
a streaming frame waited the other 15 for the next one, and so did the end of a reply.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

from textual.screen import UPDATE_PERIOD, Screen
from textual.widget import Widget

from studio.ui.cropped_compositor import CroppedCompositor

ResultType = TypeVar("ResultType")
SPACING = UPDATE_PERIOD  # seconds between frames at the least


class FrameClock:
    """What the screen asks of its update timer (pause, resume), without the grid."""

    def __init__(self, screen: Screen[Any]) -> None:
        self._screen = screen
        self._due: asyncio.TimerHandle | None = None
        self._last = float("-inf")  # when the last frame was painted (the loop's clock)
        self._hurried = False  # the next frame is painted at once

    def resume(self) -> None:
        """Something changed: paint now, or SPACING after the last frame."""
        if self._due is None:
            loop = asyncio.get_running_loop()
            wait = 0.0 if self._hurried else max(0.0, self._last + SPACING - loop.time())
            self._due = loop.call_later(wait, self._tick)

    def hurry(self) -> None:
        """The frame that shows what just changed does not wait for the spacing."""
        self._hurried = True
        if self._due is not None:
            self._due.cancel()
            self._due = None
            self.resume()

    def pause(self) -> None:
        if self._due is not None:
            self._due.cancel()
            self._due = None

    def _tick(self) -> None:
        self._due, self._hurried = None, False
        self._last = asyncio.get_running_loop().time()
        try:
            self._screen._on_timer_update()
        except Exception as error:  # as Textual's timer does: the app reports it and exits
            self._screen.app._handle_exception(error)


class FramedScreen(Screen[ResultType]):
    """A screen painted by a FrameClock instead of Textual's update timer, each partial update
    rendering only the widgets it touches (cropped_compositor.py)."""

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name, id, classes)
        self._compositor = CroppedCompositor()

    @property
    def _update_timer(self) -> FrameClock:  # type: ignore[override]
        clock: FrameClock | None = self.__dict__.get("_frame_clock")
        if clock is None:
            clock = self.__dict__["_frame_clock"] = FrameClock(self)
        return clock

    def on_unmount(self) -> None:  # Textual calls each class's handler: subclasses need not
        self._update_timer.pause()


def paint_at_once(widget: Widget) -> None:
    """What `widget` just changed (a typed key, a reply's end) is painted at once on a FramedScreen."""
    screen = widget.screen
    if isinstance(screen, FramedScreen):
        screen._update_timer.hurry()
