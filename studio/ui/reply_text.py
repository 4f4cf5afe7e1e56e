"""A reply's text, streaming or finished: one widget drawing lines rendered ahead (Textual's Line API).

It replaces Textual's Markdown widget fed through MarkdownStream, and the rich-Markdown Statics that
finished stretches used to settle into. Profiled on a 70 KB reply sent fast, two thirds of the time
went to layout passes over the Markdown widget's tree (a widget per block, mounted and laid out again
and again) and a sixth to mounting those widgets: the screen, not the stream, set the pace. Here:

- `write` only buffers; an update at most about 30 times a second (less often while rendering the
  live tail is costly) applies what came in, so the event loop stays free for keys;
- once a top-level Markdown block is followed by another it is final: it is rendered once with rich's
  Markdown (the look finished replies always had: the theme's colours via `settled_styles`) and its
  lines are kept as Strips;
- only the live tail (the unfinished last block and what is not settled yet) is rendered again;
- `render_line` hands the compositor the kept lines it asks for, which are only those on screen.

Rendered in stretches, the lines are the same as rich's rendering of the whole text: a stretch ends
where a top-level block ends, and between stretches goes the blank line rich puts between blocks
(none after a rule, as rich does). A new width or theme renders the kept stretches again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from rich.segment import Segment
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget

from studio.core.visible import visible

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token
    from textual.geometry import Size

FRAME = 1 / 30  # seconds between updates at the most: the screen repaints at 60 Hz at best
SETTLE_CHARS = 1000  # characters of live tail before its finished blocks are settled
BUSY_SHARE = 3  # wait at least this many times an update's own cost before the next one


@cache
def _parser() -> MarkdownIt:
    """A parser configured as rich's Markdown configures its own, so blocks end where rich's do."""
    from markdown_it import MarkdownIt

    return MarkdownIt().enable("strikethrough").enable("table")


# Blocks rich draws with a blank line of their own above them (and none is added after a rule).
OWN_GAP = {"bullet_list_open", "ordered_list_open", "blockquote_open", "table_open"}


def top_blocks(text: str) -> list[Token]:
    """The opening tokens of `text`'s top-level blocks (paragraph_open, fence, hr, ...)."""
    return [t for t in _parser().parse(text) if t.level == 0 and t.nesting != -1 and t.map]


def gap_between(before: str, after: str) -> bool:
    """Whether rich puts a blank line between two top-level blocks of these types."""
    return before != "hr" and after not in OWN_GAP


def finished_blocks(text: str) -> int | None:
    """Where the finished top-level blocks of `text` end: the start of its last block, which may
    still grow (or change: a paragraph becomes a table); None while there is only one block."""
    blocks = top_blocks(text)
    if len(blocks) < 2:
        return None
    offset = 0
    for _ in range(blocks[-1].map[0]):  # type: ignore[index]
        offset = text.index("\n", offset) + 1
    return offset


@dataclass(frozen=True)
class Stretch:
    """Settled Markdown, and the types of its first and last top-level blocks."""

    text: str
    first: str
    last: str

    @classmethod
    def of(cls, text: str) -> Stretch | None:
        blocks = top_blocks(text)
        return cls(text, blocks[0].type, blocks[-1].type) if blocks else None


class ReplyText(Widget):
    """A stretch of a reply's text, streamed in with `write` and ended with `settle`."""

    DEFAULT_CSS = "ReplyText { height: auto; }"

    def __init__(self, text: str = "") -> None:
        """`text`: a finished stretch (a reopened reply), settled at once."""
        super().__init__()
        self._pending: list[str] = []
        self._chunks: list[Stretch] = []  # settled Markdown
        self._tail = ""  # the live text, from the start of a top-level block
        self._width = 0  # the width the lines below were rendered at (0: not yet)
        self._lines: list[Strip] = []  # the settled stretches' lines
        self._rendered = 0  # how many of the stretches are in _lines
        self._tail_lines: list[Strip] = []
        self._tail_stale = False
        self._update_due = 0.0
        self._updating = False
        if text and (stretch := Stretch.of(visible(text))):
            self._chunks.append(stretch)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, *_: object) -> None:
        self._invalidate()

    # -- text in ------------------------------------------------------------------------------

    def write(self, text: str) -> None:
        """More of the stretch (already made visible); shown at the next update."""
        self._pending.append(text)
        if not self._updating:
            self._updating = True
            self.set_timer(max(0.001, self._update_due - time.monotonic()), self._update)

    def settle(self) -> None:
        """The stretch is complete: render what is left once, as settled text, now."""
        self._take_pending()
        if stretch := Stretch.of(self._tail):
            self._chunks.append(stretch)
        self._tail, self._tail_lines, self._tail_stale = "", [], False
        self._show()

    def _update(self) -> None:
        self._updating = False
        started = time.monotonic()
        if self._take_pending():
            self._settle_finished_blocks()
            self._show()
        self._update_due = time.monotonic() + max(FRAME, BUSY_SHARE * (time.monotonic() - started))

    def _take_pending(self) -> bool:
        if not self._pending:
            return False
        self._tail += "".join(self._pending)
        self._pending.clear()
        self._tail_stale = True
        return True

    def _settle_finished_blocks(self) -> None:
        if len(self._tail) < SETTLE_CHARS or not (end := finished_blocks(self._tail)):
            return
        if stretch := Stretch.of(self._tail[:end]):
            self._chunks.append(stretch)
        self._tail = self._tail[end:]

    # -- lines out ----------------------------------------------------------------------------

    @property
    def source(self) -> str:
        """The stretch's Markdown so far, shown or not."""
        return "".join(stretch.text for stretch in self._chunks) + self._tail + "".join(self._pending)

    def _show(self) -> None:
        """Render what changed (if the width is known) and repaint; lay out again if it grew."""
        before = len(self._lines) + len(self._tail_lines)
        self._render_lines()
        if not self._width or len(self._lines) + len(self._tail_lines) != before:
            self.refresh(layout=True)
        else:
            self.refresh()

    def _invalidate(self) -> None:
        self._width, self._lines, self._rendered, self._tail_stale = 0, [], 0, True
        self.refresh(layout=True)

    def _render_lines(self, width: int | None = None) -> None:
        if width is not None and width != self._width:
            self._width, self._lines, self._rendered, self._tail_stale = width, [], 0, True
        if not self._width:
            return
        for n in range(self._rendered, len(self._chunks)):
            stretch = self._chunks[n]
            if n and gap_between(self._chunks[n - 1].last, stretch.first):
                self._lines.append(Strip([]))
            self._lines += self._markdown_lines(stretch.text)
        self._rendered = len(self._chunks)
        if self._tail_stale:
            self._tail_lines = self._markdown_lines(self._tail) if self._tail.strip() else []
            blocks = top_blocks(self._tail) if self._tail_lines and self._chunks else []
            if blocks and gap_between(self._chunks[-1].last, blocks[0].type):
                self._tail_lines.insert(0, Strip([]))
            self._tail_stale = False

    def _markdown_lines(self, text: str) -> list[Strip]:
        """`text` as Markdown, rendered as a Static renders a rich renderable (same style, links)."""
        from rich.markdown import Markdown

        app = self.app
        options = app.console_options.update(highlight=False, width=self._width, height=None)
        renderable = self.post_render(Markdown(text), self.visual_style.rich_style)
        lines = Segment.split_and_crop_lines(
            app.console.render(renderable, options), self._width, include_new_lines=False, pad=False
        )
        return [Strip(line) for line in lines]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._render_lines(width)
        return len(self._lines) + len(self._tail_lines)

    def render_line(self, y: int) -> Strip:
        self._render_lines(self.size.width)
        settled = len(self._lines)
        if y < settled:
            line = self._lines[y]
        elif y - settled < len(self._tail_lines):
            line = self._tail_lines[y - settled]
        else:
            return Strip([])
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            start, end = span
            end = line.cell_length if end == -1 else end
            style = self.screen.get_component_rich_style("screen--selection")
            line = Strip.join([line.crop(0, start), line.crop(start, end).apply_style(style), line.crop(end)])
        return line.apply_offsets(0, y)

    # -- selecting ----------------------------------------------------------------------------

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected part of the lines as shown (mouse selection, then copy)."""
        text = "\n".join(line.text.rstrip() for line in self._lines + self._tail_lines)
        return selection.extract(text), "\n"
