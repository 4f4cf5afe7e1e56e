"""Widgets that take their new size from a layout pass without asking for another one.

A layout pass gives each widget its size and its virtual (scrollable) size. Textual sets the virtual
size through a reactive that asks for a layout pass of its own: so every pass that grew a streaming
reply (the reply's text, its message, the chat scrolled to its end) was followed, a frame later, by
a second pass that changed nothing and painted the whole chat column again. Measured while a reply
streams at about 1,000 tokens a second (benchmarks/key_echo.py): 158 layout frames -> 85, and a
key typed then waited for half as many of them.

Textual's own scroll path gives new sizes the same way (`layout=False`). A scrollbar that has to
appear or go still asks for its pass (its own reactive), and the scrollbar's new thumb is painted
in the next frame, as before.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget


class LaidOutOnce(Widget):
    """Mixed in after the widget class, `class ChatView(VerticalScroll, LaidOutOnce)`: Textual's CSS
    follows the first base class only, and the widget class's default styles must stay."""

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        return super()._size_updated(size, virtual_size, container_size, layout=False)
