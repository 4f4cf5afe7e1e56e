"""Copy as written: F9 (or the palette) copies the last reply's Markdown source, F12 the draft's
exact text, never the wrapped lines on screen. Textual keeps what it handed to the terminal in
`app.clipboard`; the OSC 52 bytes themselves are checked in a pty (test_e2e_copy.py)."""

from __future__ import annotations

from pathlib import Path

from conftest import TEST_KEY
from fakeapi import RecordingServer
from ui_helpers import chat_text, flat, idle, make_app, screen_text, send, wait_for

from studio.loopback import TextReply, ToolUseReply
from studio.ui.editor import DraftEditor

SIZE = (100, 36)

# Longer lines than the chat pane is wide, Markdown marks the screen draws away, a code block.
REPLY = (
    "# Rain over Lisbon\n\n"
    "Grey rain on the tiles, and a line that runs on much longer than the chat pane is wide, "
    "so the screen wraps it twice while the copy keeps it whole.\n\n"
    "- **one**  \n- _two_\n\n"
    "```python\nprint('rain')   # spaces kept\n```\n"
)


async def test_f9_copies_the_last_reply_as_claude_wrote_it(server: RecordingServer, tmp_path: Path) -> None:
    server.queue(TextReply("An earlier reply."), TextReply(REPLY, chunk_size=7))
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("f9")
        await wait_for(pilot, lambda: "No reply to copy yet." in screen_text(app))
        assert app.clipboard == ""

        for text in ("first", "second"):
            await send(pilot, text)
            await idle(pilot, app)
        assert "Rain over Lisbon" in chat_text(app) and "# Rain" not in chat_text(app)  # drawn
        await pilot.press("f9")
        await wait_for(pilot, lambda: "Copied the last reply (" in screen_text(app))
        assert app.clipboard == REPLY  # the source, line breaks as written, not as wrapped
        assert f"Copied the last reply ({len(REPLY.split())} words)." in screen_text(app)


async def test_a_reply_over_tool_rounds_is_copied_round_by_round_without_control_characters(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(
        ToolUseReply("get_word_count", {"text": "one two"}, text="Counting first."),
        TextReply("Two words.\x1b[201~ echo pasted\n"),  # would end a bracketed paste in a shell
    )
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await send(pilot, "count these")
        await idle(pilot, app)
        await pilot.press("f9")
        await wait_for(pilot, lambda: "Copied the last reply" in screen_text(app))
        assert app.clipboard == "Counting first.\n\nTwo words.[201~ echo pasted\n"


async def test_f12_copies_the_draft_byte_for_byte(server: RecordingServer, tmp_path: Path) -> None:
    draft = "# Title\r\n\nA line\twith a tab,  two spaces\nand no line break at the end"
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("f12")
        await wait_for(pilot, lambda: "The draft is empty: nothing to copy." in screen_text(app))
        app.query_one(DraftEditor).load_text(draft)
        await pilot.press("f12")  # from the message box: the key works wherever the focus is
        await wait_for(pilot, lambda: "Copied the draft (" in screen_text(app))
        assert app.clipboard == draft
        assert f"Copied the draft ({len(draft.split())} words)." in screen_text(app)


async def test_the_palette_copies_the_last_reply_and_the_draft(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(TextReply(REPLY))
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await send(pilot, "rain")
        await idle(pilot, app)
        for command, expected in (("Copy last reply", REPLY), ("Copy draft", "Draft text.\n")):
            app.query_one(DraftEditor).load_text("Draft text.\n")
            await pilot.press("ctrl+p")
            await pilot.pause(0.2)
            await pilot.press(*command)
            await wait_for(pilot, lambda c=command: f"{c} " in screen_text(app))
            await pilot.press("enter")
            await wait_for(pilot, lambda e=expected: app.clipboard == e)


async def test_a_reopened_conversation_copies_its_last_reply(server: RecordingServer, tmp_path: Path) -> None:
    server.queue(TextReply("First."), TextReply(REPLY))
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for text in ("one", "two"):
            await send(pilot, text)
            await idle(pilot, app)

    again = make_app(server, TEST_KEY, tmp_path, resume=True)
    async with again.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: "Rain over Lisbon" in chat_text(again))
        await pilot.press("f9")
        await wait_for(pilot, lambda: again.clipboard == REPLY)


async def test_f1_lists_both_keys_and_the_keymap_can_move_them(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(TextReply(REPLY))
    app = make_app(server, TEST_KEY, tmp_path, keymap={"copy_reply": "ctrl+t"})
    async with app.run_test(size=(100, 80), notifications=True) as pilot:  # the whole F1 table
        await pilot.press("f1")
        await wait_for(pilot, lambda: "Copy the last reply as written" in flat(screen_text(app)))
        shown = flat(screen_text(app))
        assert "Ctrl+T Copy the last reply as written" in shown and "F12 Copy the whole draft" in shown
        await pilot.press("escape")
        await send(pilot, "rain")
        await idle(pilot, app)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: app.clipboard == REPLY)
