"""A reply's text, streaming or finished: one widget drawing lines rendered ahead (Textual's Line API).

It replaces Textual's Markdown widget fed through MarkdownStream, and the rich-Markdown Statics that
finished stretches used to settle into. Profiled on a 70 KB reply sent fast, two thirds of the time
went to layout passes over the Markdown widget's tree (a widget per block, mounted and laid out again
and again) and a sixth to mounting those widgets: the screen, not the stream, set the pace. Here:

- `write` only buffers; an update at most about 30 times a second (less often while an update and
  its frame are costly) applies what came in, so the event loop stays free for keys; while text
  streams, room is kept below it, so most updates repaint these lines without a layout pass;
- finished top-level blocks settle into Stretches of about SETTLE_CHARS (markdown_lines.py), each
  rendered once by rich's Markdown (the look finished replies always had: the theme's colours via
  `settled_styles`) and kept as Strips; only the live tail is rendered again;
- a stretch is rendered when it is first on screen (the compositor asks `render_line` only for the
  lines it shows), so text that scrolls by in a fast stream costs nothing until the writer scrolls
  back to it; until then its height is an estimate, corrected when drawn. A new width or theme only
  drops the kept lines;
- only the KEPT_STRETCHES stretches shown last keep their lines (the others are drawn again if the
  writer scrolls back to them, at the height they had): a 120 KB reply kept 5,300 Strips, each with
  seven small caches, and every full garbage collection walked them while the next reply streamed
  (40-90 ms each, a key typed then waited that long).
"""

from __future__ import annotations

import time
from bisect import bisect_right
from typing import TYPE_CHECKING

from textual.geometry import Region
from textual.selection import Selection
from textual.strip import Strip

from studio.core.visible import visible
from studio.ui.frame_clock import paint_at_once
from studio.ui.laid_out_once import LaidOutOnce
from studio.ui.markdown_lines import Stretch, finished_stretches, gap_between, render, top_blocks

if TYPE_CHECKING:
    from textual.geometry import Size

FRAME = 1 / 30  # seconds between updates at the most: the screen repaints at 60 Hz at best
SETTLE_CHARS = 600  # characters of live tail before its finished blocks settle, and a stretch's least
ROOM_SHARE = 3  # room added below streaming text when it fills what it had: a 3rd of the screen
BUSY_SHARE = 3  # the next update starts no sooner than this many times an update and its frame
SLOWEST = 0.25  # seconds between updates at the least: a fast stream still shows it moving
KEPT_SCREENS = 3  # screens of lines kept drawn, in the stretches shown last


class ReplyText(LaidOutOnce):
    """A stretch of a reply's text, streamed in with `write` and ended with `settle`."""

    DEFAULT_CSS = "ReplyText { height: auto; }"

    def __init__(self, text: str = "") -> None:
        """`text`: finished text (a reopened reply), settled at once."""
        super().__init__()
        self._pending: list[str] = []
        self._stretches: list[Stretch] = []
        self._starts: list[int] = []  # the first line of each stretch (empty: to be worked out)
        self._kept: dict[int, Stretch] = {}  # stretches with lines, by id, the least recently shown first
        self._tail = ""  # the live text, from the start of a top-level block
        self._tail_lines: list[Strip] = []
        self._tail_stale = False
        self._width = 0  # the width the lines were rendered or estimated at (0: not yet)
        self._update_due = 0.0
        self._updating = False
        self._streaming = False
        self._room = 0  # lines kept for the text to grow into while it streams
        self._laid_out = 0  # the height the last layout pass was given
        if text:
            self._tail = visible(text)
            self._settle_tail()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda *_: self._invalidate())

    # -- text in ------------------------------------------------------------------------------

    def write(self, text: str) -> None:
        """More of the text (already made visible); shown at the next update."""
        self._pending.append(text)
        self._streaming = True
        if not self._updating:
            self._updating = True
            self.set_timer(max(0.001, self._update_due - time.monotonic()), self._update)

    def settle(self) -> None:
        """The text is complete: show all of it now, as settled text. Its end is often on screen
        already: then those lines are kept as they are, not rendered again."""
        tail_start = self._tail_start()
        if not self._take_pending() and not self._tail_stale and self._width and self._tail.strip():
            if stretch := self._add_stretch(self._tail):
                stretch.lines, stretch.height = self._tail_lines, len(self._tail_lines)
                self._keep(stretch)
            self._tail, self._tail_lines = "", []
        else:
            self._settle_tail()
        self._streaming = False
        self._show(tail_start)
        paint_at_once(self)  # the reply's last words: not a frame's spacing later

    def show_last_words(self) -> None:
        """The text is complete: what came in since the last update is shown at once, as an
        update shows it, in the room kept below (most often no layout pass). `settle` follows,
        and keeps those lines; the layout pass that takes the room away comes after."""
        if self._apply():
            paint_at_once(self)

    def _update(self) -> None:
        """Apply what came in. The next update waits for this one's frame, and then for at least
        twice as long again: a frame is a layout pass and a repaint, costly on a long chat or a
        slow machine, so updates come less often there, and keys and the stream get through (a
        70 KB reply sent fast: 28 frames -> 20, and on screen 15% sooner than with once again)."""
        started = time.monotonic()
        self._apply()
        self.call_after_refresh(self._updated, started)

    def _apply(self) -> bool:
        """Show what came in since the last update; False if nothing had."""
        if not self._take_pending():
            return False
        tail_start = self._tail_start()
        if len(self._tail) >= SETTLE_CHARS:
            self._settle_finished_blocks()
        self._show(tail_start)
        return True

    def _updated(self, started: float) -> None:
        cycle = time.monotonic() - started
        self._update_due = started + min(SLOWEST, max(FRAME, BUSY_SHARE * cycle))
        self._updating = False
        if self._pending:
            self._updating = True
            self.set_timer(max(0.001, self._update_due - time.monotonic()), self._update)

    def _take_pending(self) -> bool:
        if not self._pending:
            return False
        self._tail += "".join(self._pending)
        self._pending.clear()
        self._tail_stale = True
        return True

    def _settle_finished_blocks(self) -> None:
        start = 0
        for end, first, last in finished_stretches(self._tail, SETTLE_CHARS):
            self._add_stretch(self._tail[start:end], (first, last))
            start = end
        self._tail = self._tail[start:]

    def _settle_tail(self) -> None:
        self._settle_finished_blocks()
        self._add_stretch(self._tail)
        self._tail, self._tail_lines, self._tail_stale = "", [], False

    def _add_stretch(self, text: str, types: tuple[str, str] | None = None) -> Stretch | None:
        if stretch := Stretch.after(text, self._stretches[-1] if self._stretches else None, types):
            if self._width:
                stretch.estimate(self._width)
            self._stretches.append(stretch)
            self._starts = []
        return stretch

    @property
    def source(self) -> str:
        """The Markdown so far, shown or not."""
        return "".join(s.text for s in self._stretches) + self._tail + "".join(self._pending)

    # -- lines out ----------------------------------------------------------------------------

    def _show(self, tail_start: int) -> None:
        """Render the tail (if the width is known) and repaint from `tail_start`, the line the tail
        started on before this change (stretches settled out of it since show the same text);
        lay out again only if the height changes. While streaming, the height grows a few lines at
        a time (ROOM_SHARE): a layout pass (the whole screen) comes every few lines, and in between
        only these lines are drawn again."""
        was = self._tail_lines
        self._render_tail()
        moved = self._draw_bottom() if self._width else False
        height = self._height()
        layout = height != self._laid_out
        if not self._width or moved:  # a stretch drawn took other than its estimated height
            self.refresh(layout=layout or not self._width)
            return
        # The lines from where the tail was on; the settled ones above keep their cache. If none
        # settled, only the tail's lines that differ, to where the text ends (the room stays blank).
        first, end = tail_start, max(height, self._laid_out)
        if self._tail_start() == tail_start:
            first += _alike(was, self._tail_lines)
            end = max(tail_start + len(was), self._lines_now())
        self.refresh(Region(0, first, self._width, max(1, end - first)), layout=layout)

    def _tail_start(self) -> int:
        return self._lines_now() - len(self._tail_lines)

    def _lines_now(self) -> int:
        starts = self._line_starts()
        return (starts[-1] if starts else 0) + len(self._tail_lines)

    def _height(self) -> int:
        """The height shown: the lines, and while streaming the room kept below them."""
        lines = self._lines_now()
        if not self._streaming:
            self._room = 0
        elif lines > self._room:
            self._room = lines + max(2, self.app.size.height // ROOM_SHARE)
        return max(lines, self._room)

    def _invalidate(self) -> None:
        self._width = 0
        self.refresh(layout=True)

    def _at_width(self, width: int) -> None:
        """Estimate every stretch at a new width (they are drawn again as they show)."""
        if width == self._width or not width:
            return
        self._width = width
        self._kept.clear()
        for stretch in self._stretches:
            stretch.estimate(width)
        self._starts = []
        self._tail_stale = True
        self._render_tail()
        self._draw_bottom()

    def _draw_bottom(self) -> bool:
        """Draw the last screenful of stretches now: the chat shows a reply's end first, and a
        short reply is then exact at once, with no second layout pass. True if lines moved."""
        shown, screen, moved = len(self._tail_lines), self.app.size.height, False
        for stretch in reversed(self._stretches):
            if shown >= screen:
                break
            if stretch.lines is None and stretch.draw(self, self._width):
                self._starts, moved = [], True
            self._keep(stretch)
            shown += stretch.height
        return moved

    def _render_tail(self) -> None:
        if not self._width or not self._tail_stale:
            return
        self._tail_stale = False
        self._tail_lines = render(self, self._tail, self._width) if self._tail.strip() else []
        blocks = top_blocks(self._tail) if self._tail_lines and self._stretches else []
        if blocks and gap_between(self._stretches[-1].last, blocks[0].type):
            self._tail_lines.insert(0, Strip([]))

    def _line_starts(self) -> list[int]:
        if not self._starts and self._stretches:
            total = 0
            for stretch in self._stretches:
                self._starts.append(total)
                total += stretch.height
            self._starts.append(total)  # where the tail starts
        return self._starts

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        """A new height alone repaints only the lines `_show` marked. Textual repaints all of a
        widget whose size changes, and a streaming reply's height changes every few lines: all
        of its lines on screen went through the styles again, a fifth of such a frame."""
        if size.width == self._size.width:
            self._size = size
        return super()._size_updated(size, virtual_size, container_size, layout)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._at_width(width)
        self._laid_out = self._height()
        return self._laid_out

    def render_line(self, y: int) -> Strip:
        self._at_width(self.size.width)
        line = self._line(y)
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            start, end = span
            end = line.cell_length if end == -1 else end
            style = self.screen.get_component_rich_style("screen--selection")
            line = Strip.join([line.crop(0, start), line.crop(start, end).apply_style(style), line.crop(end)])
        return line.apply_offsets(0, y)

    def _line(self, y: int) -> Strip:
        starts = self._line_starts()
        settled = starts[-1] if starts else 0
        if y >= settled:
            tail = y - settled
            return self._tail_lines[tail] if tail < len(self._tail_lines) else Strip([])
        n = bisect_right(starts, y) - 1
        stretch = self._stretches[n]
        if stretch.lines is None and stretch.draw(self, self._width):
            self._starts = []  # the estimate was off: lay out again with the real height
            self.call_later(self.refresh, layout=True)
        lines = stretch.lines
        assert lines is not None
        self._keep(stretch)
        index = y - starts[n]
        return lines[index] if index < len(lines) else Strip([])

    def _keep(self, stretch: Stretch) -> None:
        """`stretch` was shown: it keeps its lines. Those shown longest ago past KEPT_SCREENS drop
        theirs (their heights stay: drawn again, they take the same)."""
        kept, key = self._kept, id(stretch)
        if kept.pop(key, None) is not None:  # shown again: the newest
            kept[key] = stretch
            return
        kept[key] = stretch
        lines, budget = sum(s.height for s in kept.values()), KEPT_SCREENS * self.app.size.height
        while len(kept) > 1 and lines > budget:
            oldest = kept.pop(next(iter(kept)))
            oldest.lines, lines = None, lines - oldest.height

    def all_lines(self) -> list[Strip]:
        """Every line, each stretch drawn (for copying a selection, and for tests)."""
        self._at_width(self.size.width)
        lines: list[Strip] = []
        for stretch in self._stretches:
            if stretch.lines is not None:
                lines += stretch.lines
                continue
            if stretch.draw(self, self._width):
                self._starts = []
            lines += stretch.lines or []
            stretch.lines = None  # not kept: a selection is copied once
        return lines + self._tail_lines

    # -- selecting ----------------------------------------------------------------------------

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected part of the lines as shown (mouse selection, then copy)."""
        return selection.extract("\n".join(line.text.rstrip() for line in self.all_lines())), "\n"


def _alike(before: list[Strip], after: list[Strip]) -> int:
    """How many lines at the start of `after` are those of `before`."""
    for n, (was, now) in enumerate(zip(before, after, strict=False)):
        if was != now:
            return n
    return min(len(before), len(after))
