"""End to end, in a real pseudo-terminal: the installed `studio` asks Haiku for a title after the
first reply (header, sidebar row, F5), and F9 / F12 write the reply's and the draft's text to the
terminal as OSC 52 (ESC ] 52 ; c ; base64 BEL), the sequence a terminal, or an SSH client's
terminal, puts on the system clipboard."""

from __future__ import annotations

import base64
import sys

import pytest
from conftest import TEST_KEY
from fakeapi import RecordingServer
from terminal import ENTER, TAB, Studios, Terminal, wait_for_main_screen

from studio.core.titles import TITLE_MODEL
from studio.loopback import TextReply

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal"),
]

F5 = "\x1b[15~"
F9 = "\x1b[20~"
F12 = "\x1b[24~"
REPLY = "# Rain\n\nGrey rain on the tiles, a line long enough to wrap in the chat pane of this terminal.\n"


def osc52(text: str) -> bytes:
    return b"\x1b]52;c;" + base64.b64encode(text.encode()) + b"\x07"


def test_f9_and_f12_write_the_text_as_written_in_osc_52(server: RecordingServer, studios: Studios) -> None:
    server.queue(TextReply(REPLY))
    term = studios.start(key=TEST_KEY, base_url=server.base_url)
    wait_for_main_screen(term)
    term.type("Rain, please")
    term.send(ENTER)
    term.expect_text("Grey rain on the tiles")
    term.send(F9)
    term.expect_text("Copied the last reply (")
    assert osc52(REPLY) in term.output

    term.send(TAB)  # into the draft
    term.type("Draft words")
    term.send(F12)
    term.expect_text("Copied the draft (2 words)")
    assert osc52("Draft words") in term.output
    term.send("\x11")  # Ctrl+Q: the draft has unsaved changes, so it asks
    term.expect_text("Quit without saving")
    term.send(TAB + ENTER)
    term.exits_cleanly()


def test_haiku_titles_the_conversation_in_the_header_the_sidebar_and_f5(
    server: RecordingServer, studios: Studios
) -> None:
    server.queue(TextReply("Grey rain on the tiles.", input_tokens=1000, output_tokens=200))
    term: Terminal = studios.start(key=TEST_KEY, base_url=server.base_url, titles=True)
    wait_for_main_screen(term)
    term.type("Write a haiku about rain on the roofs of Lisbon")
    term.send(ENTER)
    term.expect_text("studio · Write a haiku about rain")
    term.expect_text("title Haiku 4.5  $0.000")
    assert [r.json["model"] for r in server.message_requests] == ["claude-sonnet-4-6", TITLE_MODEL]
    term.send(F5)
    rows = term.expect_text("+ New conversation").splitlines()
    listed = rows[next(i for i, row in enumerate(rows) if "+ New conversation" in row) + 1]
    assert "Write a haiku about rain" in listed and "roofs" not in listed  # Haiku's, not the message
    term.send("\x1b")
    term.quit()
