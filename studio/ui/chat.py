"""The conversation: one widget per message, in a view that follows the newest. A reply's own
widget is in reply_view.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, Literal

from rich.text import Text
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Collapsible, Static

from studio.core.tools import DraftChange
from studio.core.visible import visible


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
