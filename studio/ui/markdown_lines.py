"""Markdown cut into stretches at top-level block boundaries, each rendered by rich on its own into
the same lines rich gives for the whole text. What ReplyText (reply_text.py) is made of.

A top-level block followed by another is final: text arriving later cannot change it. Rich puts a
blank line between top-level blocks, except after a rule and before the blocks that bring a blank
line of their own (lists, quotes, tables): `gap_between` says which, so stretches rendered apart and
stacked match the whole (tests/test_ui_long_reply.py checks it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.segment import Segment
from textual.strip import Strip

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token
    from rich.console import Console, ConsoleOptions
    from rich.style import Style
    from textual.widget import Widget

# Blocks rich draws with a blank line of their own above them.
OWN_GAP = {"bullet_list_open", "ordered_list_open", "blockquote_open", "table_open"}


@cache
def _parser() -> MarkdownIt:
    """A parser configured as rich's Markdown configures its own, so blocks end where rich's do;
    without the inline pass (emphasis, code, links inside each block), which the block boundaries
    do not need: a 15 KB tail's parse takes 1.2 ms instead of 12.7."""
    from markdown_it import MarkdownIt

    return MarkdownIt().enable("strikethrough").enable("table").disable("inline")


def top_blocks(text: str) -> list[Token]:
    """The opening tokens of `text`'s top-level blocks (paragraph_open, fence, hr, ...)."""
    return [t for t in _parser().parse(text) if t.level == 0 and t.nesting != -1 and t.map]


def gap_between(before: str, after: str) -> bool:
    """Whether rich puts a blank line between two top-level blocks of these types."""
    return before != "hr" and after not in OWN_GAP


def finished_stretches(text: str, size: int) -> list[tuple[int, str, str]]:
    """Where stretches of finished blocks end in `text`, each at least `size` characters, with the
    types of their first and last blocks. The last block may still grow, or change (a paragraph
    becomes a table), so it is never in one."""
    blocks = top_blocks(text)
    line_starts = [0]
    for _ in range(blocks[-1].map[0] if len(blocks) > 1 else 0):  # type: ignore[index]
        line_starts.append(text.index("\n", line_starts[-1]) + 1)
    stretches: list[tuple[int, str, str]] = []
    start, first = 0, 0
    for n in range(1, len(blocks)):
        end = line_starts[blocks[n].map[0]]  # type: ignore[index]
        if end - start >= size:
            stretches.append((end, blocks[first].type, blocks[n - 1].type))
            start, first = end, n
    return stretches


def render(widget: Widget, text: str, width: int) -> list[Strip]:
    """`text` as Markdown, rendered as a Static renders a rich renderable (same console, style)."""
    from rich.markdown import Markdown

    app = widget.app
    console: Console = app.console
    options: ConsoleOptions = app.console_options.update(highlight=False, width=width, height=None)
    style: Style = widget.visual_style.rich_style
    segments = console.render(widget.post_render(Markdown(text), style), options)
    lines = Segment.split_and_crop_lines(segments, width, include_new_lines=False, pad=False)
    return [Strip(line) for line in lines]


@dataclass
class Stretch:
    """Settled Markdown: its text, whether a blank line goes above it, and its lines once drawn.
    Lines are rendered when first on screen; until then its height is an estimate."""

    text: str
    gap: bool
    last: str  # the type of its last top-level block
    lines: list[Strip] | None = None
    height: int = 0

    @classmethod
    def after(cls, text: str, before: Stretch | None, types: tuple[str, str] | None = None) -> Stretch | None:
        """A stretch of `text` placed below `before`; None if it holds no block. `types`: those of
        its first and last blocks, if known (else `text` is parsed for them)."""
        if types is None:
            blocks = top_blocks(text)
            if not blocks:
                return None
            types = blocks[0].type, blocks[-1].type
        gap = before is not None and gap_between(before.last, types[0])
        return cls(text, gap, types[1])

    def estimate(self, width: int) -> int:
        """About how many lines it takes at `width`: a line per source line, wrapped."""
        self.lines = None
        usable = max(1, width - 2)
        lines = self.text.strip().split("\n")
        self.height = self.gap + sum(math.ceil(cell_len(line) / usable) or 1 for line in lines)
        return self.height

    def draw(self, widget: Widget, width: int) -> int:
        """Render its lines; the change in height from the estimate."""
        self.lines = ([Strip([])] if self.gap else []) + render(widget, self.text, width)
        change, self.height = len(self.lines) - self.height, len(self.lines)
        return change
