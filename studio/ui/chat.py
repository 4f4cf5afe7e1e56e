"""The conversation pane: one widget per message; replies stream through MarkdownStream."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Collapsible, Static

from studio.core.tools import DraftChange

if TYPE_CHECKING:
    from textual.widgets import Markdown
    from textual.widgets.markdown import MarkdownStream


def _markdown() -> Markdown:
    """A Markdown widget. Imported on first use: markdown-it costs ~25 ms before the first paint."""
    from textual.widgets import Markdown

    return Markdown()


class UserMessage(Static):
    def __init__(self, text: str) -> None:
        super().__init__(text, markup=False)
        self.border_title = "You"


class Notice(Static):
    """A line the studio adds to the conversation: an error, a cut reply, a refusal, a tip."""

    def __init__(self, text: str, level: str = "info") -> None:
        super().__init__(text, markup=False, classes=level)


def _diff(change: DraftChange) -> Text:
    """The edited lines before and after, like a unified diff: whole lines read better than fragments."""
    first = change.before_text.rfind("\n", 0, change.start) + 1
    old_end = change.before_text.find("\n", change.start + len(change.old))
    new_end = change.text.find("\n", change.start + len(change.new))
    before = change.before_text[first: None if old_end < 0 else old_end]
    after = change.text[first: None if new_end < 0 else new_end]
    text = Text()
    for line in before.splitlines() or [""]:
        text.append(f"- {line}\n", style="red")
    for line in after.splitlines() or [""]:
        text.append(f"+ {line}\n", style="green")
    text.append("Ctrl+Z in the draft undoes this edit.", style="dim italic")
    return text


def _summary(args: dict[str, Any] | None, limit: int = 400) -> str:
    """Arguments as JSON, long strings shortened: a draft's full text belongs in the editor."""
    if args is None:
        return "(none)"
    short = {k: (v[:limit] + f"… ({len(v):,} characters)" if isinstance(v, str) and len(v) > limit
                 else v) for k, v in args.items()}
    return json.dumps(short, ensure_ascii=False, indent=1)


class ToolEntry(Collapsible):
    """A compact, expandable record of one tool call; an edit shows its diff at once."""

    def __init__(self, name: str, args: dict[str, Any] | None, result: str, is_error: bool,
                 change: DraftChange | None = None) -> None:
        mark = "✗" if is_error else "✓"
        body: Static
        if change is not None and change.kind == "edited":
            body = Static(_diff(change))
        else:
            body = Static(f"arguments: {_summary(args)}\nresult: {result}", markup=False)
        title = f"{mark} {name}"
        if change is not None and change.kind == "saved":
            title += f": drafts/{change.name}"
        # Open what the writer should read: a refusal's reason, an edit's diff.
        shown = is_error or (change is not None and change.kind == "edited")
        super().__init__(body, title=title, collapsed=not shown, classes="error" if is_error else "")


class AssistantMessage(Vertical):
    """One reply. Text arrives in fragments; the stream batches them so the UI never stalls."""

    def __init__(self, model_name: str) -> None:
        super().__init__()
        self.model_name = model_name
        self.text = ""
        self._body = _markdown()
        self._meta = Static("", classes="meta", markup=False)
        self._stream: MarkdownStream | None = None
        self.border_title = model_name

    def compose(self) -> ComposeResult:
        yield self._body
        yield self._meta

    async def append(self, fragment: str) -> None:
        if self._stream is None:
            self._stream = self._body.get_stream(self._body)
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
        self._body = _markdown()
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
