"""The conversation pane: one widget per message; replies stream through MarkdownStream."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Collapsible, Static

from studio.core.tools import DraftChange
from studio.core.visible import visible

if TYPE_CHECKING:
    from textual.widgets import Markdown
    from textual.widgets.markdown import MarkdownStream


def _markdown() -> Markdown:
    """A Markdown widget. Imported on first use: markdown-it costs ~25 ms before the first paint."""
    from textual.widgets import Markdown

    return Markdown()


class UserMessage(Static):
    """What the writer sent; pasted text may hold escape sequences, shown, never obeyed."""

    def __init__(self, text: str) -> None:
        super().__init__(visible(text), markup=False)
        self.border_title = "You"


# A Notice's kind, which is also its CSS class in studio.tcss.
NoticeLevel = Literal["info", "tip", "warn", "error"]


class Notice(Static):
    """A line the studio adds to the conversation: an error, a cut reply, a refusal, a tip. It may
    quote outside text (an API error message, a file name): shown, never obeyed."""

    def __init__(self, text: str, level: NoticeLevel = "info") -> None:
        super().__init__(visible(text), markup=False, classes=level)


def _diff(change: DraftChange) -> Text:
    """The edited lines before and after, like a unified diff: whole lines read better than fragments."""
    first = change.before_text.rfind("\n", 0, change.start) + 1
    old_end = change.before_text.find("\n", change.start + len(change.old))
    new_end = change.text.find("\n", change.start + len(change.new))
    before = change.before_text[first : None if old_end < 0 else old_end]
    after = change.text[first : None if new_end < 0 else new_end]
    text = Text()
    for line in before.splitlines() or [""]:
        text.append(f"- {visible(line)}\n", style="red")
    for line in after.splitlines() or [""]:
        text.append(f"+ {visible(line)}\n", style="green")
    text.append("Ctrl+Z in the draft undoes this edit.", style="dim italic")
    return text


def _summary(args: dict[str, Any] | None, limit: int = 400) -> str:
    """Arguments as JSON, long strings shortened: a draft's full text belongs in the editor."""
    if args is None:
        return "(none)"
    short = {
        k: (v[:limit] + f"… ({len(v):,} characters)" if isinstance(v, str) and len(v) > limit else v)
        for k, v in args.items()
    }
    return json.dumps(short, ensure_ascii=False, indent=1)


class ToolEntry(Collapsible):
    """A compact, expandable record of one tool call; an edit shows its diff at once."""

    def __init__(
        self,
        name: str,
        args: dict[str, Any] | None,
        result: str,
        is_error: bool,
        change: DraftChange | None = None,
    ) -> None:
        mark = "✗" if is_error else "✓"
        body: Static
        if change is not None and change.kind == "edited":
            body = Static(_diff(change))
        else:
            body = Static(visible(f"arguments: {_summary(args)}\nresult: {result}"), markup=False)
        title = f"{mark} {name}"
        if change is not None and change.kind == "saved":
            title += f": drafts/{change.name}"
        # Open what the writer should read: a refusal's reason, an edit's diff.
        shown = is_error or (change is not None and change.kind == "edited")
        # Content, not str: a Collapsible parses a str title as markup (a tool named "[/]").
        super().__init__(
            body,
            title=Content(visible(title)),  # type: ignore[arg-type]
            collapsed=not shown,
            classes="error" if is_error else "",
        )


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


FOUND_SECONDS = 3.0  # how long a search hit's message stays marked


class ChatView(VerticalScroll):
    """Stays scrolled to the bottom while a reply streams, unless the writer scrolls up."""

    def on_mount(self) -> None:
        self.anchor()

    async def add(self, widget: Static | Vertical) -> None:
        await self.mount(widget)
        self.anchor()

    _revealed: Widget | None = None  # a search hit's message, held in view while history loads

    async def clear(self) -> None:
        self.workers.cancel_group(self, "history")
        self._revealed = None
        await self.remove_children()

    async def add_history(
        self,
        makers: list[Callable[[], Widget]],
        shown_first: int = 20,
        batch: int = 10,
        reveal: int | None = None,
    ) -> None:
        """A reopened conversation, newest first: its end shows at once, and earlier messages are
        built and mounted above it in batches, so a long one never stops the event loop long.
        `reveal`: the index of the widget to scroll to and mark for a moment (a search hit)."""
        start = max(0, len(makers) - shown_first)
        tail = [make() for make in makers[start:]]
        await self.mount_all(tail)
        self.anchor()
        if reveal is not None and reveal >= start:
            self._reveal(tail[reveal - start])
        if head := makers[:start]:
            self.run_worker(self._add_earlier(head, tail[0], batch, reveal), group="history", exclusive=True)

    async def _add_earlier(
        self, makers: list[Callable[[], Widget]], before: Widget, batch: int, reveal: int | None
    ) -> None:
        for end in range(len(makers), 0, -batch):
            first = max(0, end - batch)
            part = [make() for make in makers[first:end]]
            await self.mount_all(part, before=before)
            before = part[0]
            if reveal is not None and first <= reveal < end:
                self._reveal(part[reveal - first])
            elif self._revealed is not None:  # what was mounted above pushed it down: follow it
                self._hold(self._revealed)
            await asyncio.sleep(0.01)  # let a frame and the writer's keys through

    def _reveal(self, widget: Widget) -> None:
        """Scroll to `widget` and mark it for a moment, so the eye finds it."""
        self._revealed = widget
        self.release_anchor()
        self._hold(widget)
        widget.add_class("found")
        self.set_timer(FOUND_SECONDS, lambda: widget.remove_class("found"))

    def _hold(self, widget: Widget) -> None:
        """Scroll so `widget` is at the top, once the layout has placed it."""
        self.call_after_refresh(self.scroll_to_widget, widget, top=True, animate=False, immediate=True)
