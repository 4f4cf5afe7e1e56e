"""One reply in the conversation: its text as it streams in, its tool entries, its status line."""

from __future__ import annotations

import asyncio
import math
import time

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.geometry import Region, Size
from textual.layout import DockArrangeResult
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import Collapsible, Static

from studio.core.growing import GrowingText
from studio.core.loop_turn import let_the_loop_run
from studio.core.visible import visible
from studio.ui.coarse_map import with_coarse_map
from studio.ui.laid_out_once import LaidOutOnce
from studio.ui.reply_text import ReplyText


def settled_styles(variables: dict[str, str]) -> dict[str, str]:
    """Rich's Markdown styles in the colours of Textual's Markdown widget (the current theme's), so a
    reply does not change look when its finished paragraphs settle."""
    from textual.color import Color, ColorParseError

    def colour(name: str) -> str:
        """A theme colour as rich takes it: any transparency blended into the background."""
        try:
            return (Color.parse(variables.get("background", "black")) + Color.parse(variables[name])).hex6
        except (KeyError, ColorParseError):
            return ""

    styles = {}
    for level in range(1, 7):
        text_style = variables.get(f"markdown-h{level}-text-style", "bold").replace("none", "")
        styles[f"markdown.h{level}"] = f"{text_style} {colour(f'markdown-h{level}-color')}".strip()
    styles["markdown.block_quote"] = colour("text-primary") or "default"
    styles["markdown.link"] = colour("text-accent") or "default"
    return styles


def settled_text(text: str) -> Static:
    """Finished reply text, rendered once as a single widget."""
    from rich.markdown import Markdown as RichMarkdown

    return Static(RichMarkdown(visible(text)), classes="settled")


YIELD_EVERY = 1 / 120  # seconds of text handling before the loop is let through


class AssistantMessage(Vertical, LaidOutOnce):
    """One reply: its text in ReplyText widgets (one a stretch between tool entries), which buffer
    what streams in and draw pre-rendered lines, so the stream sets the pace, not the screen."""

    def __init__(self, model_name: str, parts: list[Static | Collapsible] | None = None) -> None:
        """`parts`: an earlier reply's settled text and tool entries, when a conversation reopens."""
        super().__init__()
        self._parts = parts or []
        self.model_name = model_name
        self._text = GrowingText()  # as it came
        self._body: ReplyText | None = None
        self._meta = Static("", classes="meta", markup=False)
        self._countdown: Timer | None = None
        self._yield_due = 0.0
        self.border_title = Content(visible(model_name))  # a str would be parsed as markup

    def compose(self) -> ComposeResult:
        yield from self._parts
        yield self._meta

    def arrange(self, size: Size, optimal: bool = False) -> DockArrangeResult:
        return with_coarse_map(super().arrange(size, optimal))

    def render_line(self, y: int) -> Strip:
        """Blank (what a reply draws of its own is its border). Textual's own renders every line of
        the widget whenever it changes, to give the few on screen: for a long reply, thousands of
        blank lines on each update while it streams, kept with their caches (1,200 for a 40 KB
        reply, a fifth of what each full garbage collection walked)."""
        return Strip.blank(self.size.width, self.visual_style.rich_style)

    def render_lines(self, crop: Region) -> list[Strip]:
        """The rows between the border's top and bottom look alike (its sides, the padding and the
        background): one is rendered and the others repeat it. A streaming reply that outgrows
        its room is laid out again, and Textual rendered each of its rows on screen anew, a fifth
        of that frame (benchmarks/key_echo.py)."""
        inner = range(max(crop.y, 1), min(crop.bottom, self.size.height - 1))
        if len(inner) < 2:
            return super().render_lines(crop)
        x, width = crop.x, crop.width
        above = super().render_lines(Region(x, crop.y, width, inner.start - crop.y))
        row = super().render_lines(Region(x, inner.start, width, 1))
        below = super().render_lines(Region(x, inner.stop, width, crop.bottom - inner.stop))
        return above + row * len(inner) + below

    @property
    def text(self) -> str:
        """The reply's text so far, every stretch, as shown (control characters made visible)."""
        return self._text.text

    async def append(self, fragment: str) -> None:
        """Stream text in: buffered, and shown at the text widget's next update (a frame or so).
        A fast stream arrives faster than the loop turns (the SDK reads what is buffered without
        waiting), so once a frame this lets the updates, the screen and the writer's keys in."""
        fragment = visible(fragment)
        self._text.append(fragment)
        if self._body is None:
            self._body = ReplyText()
            await self.mount(self._body, before=self._meta)
        self._body.write(fragment)
        if time.monotonic() >= self._yield_due:
            await asyncio.sleep(0)
            self._yield_due = time.monotonic() + YIELD_EVERY

    async def finish(self) -> None:
        """The current stretch of text is complete: show all of it now, rendered once. The frame
        that shows its last words goes first, in the room kept below the text (no layout pass
        most often), then the one that settles it, both before the turn's end takes the loop
        (the ledger, the title, the footer's keys): traced, those came first and held the last
        words back 20-40 ms."""
        if self._body is not None:
            self._body.show_last_words()
            await let_the_loop_run()
            self._body.settle()
            self._body = None
            await let_the_loop_run()

    async def add_part(self, widget: Static | Collapsible) -> None:
        """A tool entry or notice inside the reply; later text continues below it."""
        await self.finish()
        await self.mount(widget, before=self._meta)

    def set_meta(self, text: str) -> None:
        if self._countdown is not None:
            self._countdown.stop()
            self._countdown = None
        self._show_meta(text)

    def _show_meta(self, text: str) -> None:
        """The status line; a layout pass of the whole screen only if its height may change."""
        meta = self._meta
        one_line = meta.size.height == 1 and cell_len(text) <= meta.content_size.width
        meta.update(text, layout=not one_line)

    def count_down(self, words: str, seconds: float, after: str) -> None:
        """A live wait in the status line ("… {} s …" with the seconds left), then `after`."""
        deadline = time.monotonic() + seconds

        def tick() -> None:
            left = math.ceil(deadline - time.monotonic())
            if left <= 0:
                self.set_meta(after)
            else:
                self._show_meta(words.format(left))

        self.set_meta(words.format(math.ceil(seconds)))
        self._countdown = self.set_interval(0.25, tick)
