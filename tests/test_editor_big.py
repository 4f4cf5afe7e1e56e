"""A megabyte in the draft editor, as a writer meets it: it opens, shows its end, takes keys where
the cursor is, saves them; Claude's long save_draft lands exactly and one Ctrl+Z takes it back;
what the speed-ups skip (Markdown colours past a size, Textual's own row drawing) changes nothing
a writer could see but the colours."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import TEST_KEY
from fakeapi import RecordingServer
from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets import TextArea
from textual.widgets.text_area import Selection
from ui_helpers import chat_text, flat, idle, make_app, open_first_draft, pane_text, send, wait_for

from studio.loopback import TextReply, ToolUseReply
from studio.ui.draft_pane import AUTOSAVE_SECONDS
from studio.ui.editor import HIGHLIGHT_LIMIT, DraftEditor
from studio.ui.long_rows import LONG_LINE_ROWS

SIZE = (120, 36)
SENTENCE = "The launch is on Tuesday and every writer gets the new editor. "


def one_line(size: int, last: str = "THE VERY LAST WORDS") -> str:
    body = (SENTENCE * (size // len(SENTENCE) + 1))[: size - len(last) - 1]
    return f"{body} {last}"


def big_draft_app(tmp_path: Path) -> tuple[str, App[object]]:
    """A studio whose drafts folder holds big.md: 990 KB on one line (the folder takes up to
    1,000,000 bytes)."""
    text = one_line(990_000)
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "big.md").write_text(text)
    return text, make_app(None, TEST_KEY, tmp_path)


def editor_of(app: App[object]) -> DraftEditor:
    return app.query_one(DraftEditor)


def shown(app: App[object]) -> str:
    """The draft pane's words, rows joined: a phrase may wrap."""
    return flat(pane_text(app, "#draft"))  # type: ignore[arg-type]


async def test_a_megabyte_on_one_line_opens_shows_its_end_and_takes_keys_there(tmp_path: Path) -> None:
    text, app = big_draft_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_draft(pilot, app, text)
        await pilot.pause()
        assert "The launch is on Tuesday" in shown(app)
        editor = editor_of(app)
        editor.move_cursor(editor.document.end)  # a TextArea has no key for the end of the text
        await pilot.press("end")
        await pilot.pause()
        assert "THE VERY LAST WORDS" in shown(app)
        for key in ["space", "o", "k"]:
            await pilot.press(key)
        await pilot.pause()
        assert "THE VERY LAST WORDS ok" in shown(app)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "●" not in pane_text(app, "#draft"))
        assert (tmp_path / "drafts" / "big.md").read_text() == text + " ok"


async def test_keys_in_the_middle_of_a_long_line_land_at_the_cursor_and_undo(tmp_path: Path) -> None:
    text, app = big_draft_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_draft(pilot, app, text)
        editor = editor_of(app)
        editor.focus()
        editor.move_cursor((0, 500_000 + text[500_000:].index(" ")), center=True)
        column = editor.cursor_location[1]
        for key in ["space", "N", "E", "W"]:
            await pilot.press(key)
        await pilot.press("down")  # one row down, as drawn: the row below the cursor's
        row_below = editor.cursor_location[1]
        assert 0 < row_below - column - 4 <= editor.wrap_width
        await pilot.pause()
        assert " NEW " in shown(app)
        typed = text[:column] + " NEW" + text[column:]
        assert editor.text == typed
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "●" not in pane_text(app, "#draft"))
        assert (tmp_path / "drafts" / "big.md").read_text() == typed
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert editor.text == text


async def test_a_long_save_draft_lands_exactly_and_one_undo_takes_it_back(
    server: RecordingServer, tmp_path: Path
) -> None:
    """300 KB on one line streamed into the editor, with a lone CR and a line separator that the
    editor must keep as they are: exact in the editor and on disk; Ctrl+Z brings the writer's
    text back, and Ctrl+Y Claude's again."""
    content = one_line(300_000).replace("Tuesday", "Tues\rday", 3).replace("writer", "wri\u2028ter", 2)
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "notes.md").write_text("My own notes.")
    server.queue(
        ToolUseReply(
            "save_draft",
            {"filename": "notes.md", "content": content},
            text="Writing it.",
            json_chunk_size=3000,
            chunk_delay=0.05,  # 5 s of streaming: time to look at it partway
        ),
        TextReply("Saved."),
    )
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_draft(pilot, app, "My own notes.")
        editor = editor_of(app)
        await send(pilot, "Rewrite notes.md as the launch notes")
        await wait_for(pilot, lambda: editor.previewing and len(editor.text) > 10_000)
        assert editor.read_only
        assert "Claude is writing notes.md" in shown(app)
        await idle(pilot, app)
        await pilot.pause(0.1)
        assert editor.text == content
        assert (tmp_path / "drafts" / "notes.md").read_bytes().decode() == content
        assert "save_draft: drafts/notes.md" in chat_text(app)
        editor.focus()
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert editor.text == "My own notes."
        assert "My own notes." in shown(app)
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert editor.text == content


async def test_streaming_text_that_only_grows_is_appended_and_the_writers_text_comes_back(
    tmp_path: Path,
) -> None:
    app = make_app(None, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        editor = editor_of(app)
        editor.focus()
        await pilot.press("M", "i", "n", "e")
        first = "# Notes\n\nThe first paragraph, " * 50
        editor.preview(first, force=True)
        editor.preview(first + "and more\r\nlines\u2028here", force=True)
        assert editor.text == first + "and more\r\nlines\u2028here"
        editor.preview("A different start altogether", force=True)  # not a continuation: shown anew
        await pilot.pause()
        assert editor.text == "A different start altogether"
        assert "A different start altogether" in shown(app)
        assert editor.end_preview() == "Mine"
        assert editor.text == "Mine" and not editor.read_only
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert editor.text == ""


def style_of(app: App[object], word: str) -> object:
    """The style a word is drawn in, on the screen as the terminal gets it."""
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            if word in segment.text:
                return segment.style
    raise AssertionError(f"{word!r} is not on the screen")


async def test_markdown_colours_for_small_drafts_only_and_a_big_paste_keeps_everything(
    tmp_path: Path,
) -> None:
    small = "# Heading\n\nPlain body words.\n"
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "small.md").write_text(small)
    app = make_app(None, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_draft(pilot, app, small)
        await pilot.pause()
        assert style_of(app, "Heading") != style_of(app, "Plain body")
        editor = editor_of(app)
        editor.focus()
        editor.move_cursor((2, 0))
        pasted = "Pasted paragraph. " * (HIGHLIGHT_LIMIT // 18 + 100) + "\n"
        editor.insert(pasted)  # as a paste does
        await pilot.pause()
        assert editor.text == "# Heading\n\n" + pasted + "Plain body words.\n"
        assert editor.cursor_location == (3, 0)
        editor.scroll_home(animate=False)
        await pilot.pause()
        assert style_of(app, "Heading") == style_of(app, "Pasted paragraph")  # plain past the limit
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert editor.text == small


class OneEditor(App[None]):
    def compose(self) -> ComposeResult:
        yield DraftEditor(id="draft")


def cells(strip: Strip) -> list[tuple[str, object]]:
    return [(char, segment.style) for segment in strip for char in segment.text]


WORDS = "Some *emphasis* and `code` in a long line of [links](x) and words. " * 30


@pytest.mark.parametrize(
    "text",
    [
        f"## {WORDS}\n\n> {WORDS}\n\nA short line.",
        f"{WORDS * 40}\x1b and a bell \x07 {WORDS * 2}\n\nA short line.",
    ],
    ids=["markdown-colours", "controls-drawn-visibly"],
)
async def test_rows_of_a_long_line_are_drawn_as_textual_draws_them(text: str) -> None:
    """The cursor, its line, a selection over several rows, Markdown colours (a small draft), or
    control characters drawn visibly (a big one): each row of a long line, drawn from its own
    text, cell for cell what Textual's whole-line drawing gives."""
    async with OneEditor().run_test(size=(70, 20)) as pilot:
        editor = editor_of(pilot.app)
        editor.load_text(text)
        editor.focus()
        end = (0, text.index("\x1b") + 3) if "\x1b" in text else (2, 400)
        editor.selection = Selection((0, end[1] - 700 if end[0] == 0 else 1500), end)
        editor.scroll_cursor_visible(center=True)
        await pilot.pause()
        assert len(editor.wrapped_document.get_offsets(0)) > LONG_LINE_ROWS
        assert bool(editor._highlights) == (len(text) <= HIGHLIGHT_LIMIT)
        for y in range(editor.size.height):
            assert cells(editor._render_line(y)) == cells(TextArea._render_line(editor, y)), f"row {y}"


async def test_the_timer_keeps_a_megabyte_of_unsaved_text_aside(tmp_path: Path) -> None:
    text, app = big_draft_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_draft(pilot, app, text)
        editor = editor_of(app)
        editor.focus()
        await pilot.press("end", "x")
        recovery = Path(os.environ["XDG_STATE_HOME"]) / "studio" / "recovery"

        def kept() -> list[str]:
            return [json.loads(p.read_text())["text"] for p in recovery.glob("*.json")]

        await wait_for(pilot, lambda: bool(kept()), timeout=AUTOSAVE_SECONDS * 3)
        assert kept() == [editor.text] and len(editor.text) == len(text) + 1
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not kept(), timeout=AUTOSAVE_SECONDS * 3)


async def test_keys_typed_while_a_long_save_draft_streams_and_lands_all_land(
    server: RecordingServer, tmp_path: Path
) -> None:
    """300 KB in paragraphs saved over the open draft while the writer types the next message:
    the draft lands in turns of the loop (the last words, then kept), and every key typed
    meanwhile is in the message box, in order; the editor holds exactly the file, and one Ctrl+Z
    brings the writer's text back."""
    paragraph = "The launch is on Tuesday. " * 6 + "\n\n"
    content = "# Launch notes\n\n" + paragraph * (300_000 // len(paragraph)) + "THE END"
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "notes.md").write_text("My own notes.")
    server.queue(
        ToolUseReply(
            "save_draft",
            {"filename": "notes.md", "content": content},
            json_chunk_size=6000,
            chunk_delay=0.05,  # about 2.5 s of streaming
        ),
        TextReply("Saved."),
    )
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_draft(pilot, app, "My own notes.")
        editor = editor_of(app)
        await send(pilot, "Rewrite notes.md as the launch notes")
        await wait_for(pilot, lambda: editor.previewing)
        typed = ""
        while app.session.running or editor.previewing:
            key = "abcdefghij"[len(typed) % 10]
            await pilot.press(key)
            typed += key
        await idle(pilot, app)
        await pilot.pause(0.1)
        assert len(typed) >= 5
        assert app.main_screen.chat_pane.prompt.text == typed
        assert editor.text == content == (tmp_path / "drafts" / "notes.md").read_text()
        editor.focus()
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert editor.text == "My own notes."
