"""The chat's vertical scrollbar: Textual's, each kind of row drawn once.

While a reply streams, the chat's thumb moves with each layout pass, and Textual drew the whole bar
again: rich renders it, then every row goes through the widget's styles (34 rows, 2-3 ms of each
such frame, and as much in the frame after). A bar has five kinds of row at most (the track above
and below the thumb, the thumb, its two ends drawn in eighths of a cell): here the first row of each
kind goes through Textual's styles, given the bar's segment for that row directly, and the other
rows of that kind repeat it. What it draws is Textual's own (a test compares the two).
"""

from __future__ import annotations

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip


class QuickScrollBar(ScrollBar):
    _row: Segment | None = None  # the bar's segment for the row being drawn

    def render_lines(self, crop: Region) -> list[Strip]:
        bar = self.render()
        if not self.vertical or not isinstance(bar, ScrollBarRender) or not isinstance(bar.style, Style):
            return super().render_lines(crop)
        rows = bar.render_bar(  # as ScrollBarRender.__rich_console__ does, at the widget's size
            size=self.size.height,
            virtual_size=bar.virtual_size,
            window_size=bar.window_size,
            position=bar.position,
            thickness=self.size.width,
            vertical=True,
            back_color=bar.style.bgcolor or Color.parse("#555555"),
            bar_color=bar.style.color or Color.parse("bright_magenta"),
        ).segments
        drawn: dict[Segment, Strip] = {}
        lines: list[Strip] = []
        for y in crop.line_range:
            row = rows[y] if y < len(rows) else None
            line = drawn.get(row) if row is not None else None
            if line is None:
                self._row = row
                try:
                    [line] = super().render_lines(Region(crop.x, y, crop.width, 1))
                finally:
                    self._row = None
                if row is not None:
                    drawn[row] = line
            lines.append(line)
        return lines

    def render_line(self, y: int) -> Strip:
        """The row's content for Textual's styles: the bar's segment on the widget's style, as
        rich's rendering of the whole bar gives it."""
        if self._row is None:
            return super().render_line(y)
        text, style, _ = self._row
        return Strip([Segment(text, self.rich_style + style)], self._row.cell_length)
