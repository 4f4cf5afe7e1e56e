"""A long reply as a writer sees it: its last words as it ends, its first words up the chat, its
Markdown rendered, the chat following it down while it streams, and a look that does not depend on
how the text was cut into deltas."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pyte
from conftest import TEST_KEY
from fakeapi import RecordingServer
from textual._compositor import ChopsUpdate, CompositorUpdate, LayoutUpdate
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.pilot import Pilot
from textual.scrollbar import ScrollBar
from ui_helpers import chat_text, idle, make_app, pane_text, screen_text, send, wait_for

from studio.loopback import TextReply, ToolUseReply
from studio.ui.app import StudioApp
from studio.ui.chat import ChatView
from studio.ui.quick_scrollbar import QuickScrollBar
from studio.ui.reply_text import KEPT_SCREENS, ReplyText
from studio.ui.reply_view import AssistantMessage

SIZE = (120, 36)

SECTION = """\
## Survey {n}

The boats came back with **{n} soundings** a mile, logged by the `depth-logger` twice.

- the north channel is deeper than charted
- buoy {n} drifted forty metres east

```python
def sounding_{n}(depth_m: float, tide_m: float) -> float:
    return round(depth_m - tide_m, 1)
```

> The sea does not read the chart.

---

"""


def long_markdown(sections: int) -> str:
    return (
        "# Opening of the harbour report\n\nWhat the survey found.\n\n"
        + "".join(SECTION.format(n=n) for n in range(sections))
        + "Signed at the end, Marlowe."
    )


@asynccontextmanager
async def report_shown(
    server: RecordingServer, tmp_path: Path, text: str, chunk_size: int
) -> AsyncIterator[tuple[Pilot[None], StudioApp]]:
    """The studio once `text`, Claude's reply to one message sent in chunks, has streamed in and
    its last words are on screen."""
    server.queue(TextReply(text, chunk_size=chunk_size))
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "The whole report, please.")
        await idle(pilot, app)
        await wait_for(pilot, lambda: "Signed at the end, Marlowe." in chat_text(app))
        yield pilot, app


def scroll_to_survey(chat: ChatView, body: ReplyText, n: int) -> None:
    """Scroll the chat to the heading "Survey n" of the reply's text."""
    row = next(y for y, line in enumerate(body.all_lines()) if line.text.strip() == f"Survey {n}")
    chat.scroll_to(y=body.region.y - chat.region.y + chat.scroll_y + row, animate=False)


async def test_a_long_reply_shows_its_last_words_its_first_words_and_its_markdown(
    server: RecordingServer, tmp_path: Path
) -> None:
    text = long_markdown(60)  # ~17 KB: many settled stretches and a live tail
    async with report_shown(server, tmp_path, text, chunk_size=37) as (pilot, app):
        # the last heading, rendered, once the room kept below streaming text is gone
        await wait_for(pilot, lambda: "Survey 59" in chat_text(app))
        shown = chat_text(app)
        assert "## Survey" not in shown and "```" not in shown and "**" not in shown
        assert "def sounding_59(depth_m: float, tide_m: float) -> float:" in shown
        reply = app.query_one(AssistantMessage)
        assert reply.text == text
        assert len(reply.query(ReplyText)) == 1  # one widget for the text, however long
        chat = app.query_one(ChatView)
        chat.scroll_home(animate=False)
        await wait_for(pilot, lambda: "Opening of the harbour report" in chat_text(app))
        shown = chat_text(app)
        assert "# Opening" not in shown
        assert "The boats came back with 0 soundings a mile, logged by the depth-logger twice." in shown


async def test_the_middle_of_a_very_long_reply_shows_when_scrolled_to(
    server: RecordingServer, tmp_path: Path
) -> None:
    """Over 3,000 lines: the chat's and the reply's spatial maps are coarser (coarse_map.py), and
    what is drawn where the writer scrolls must still be the text that is there."""
    text = long_markdown(200)
    async with report_shown(server, tmp_path, text, chunk_size=4000) as (pilot, app):
        body = app.query_one(ReplyText)
        assert body.size.height > 3000
        chat = app.query_one(ChatView)
        for n in (100, 37, 163):
            scroll_to_survey(chat, body, n)
            await wait_for(pilot, lambda n=n: f"buoy {n} drifted forty metres east" in chat_text(app))
            assert f"Survey {n + 2}" not in chat_text(app)


async def test_the_chat_follows_a_streaming_reply_down(server: RecordingServer, tmp_path: Path) -> None:
    lines = [f"Line {n} of the log, written as it happened." for n in range(300)]
    server.queue(TextReply("\n\n".join(lines), chunk_size=20, chunk_delay=0.004))
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "The log, please.")
        chat = app.query_one(ChatView)
        seen: list[int] = []
        await wait_for(pilot, lambda: bool(app.query(AssistantMessage)))
        reply = app.query_one(AssistantMessage)
        for wanted in (60, 150, 240):
            await wait_for(pilot, lambda w=wanted: f"Line {w} of the log" in reply.text)
            await pilot.pause(0.15)
            assert app.session.running, "the reply ended before the chat was checked"
            newest = max(int(w) for w in _line_numbers(chat_text(app)))
            seen.append(newest)
            assert chat.scroll_y == chat.max_scroll_y  # still at the bottom
            assert newest >= wanted - 5  # and the newest lines are what is on screen
        assert seen == sorted(seen)
        await idle(pilot, app)
        await wait_for(pilot, lambda: "Line 299 of the log" in chat_text(app))


async def test_the_words_before_a_tool_call_leave_no_gap_while_the_call_streams(
    server: RecordingServer, tmp_path: Path
) -> None:
    """The room kept below streaming text goes once a tool call starts: no blank stretch sits
    between Claude's words and "writing …" while save_draft streams in."""
    content = "A line of the draft.\n" * 400
    server.queue(
        ToolUseReply(
            "save_draft", {"filename": "gap.md", "content": content}, text="Saving it now.", chunk_delay=0.01
        ),
        TextReply("Saved."),
    )
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Save a draft.")
        editor = app.main_screen.draft_pane.editor
        await wait_for(pilot, lambda: "A line of the draft." in editor.text and app.session.running)
        await pilot.pause()
        rows = [row.strip(" │") for row in pane_text(app, "#chat").splitlines()]
        said = next(n for n, row in enumerate(rows) if "Saving it now." in row)
        status = next(n for n, row in enumerate(rows) if "writing …" in row)
        assert status - said <= 2, "\n".join(rows[said : status + 1])
        await idle(pilot, app)


def _line_numbers(shown: str) -> list[str]:
    words = shown.split()
    return [words[i + 1] for i, word in enumerate(words[:-1]) if word == "Line" and words[i + 1].isdigit()]


class OneReply(App[None]):
    def __init__(self, widget: ReplyText) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


async def test_text_streamed_in_pieces_looks_as_the_whole_text_rendered_at_once() -> None:
    """Settling stretch by stretch must not change a single line: same words, same styles."""
    text = long_markdown(12) + "\n\n1. one\n2. two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"

    async def lines(widget: ReplyText, pieces: list[str], shown: bool = False) -> list[list[tuple[str, str]]]:
        app = OneReply(widget)
        async with app.run_test(size=(90, 30)) as pilot:
            for piece in pieces:
                widget.write(piece)
                await pilot.pause(0.001)
            if shown:  # the end on screen before the text is complete: its lines are kept
                await wait_for(pilot, lambda: widget.source == text and not widget._pending)
                await pilot.pause()
            widget.settle()
            await pilot.pause()
            return [[(seg.text, str(seg.style)) for seg in row if seg.text] for row in widget.all_lines()]

    whole = await lines(ReplyText(text), [])
    assert len(whole) > 200
    for size, shown in ((7, False), (23, False), (400, False), (23, True)):
        streamed = await lines(ReplyText(), [text[i : i + size] for i in range(0, len(text), size)], shown)
        assert streamed == whole, f"in pieces of {size}" + (", the end shown first" if shown else "")


async def test_selected_reply_text_copies_as_shown() -> None:
    """A selection in the reply (mouse drag, then copy) takes the words as drawn."""
    from textual.geometry import Offset
    from textual.selection import Selection

    widget = ReplyText("## Tide tables\n\nThe **spring** tide comes at dawn.\n")
    app = OneReply(widget)
    async with app.run_test(size=(60, 10)) as pilot:
        await pilot.pause()
        app.screen.selections = {widget: Selection(Offset(0, 2), Offset(10, 2))}
        assert app.screen.get_selected_text() == "The spring"
        app.screen.selections = {widget: Selection(None, None)}
        everything = " ".join((app.screen.get_selected_text() or "").split())
        assert everything == "Tide tables The spring tide comes at dawn."


async def test_what_reaches_the_terminal_is_the_screen(server: RecordingServer, tmp_path: Path) -> None:
    """Every frame a streaming reply sends (partial updates confined to the chat, the compositor
    rendering only the widgets they touch: cropped_compositor.py), replayed on a terminal emulator
    as a real terminal would: what each one paints is what the whole screen shows there then."""
    lines = [f"Entry {n}: the tide came in at {n % 12} o'clock." for n in range(120)]
    server.queue(TextReply("\n\n".join(lines), chunk_size=30, chunk_delay=0.002))
    app = make_app(server, TEST_KEY, tmp_path)
    terminal = pyte.Screen(*SIZE)
    feed = pyte.Stream(terminal).feed
    wrong: list[tuple[int, str, str]] = []  # (row, painted, the screen's) where they differ
    partial, whole = 0, 0

    async with app.run_test(size=SIZE) as pilot:
        display = app._display

        def replay(screen: Any, renderable: Any) -> None:
            nonlocal partial, whole
            display(screen, renderable)
            if isinstance(renderable, LayoutUpdate):
                whole += 1
            if not whole:  # the terminal starts from a whole frame
                return
            if isinstance(renderable, CompositorUpdate):
                feed(renderable.render_segments(app.console))
            if isinstance(renderable, ChopsUpdate):
                partial += 1
                shown = screen_text(app).split("\n")
                for y, x1, x2 in renderable.spans:
                    if terminal.display[y][x1:x2] != shown[y][x1:x2]:
                        wrong.append((y, terminal.display[y][x1:x2], shown[y][x1:x2]))

        app._display = replay  # type: ignore[method-assign]
        app.screen.refresh()  # a whole frame
        await wait_for(pilot, lambda: whole > 0)
        await send(pilot, "The tide log, please.")
        await idle(pilot, app)
        await wait_for(pilot, lambda: "Entry 119: the tide came in at 11 o'clock." in chat_text(app))
        await pilot.pause(0.2)
    assert partial > 10  # the reply came in partial updates, not whole frames
    assert wrong == []


async def test_a_long_reply_keeps_a_few_screens_drawn_and_draws_the_rest_again_when_shown(
    server: RecordingServer, tmp_path: Path
) -> None:
    text = long_markdown(120)
    async with report_shown(server, tmp_path, text, chunk_size=500) as (pilot, app):
        body = app.query_one(ReplyText)
        chat = app.query_one(ChatView)
        for n in (3, 90, 0, 119):
            if n:
                scroll_to_survey(chat, body, n)
            else:
                chat.scroll_home(animate=False)
            want = "What the survey found." if n == 0 else f"buoy {n} drifted forty metres east"
            await wait_for(pilot, lambda want=want: want in chat_text(app))
            kept = sum(len(s.lines) for s in body._stretches if s.lines is not None)
            assert kept <= KEPT_SCREENS * SIZE[1] + 80  # a few screens, not the reply's 4,000 lines
        assert body.size.height > 2000


async def test_a_streaming_reply_grows_in_one_layout_pass_each_time(
    server: RecordingServer, tmp_path: Path
) -> None:
    """Each time the reply outgrows its room the screen is laid out once (laid_out_once.py), not
    once more a frame later to no effect, painting the chat column again."""
    lines = [f"Entry {n}: the tide came in at {n % 12} o'clock." for n in range(300)]
    server.queue(TextReply("\n\n".join(lines), chunk_size=40, chunk_delay=0.002))
    app = make_app(server, TEST_KEY, tmp_path)
    passes: list[bool] = []  # per layout pass while the reply streams: whether it changed a size
    async with app.run_test(size=SIZE) as pilot:
        await idle(pilot, app)
        compositor = app.screen._compositor
        reflow = compositor.reflow

        def counted(parent: Any, size: Any) -> Any:
            result = reflow(parent, size)
            if any(body._streaming for body in app.query(ReplyText)):
                passes.append(bool(result.resized or result.shown or result.hidden))
            return result

        compositor.reflow = counted  # type: ignore[method-assign]
        await send(pilot, "The tide log, please.")
        await wait_for(pilot, lambda: "Entry 299:" in chat_text(app))
        await idle(pilot, app)
    grew, idle_passes = passes.count(True), passes.count(False)
    assert grew > 10  # the reply outgrew its room many times
    assert idle_passes <= grew // 5  # one a growth before laid_out_once.py; a few as it starts now


async def test_the_chat_scrollbar_looks_as_textuals_own(server: RecordingServer, tmp_path: Path) -> None:
    """The chat's scrollbar styles one row of each kind and repeats it (quick_scrollbar.py): what it
    draws is what Textual's draws, wherever the thumb is, and under the mouse."""
    async with report_shown(server, tmp_path, long_markdown(30), chunk_size=500) as (pilot, app):
        chat = app.query_one(ChatView)
        bar = chat.vertical_scrollbar
        assert isinstance(bar, QuickScrollBar) and bar.display
        whole = Region(0, 0, bar.size.width, bar.size.height)
        for y in (0, 7, chat.max_scroll_y // 2, chat.max_scroll_y):
            for hover in (False, True):
                chat.scroll_to(y=y, animate=False)
                bar.mouse_over = hover
                await pilot.pause()
                bar.refresh()  # each draws afresh, not from rows the other left in the cache
                drawn = bar.render_lines(whole)
                bar.refresh()
                assert drawn == ScrollBar.render_lines(bar, whole)
                assert len({str(list(line)) for line in drawn}) > 2  # the track, the thumb, its ends


async def test_a_turn_repaints_the_chat_not_the_whole_screen(server: RecordingServer, tmp_path: Path) -> None:
    """A turn's start and end change what the keys do (Escape stops a reply): the footer shows
    it, and the rest of the screen is not painted again for it. The frame with a reply's last
    words used to be the whole screen, 15-30 ms where the chat takes a few."""
    server.queue(TextReply("The tide turned at noon.", chunk_size=4, chunk_delay=0.1))
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await idle(pilot, app)
        display, whole = app._display, []

        def counted(screen: Any, renderable: Any) -> None:
            if isinstance(renderable, LayoutUpdate):
                whole.append(renderable)
            display(screen, renderable)

        app._display = counted  # type: ignore[method-assign]
        await send(pilot, "When did the tide turn?")
        await wait_for(pilot, lambda: "esc Stop" in screen_text(app))
        await wait_for(pilot, lambda: "The tide turned at noon." in chat_text(app))
        await idle(pilot, app)
        await pilot.pause(0.2)
        assert "esc Stop" not in screen_text(app)
    assert whole == []


async def test_a_replys_last_words_are_painted_before_its_costs(
    server: RecordingServer, tmp_path: Path
) -> None:
    """The frame that first shows a reply's last words paints the chat alone: the sidebar's
    figures and the reply's cost line follow in later frames, not in that one."""
    words = " ".join(f"wave{n}" for n in range(400)) + " and the last words, Marlowe."
    server.queue(TextReply(words, chunk_size=40, chunk_delay=0.005))
    app = make_app(server, TEST_KEY, tmp_path)
    first: list[list[tuple[int, int, int]]] = []  # the spans of the frame that showed them
    async with app.run_test(size=SIZE) as pilot:
        await idle(pilot, app)
        display = app._display

        def watched(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if not first and "the last words, Marlowe." in chat_text(app):
                spans = renderable.spans if isinstance(renderable, ChopsUpdate) else [(0, 0, SIZE[0])]
                first.append(list(spans))

        app._display = watched  # type: ignore[method-assign]
        await send(pilot, "The whole log, please.")
        await wait_for(pilot, lambda: bool(first) and "$" in pane_text(app, "#sidebar"))
        await idle(pilot, app)
        chat = app.query_one("#chat-pane").region
    assert first and all(chat.x <= x1 and x2 <= chat.right for _y, x1, x2 in first[0])
