"""The last line of defence: no control character reaches the terminal, whichever widget drew it.

Every widget shows outside text through `studio.core.visible`; this filter catches what slips by (a
widget or a library path nobody thought of). Control characters have no cell width, so removing them
keeps the layout.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from studio.core.visible import CONTROLS, without_controls


class NoControls(LineFilter):
    """Removes C0 (tab and newline aside), DEL and C1 characters from every rendered line."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        # One search over the joined text: the usual line has nothing to remove and costs one scan.
        if not CONTROLS.search("".join(segment.text for segment in segments)):
            return segments
        return [
            Segment(without_controls(text), style, control) if not control else Segment(text, style, control)
            for text, style, control in segments
        ]
