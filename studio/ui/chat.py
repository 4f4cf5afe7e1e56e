"""The conversation pane: one widget per message; replies stream through MarkdownStream."""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Collapsible, Markdown, Static
from textual.widgets.markdown import MarkdownStream


class UserMessage(Static):
    def __init__(self, text: str) -> None:
        super().__init__(text, markup=False)
        self.border_title = "You"


class Notice(Static):
    """A line the studio adds to the conversation: an error, a cut reply, a refusal, a tip."""

    def __init__(self, text: str, level: str = "info") -> None:
        super().__init__(text, markup=False, classes=level)


class ToolEntry(Collapsible):
    """A compact, expandable record of one tool call."""

    def __init__(self, name: str, args: dict[str, Any] | None, result: str, is_error: bool) -> None:
        mark = "✗" if is_error else "✓"
        shown_args = json.dumps(args, ensure_ascii=False, indent=1) if args is not None else "(none)"
        super().__init__(
            Static(f"arguments: {shown_args}\nresult: {result}", markup=False),
            title=f"{mark} tool {name}",
            collapsed=True,
            classes="error" if is_error else "",
        )


class AssistantMessage(Vertical):
    """One reply. Text arrives in fragments; the stream batches them so the UI never stalls."""

    def __init__(self, model_name: str) -> None:
        super().__init__()
        self.model_name = model_name
        self.text = ""
        self._body = Markdown()
        self._meta = Static("", classes="meta", markup=False)
        self._stream: MarkdownStream | None = None
        self.border_title = model_name

    def compose(self) -> ComposeResult:
        yield self._body
        yield self._meta

    async def append(self, fragment: str) -> None:
        if self._stream is None:
            self._stream = Markdown.get_stream(self._body)
        self.text += fragment
        await self._stream.write(fragment)

    async def finish(self) -> None:
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None

    async def add_part(self, widget: Static | Collapsible) -> None:
        """A tool entry or notice inside the reply; later text continues below it."""
        await self.finish()
        await self.mount(widget, before=self._meta)
        self._body = Markdown()
        await self.mount(self._body, before=self._meta)

    def set_meta(self, text: str) -> None:
        self._meta.update(text)


class ChatView(VerticalScroll):
    """Stays scrolled to the bottom while a reply streams, unless the writer scrolls up."""

    def on_mount(self) -> None:
        self.anchor()

    async def add(self, widget: Static | Vertical) -> None:
        await self.mount(widget)
        self.anchor()
