"""The conversation: one widget per message, in a view that follows the newest. A reply's own
widget is in reply_view.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from rich.text import Text
from textual.actions import SkipAction
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.layout import DockArrangeResult
from textual.scrollbar import ScrollBar
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Collapsible, Static

from studio.core.tools import DraftChange
from studio.core.visible import visible
from studio.ui.coarse_map import with_coarse_map
from studio.ui.laid_out_once import LaidOutOnce
from studio.ui.quick_scrollbar import QuickScrollBar


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
SHOWN_FIRST = 10  # widgets of a reopened conversation mounted at once (more follow if they are short)
BATCH = 10  # widgets mounted at a time as the writer nears an edge of what is mounted
MOST = 120  # widgets of the history kept mounted: beyond, those at the far edge are let go


@dataclass
class _Steady:
    """Keep `widget` where it is on screen (or, `top`, bring it to the top) through the first
    layout with `shown` in it and `gone` out of it (what was mounted or removed above it)."""

    widget: Widget
    y: int
    shown: list[Widget]
    gone: list[Widget]
    top: bool = False

    def due(self, placed: set[Widget]) -> bool:
        return all(w in placed for w in self.shown) and not any(w in placed for w in self.gone)


def _import_markdown() -> None:
    import rich.markdown  # noqa: F401


def _placed_y(arrangement: DockArrangeResult, widget: Widget) -> int | None:
    return next((p.region.y for p in arrangement.placements if p.widget is widget), None)


class ChatView(VerticalScroll, LaidOutOnce):
    """Stays scrolled to the bottom while a reply streams, unless the writer scrolls up.

    A reopened conversation may hold thousands of messages, and every mounted widget costs memory
    and a visit in every layout pass (one Markdown widget per message for 1,000 messages took 111 s
    and 1.26 GB). So only a window of its messages is mounted, its end at first; the window grows
    (and lets go of its far edge) as the writer scrolls within a screen of its top or bottom, with
    what is on screen held still; Home, End and a search hit move it at once. What the chat said
    before the conversation shows only at its start, and what came after only at its end."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._history: list[Callable[[], Widget]] = []  # a reopened conversation's widget makers
        self._lo = self._hi = 0  # the window: the makers whose widgets are mounted
        self._window: list[Widget] = []
        self._revealed: Widget | None = None  # a search hit's message, while it is marked
        self._steady: _Steady | None = None
        self._arranged: DockArrangeResult | None = None
        self._moving = asyncio.Lock()  # one change of the window at a time
        self._check_timer: Timer | None = None

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """Textual's property, with a QuickScrollBar made in its place (quick_scrollbar.py)."""
        if self._vertical_scrollbar is None:
            self._vertical_scrollbar = bar = QuickScrollBar(
                vertical=True, name="vertical", thickness=self.scrollbar_size_vertical
            )
            bar.display = False
            self.app._start_widget(self, bar)
        return self._vertical_scrollbar

    def on_mount(self) -> None:
        self.anchor()
        # A reopened reply's text is rich's Markdown, whose import (markdown-it) takes ~200 ms:
        # paid in a thread after the first frame, not when the writer picks a conversation.
        self.call_after_refresh(lambda: self.run_worker(_import_markdown, thread=True, group="import"))

    async def add(self, widget: Static | Vertical) -> None:
        """A new message at the end, scrolled to; a notice while a search hit is marked waits
        there without moving the view."""
        if isinstance(widget, Notice) and self._revealed is not None:
            widget.display = self._hi == len(self._history)
            await self.mount(widget)
            return
        if self._hi < len(self._history):
            async with self._moving:
                await self._jump(len(self._history))
        await self.mount(widget)
        self.anchor()

    async def clear(self) -> None:
        self.workers.cancel_group(self, "history")
        self._history, self._window, self._lo, self._hi = [], [], 0, 0
        self._revealed = self._steady = None
        await self.remove_children()

    async def add_history(self, makers: list[Callable[[], Widget]], reveal: int | None = None) -> None:
        """A reopened conversation: its end mounted and shown, or (`reveal`, the index of a
        widget) the part around a search hit, scrolled to it and marked for a moment."""
        self._history = makers
        total = len(makers)
        if reveal is None or reveal >= total - SHOWN_FIRST:
            self._lo = max(0, total - SHOWN_FIRST)
        else:
            self._lo = max(0, reveal - 3)  # a few messages above the hit, to read it in context
        self._hi = min(total, self._lo + SHOWN_FIRST)
        self._window = [make() for make in makers[self._lo : self._hi]]
        if not self._window:
            return
        with self.app.batch_update():  # the first frame shows the replies whole, where they belong
            await self.mount_all(self._window)
            self._show_edges()
            if reveal is None:
                self.anchor()
            else:
                self._reveal(self._window[reveal - self._lo])
        self.call_after_refresh(self._check_edges)

    # -- the window -------------------------------------------------------------------------

    def _edges(self) -> tuple[list[Widget], list[Widget]]:
        """What the chat holds above the window and below it."""
        children = list(self.children)
        first, last = children.index(self._window[0]), children.index(self._window[-1])
        return children[:first], children[last + 1 :]

    def _show_edges(self) -> None:
        """Above the window only at the conversation's start, below it only at its end; away
        from the end the view follows nothing."""
        if not self._window:
            return
        at_end = self._hi == len(self._history)
        head, tail = self._edges()
        for widgets, shown in ((head, self._lo == 0), (tail, at_end)):
            for widget in widgets:
                if widget.display != shown:
                    widget.display = shown
        if not at_end:
            self.anchor(False)

    def _placed(self, widget: Widget) -> int | None:
        """Where `widget` was in the last layout."""
        return _placed_y(self._arranged, widget) if self._arranged is not None else None

    def _keep_steady(self, widget: Widget, y: int | None, shown: list[Widget], gone: list[Widget]) -> None:
        """Hold `widget` at `y` (where it was before the change) through the next layout."""
        self._steady = _Steady(widget, y, shown, gone) if y is not None else None
        self.refresh(layout=True)

    def arrange(self, size: Size, optimal: bool = False) -> DockArrangeResult:
        """Textual's arrangement; when messages were mounted or removed above the view, the
        scroll moves by as much in the same layout pass, so no frame shows the view jump."""
        arrangement = with_coarse_map(super().arrange(size, optimal))
        self._arranged, steady = arrangement, self._steady
        if steady is None or not steady.due(arrangement.widgets):
            return arrangement
        self._steady = None
        y = _placed_y(arrangement, steady.widget)
        if y is not None and (steady.top or y != steady.y):
            # A scroll under way (Page Up) ends where it was going, then moves with the content.
            self.app.animator.force_stop_animation(self, "scroll_y")
            if steady.top:
                end = arrangement.spatial_map.total_region.bottom - self.container_size.height
                scroll = max(0, min(y, end))
            else:
                scroll = max(0, round(self.scroll_y) + y - steady.y)
            self.set_reactive(ChatView.scroll_y, scroll)
            self.set_reactive(ChatView.scroll_target_y, scroll)
            self.vertical_scrollbar.position = scroll
        return arrangement

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._history:
            if self._hi == len(self._history) and not self.is_anchored and new_value >= self.max_scroll_y:
                self.anchor()  # back at the end: follow it again
            self._check_edges()

    def _check_edges(self) -> None:
        """Within a screen of the window's top or bottom: mount more of the conversation there."""
        if self._moving.locked() or not self._window or not self.is_attached:
            return
        if self.app.animator.is_being_animated(self, "scroll_y"):  # where it stops is what counts
            if self._check_timer is None:
                self._check_timer = self.set_timer(0.05, self._checked_later)
            return
        near = self.size.height
        if self._lo > 0 and self.scroll_y < near:
            self._move(self._grow_up)
        elif self._hi < len(self._history) and self.scroll_y > self.max_scroll_y - near:
            self._move(self._grow_down)

    def _checked_later(self) -> None:
        self._check_timer = None
        self._check_edges()

    def _move(self, step: Callable[[], Coroutine[Any, Any, None]]) -> None:
        async def moving() -> None:
            async with self._moving:
                await step()
            self.call_after_refresh(self._check_edges)  # still near an edge: more

        self.run_worker(moving(), group="history")

    async def _grow_up(self) -> None:
        lo = max(0, self._lo - BATCH)
        new = [make() for make in self._history[lo : self._lo]]
        first = self._window[0]
        head, y = self._edges()[0] if lo == 0 else [], self._placed(first)
        # No frame in between: a reply's parts are composed after it mounts, and a layout before
        # that would place the view on heights about to change.
        with self.app.batch_update():
            await self.mount_all(new, before=first)
            self._lo, self._window = lo, new + self._window
            gone = self._window[MOST:]
            if gone:
                self._window, self._hi = self._window[:MOST], self._hi - len(gone)
            self._show_edges()
            self._keep_steady(first, y, new + head, [])
        if gone:  # below the view: nothing on screen moves
            await self.remove_children(gone)

    async def _grow_down(self) -> None:
        hi = min(len(self._history), self._hi + BATCH)
        new = [make() for make in self._history[self._hi : hi]]
        await self.mount_all(new, after=self._window[-1])  # below the view: nothing on screen moves
        self._hi, self._window = hi, self._window + new
        if len(self._window) <= MOST:
            self._show_edges()
            return
        head = self._edges()[0] if self._lo == 0 else []
        gone, self._window = self._window[:-MOST], self._window[-MOST:]
        self._lo += len(gone)
        y = self._placed(self._window[0])
        with self.app.batch_update():
            self._show_edges()
            await self.remove_children(gone)
            self._keep_steady(self._window[0], y, [], gone + head)

    async def _jump(self, index: int) -> None:
        """Mount the window around the widget at `index` instead (Home, End, a far search hit)."""
        total = len(self._history)
        lo = max(0, min(index, total - SHOWN_FIRST))
        if lo == self._lo or not self._window:
            return
        hi = min(total, lo + SHOWN_FIRST)
        old, new = self._window, [make() for make in self._history[lo:hi]]
        with self.app.batch_update():
            if lo < self._lo:
                await self.mount_all(new, before=old[0])
            else:
                await self.mount_all(new, after=old[-1])
            self._lo, self._hi, self._window = lo, hi, new
            self._show_edges()
            await self.remove_children(old)

    # Keys scroll at once, not animated: an animation runs to a place worked out before the
    # messages mounted above moved everything down.
    def _scroll_by(self, rows: int) -> None:
        if not self.allow_vertical_scroll:
            raise SkipAction()
        self.scroll_to(y=self.scroll_y + rows, animate=False, immediate=True)

    def action_page_up(self) -> None:
        self._scroll_by(-self.scrollable_content_region.height)

    def action_page_down(self) -> None:
        self._scroll_by(self.scrollable_content_region.height)

    def action_scroll_up(self) -> None:
        self._scroll_by(-1)

    def action_scroll_down(self) -> None:
        self._scroll_by(1)

    def action_scroll_home(self) -> None:
        """Home: the conversation's first message, however much of it is not mounted."""
        if self._lo == 0:
            super().action_scroll_home()
            return

        async def first() -> None:
            await self._jump(0)
            self.scroll_home(animate=False)

        self._move(first)

    def action_scroll_end(self) -> None:
        if self._hi == len(self._history):
            super().action_scroll_end()
            return

        async def last() -> None:
            await self._jump(len(self._history))
            self.anchor()

        self._move(last)

    # -- a search hit -----------------------------------------------------------------------

    def _reveal(self, widget: Widget) -> None:
        """Scroll to `widget` and mark it for a moment, so the eye finds it."""
        self._revealed = widget
        self.anchor(False)
        self._steady = _Steady(widget, 0, [widget], [], top=True)
        self.refresh(layout=True)
        widget.add_class("found")

        def unmark() -> None:
            widget.remove_class("found")
            if self._revealed is widget:
                self._revealed = None

        self.set_timer(FOUND_SECONDS, unmark)
