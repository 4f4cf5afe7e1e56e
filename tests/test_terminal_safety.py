"""Outside text is shown, never obeyed: what `visible` makes of control characters, and what the screen
shows for a reply, a pasted message and a draft holding them (the draft's bytes unchanged)."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import TEST_KEY
from fakeapi import RecordingServer
from rich.segment import Segment
from textual.color import Color
from ui_helpers import chat_text, idle, make_app, pane_text, screen_text, send, wait_for

from studio.core.visible import visible, visible_same_length, without_controls
from studio.loopback import TextReply
from studio.ui.dialogs import OpenDraft
from studio.ui.editor import DraftEditor
from studio.ui.safe_lines import NoControls

SIZE = (120, 36)
ESCAPES = "\x1b]0;TITLE\x07\x1b]52;c;ZWNobw==\x07\x1b[?1049l\x1bc\x1b[2J\x9b2J\u202e"


def test_visible_shows_every_control_and_bidi_character_and_keeps_tab_and_newline() -> None:
    assert visible("a\x1b[2Jb") == "a␛[2Jb"
    assert visible("\r\x07\x00\x7f") == "␍␇␀␡"
    assert visible("\x9b") == "⟨U+009B⟩"
    assert visible("abc\u202edef\u2066\u200f\u061c") == "abc⟨U+202E⟩def⟨U+2066⟩⟨U+200F⟩⟨U+061C⟩"
    assert visible("tab\there\nnext «é» 日本") == "tab\there\nnext «é» 日本"
    shown = visible("".join(map(chr, range(0x100))) + "\u202a\u202b\u202c\u202d\u2067\u2068\u2069\u200e")
    assert not any(ch in shown for ch in map(chr, [*range(0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]))
    assert not any(ch in shown for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e")


def test_visible_same_length_keeps_positions() -> None:
    text = "a\x1bb\x9bc\u202ed\te"
    assert len(visible_same_length(text)) == len(text)
    assert visible_same_length(text) == "a␛b\ufffdc\ufffdd\te"


def test_the_line_filter_removes_controls_and_keeps_styles_and_width() -> None:
    line = [Segment("plain ", None), Segment("bad\x1b]52;c;x\x07\x9b", None), Segment(" end", None)]
    cleaned = NoControls().apply(line, Color(0, 0, 0))
    assert "".join(s.text for s in cleaned) == "plain bad]52;c;x end"
    assert sum(s.cell_length for s in cleaned) == sum(s.cell_length for s in line)
    untouched = [Segment("nothing to do", None)]
    assert NoControls().apply(untouched, Color(0, 0, 0)) is untouched
    assert without_controls("ok\tok\n") == "ok\tok\n"


def test_line_filter_cost_on_a_busy_frame() -> None:
    """A 200x50 frame of 4 segments a line, nothing to remove: the usual case costs little."""
    lines = [[Segment("x" * 50, None) for _ in range(4)] for _ in range(50)]
    apply = NoControls().apply
    start = time.perf_counter()
    for _ in range(100):
        for line in lines:
            apply(line, Color(0, 0, 0))
    per_frame_ms = (time.perf_counter() - start) * 1000 / 100
    assert per_frame_ms < 5, f"{per_frame_ms:.2f} ms a frame"


async def test_a_reply_and_a_pasted_message_show_escapes_as_pictures(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(TextReply(f"REPLY {ESCAPES} END"))
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=(200, 60)) as pilot:
        await send(pilot, f"PASTED {ESCAPES}")
        await idle(pilot, app)
        await wait_for(pilot, lambda: "END" in chat_text(app))
        chat = chat_text(app).replace(" ", "")  # wrapped rows joined
        shown = "␛]0;TITLE␇␛]52;c;ZWNobw==␇␛[?1049l␛c␛[2J⟨U+009B⟩2J⟨U+202E⟩"
        assert f"PASTED{shown}" in chat and f"REPLY{shown}END" in chat
        assert "\x1b" not in screen_text(app) and "\x9b" not in screen_text(app)
        # The conversation keeps what was said: the API sees the writer's own bytes.
        assert ESCAPES in server.message_requests[0].json["messages"][0]["content"][0]["text"]


async def test_the_editor_shows_controls_keeps_the_bytes_and_the_cursor_moves(tmp_path: Path) -> None:
    original = f"top\nESC {ESCAPES} tail\rlone CR\x0bVT\u2028LS\r\nCRLF\n"
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "odd.md").write_bytes(original.encode())
    app = make_app(None, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, OpenDraft))
        await pilot.press("enter")
        editor = app.query_one(DraftEditor)
        await wait_for(pilot, lambda: editor.text == original)
        shown = pane_text(app, "#draft")
        assert "ESC ␛]0;TITLE␇" in shown and "tail␍lone CR␋VT\ufffdLS␍" in shown
        assert "\x1b" not in shown
        # The cursor walks the line character by character, past the controls.
        editor.move_cursor((1, 0))
        for _ in range(30):  # through ESC, BEL, OSC and C1 characters
            await pilot.press("right")
        assert editor.cursor_location == (1, 30)
        assert editor.selected_text == ""
        await pilot.press("shift+left", "shift+left")
        assert editor.selected_text == original.split("\n")[1][28:30]
        await pilot.press("right")
        await pilot.press("Z")
        assert editor.text != original
        await pilot.press("backspace")
        assert editor.text == original
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "saved" in pane_text(app, "#draft"))
        assert (tmp_path / "drafts" / "odd.md").read_bytes() == original.encode()
