"""One reply in the conversation: its text as it streams in, its tool entries, its status line."""

from __future__ import annotations

import asyncio
import math
import time
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Collapsible, Static

from studio.core.visible import visible

if TYPE_CHECKING:
    from textual.widgets import Markdown
    from textual.widgets.markdown import MarkdownStream


def _markdown() -> Markdown:
    """A Markdown widget. Imported on first use: markdown-it costs ~25 ms before the first paint."""
    from textual.widgets import Markdown

    return Markdown()


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


SETTLE_CHARS = 2000  # characters of live Markdown before finished paragraphs are settled


async def _retire(body: Markdown, batch: int = 40) -> None:
    """Remove a hidden Markdown widget a few blocks at a time: removing a long reply's 1,500
    block widgets at once stops the event loop for ~300 ms; in batches, frames keep flowing."""
    children = list(body.children)
    for start in range(0, len(children), batch):
        await body.remove_children(children[start : start + batch])
        await asyncio.sleep(0.01)
    await body.remove()


class AssistantMessage(Vertical):
    """One reply. Text streams into a Markdown widget (its stream batches fragments); once a stretch
    of text is finished it is settled into one Static. Textual's Markdown keeps a widget per block,
    and every layout pass visits them all: a long session would otherwise slow to a crawl."""

    def __init__(self, model_name: str, parts: list[Static | Collapsible] | None = None) -> None:
        """`parts`: an earlier reply's settled text and tool entries, when a conversation reopens."""
        super().__init__()
        self._parts = parts or []
        self.model_name = model_name
        self.text = ""
        self._body: Markdown | None = None
        self._body_text = ""
        self._meta = Static("", classes="meta", markup=False)
        self._stream: MarkdownStream | None = None
        self._countdown: Timer | None = None
        self.border_title = Content(visible(model_name))  # a str would be parsed as markup

    def compose(self) -> ComposeResult:
        yield from self._parts
        yield self._meta

    async def append(self, fragment: str) -> None:
        """Stream text in; at a paragraph break past SETTLE_CHARS, settle what came before, so
        the live Markdown widget (and each layout pass) stays small however long the reply."""
        fragment = visible(fragment)
        self.text += fragment
        cut = self._settle_point(fragment)
        if cut is None:
            await self._write(fragment)
            return
        await self._write(fragment[:cut])
        await self.finish()
        if fragment[cut:]:
            await self._write(fragment[cut:])

    def _settle_point(self, fragment: str) -> int | None:
        if len(self._body_text) + len(fragment) < SETTLE_CHARS:
            return None
        end = fragment.rfind("\n\n")
        if end < 0 or (self._body_text + fragment[:end]).count("```") % 2:
            return None  # no paragraph break here, or inside a code block
        return end + 2

    async def _write(self, text: str) -> None:
        if self._body is None:
            self._body = _markdown()
            await self.mount(self._body, before=self._meta)
            self._stream = self._body.get_stream(self._body)
        assert self._stream is not None
        self._body_text += text
        await self._stream.write(text)

    async def finish(self) -> None:
        """The current stretch of text is complete: render it once, as a single widget."""
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        if self._body is not None:
            await self.mount(settled_text(self._body_text), before=self._body)
            self._body.display = False
            self.run_worker(_retire(self._body), group="retire")
            self._body, self._body_text = None, ""

    async def add_part(self, widget: Static | Collapsible) -> None:
        """A tool entry or notice inside the reply; later text continues below it."""
        await self.finish()
        await self.mount(widget, before=self._meta)

    def set_meta(self, text: str) -> None:
        if self._countdown is not None:
            self._countdown.stop()
            self._countdown = None
        self._meta.update(text)

    def count_down(self, words: str, seconds: float, after: str) -> None:
        """A live wait in the status line ("… {} s …" with the seconds left), then `after`."""
        deadline = time.monotonic() + seconds

        def tick() -> None:
            left = math.ceil(deadline - time.monotonic())
            if left <= 0:
                self.set_meta(after)
            else:
                self._meta.update(words.format(left))

        self.set_meta(words.format(math.ceil(seconds)))
        self._countdown = self.set_interval(0.25, tick)
