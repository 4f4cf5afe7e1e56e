"""A compositor that paints only the widgets a partial update touches.

Textual's compositor picks the widgets to render for an update by whether the update's region
overlaps each widget's *clip* (the area of its container), not the widget itself. Every child of
the workspace has the whole workspace as its clip, and the header, footer and screen have the whole
screen: so each frame of a streaming reply, confined to the chat column, also rendered the draft,
the sidebar, the header and the footer, lines that `ChopsUpdate` then threw away because they lie
outside the updated spans. Measured while a reply streams (benchmarks/key_echo.py): 13 widgets and
about 330 lines a frame, where the chat needs 6 widgets and 170 lines.

Here a widget is rendered when the update's region overlaps what is visible of it (its region
within its clip). A widget outside that region has no cell inside it: painting is front to back,
the first strip wins each cell, and cells outside the updated spans are never written, so what
reaches the terminal is the same.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual._compositor import Compositor
from textual.geometry import Region
from textual.strip import Strip


class CroppedCompositor(Compositor):
    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        if not crop:
            return super()._get_renders(crop)
        return self._renders_within(crop)

    def _renders_within(self, crop: Region) -> Iterable[tuple[Region, Region, list[Strip]]]:
        overlaps = crop.overlaps
        for widget, (region, clip) in self.visible_widgets.items():
            x, y, width, height = region.intersection(clip)
            if width and height and overlaps(Region(x, y, width, height)):
                yield region, clip, widget.render_lines(Region(x - region.x, y - region.y, width, height))
