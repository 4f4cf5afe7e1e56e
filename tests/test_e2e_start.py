"""End to end: keys typed the moment the studio appears are never lost.

The first frame is the frame and the message box alone (studio/ui/opening.py); the writing screen
takes its place right after, and its sidebar's figures, the draft's highlighting and what the store
holds follow (studio/ui/main_screen.py). A writer who starts typing at once must find every key
where it went: in the message box (and sent), or in the draft after Tab.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest
from conftest import TEST_KEY
from fakeapi import RecordingServer
from terminal import ENTER, START_TIMEOUT, STEP_TIMEOUT, TAB, Terminal

from studio.loopback import TextReply

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal"),
]


def first_paint(term: Terminal) -> None:
    """As soon as the message box shows its hint: the first frame, nothing more waited for."""
    term.wait_until(lambda: "Enter sends" in term.text(), START_TIMEOUT, "the message box")


def test_a_message_typed_and_sent_at_the_first_frame_arrives(
    server: RecordingServer, terminal: Callable[..., Terminal]
) -> None:
    server.queue(TextReply("EARLYREPLY noted.", input_tokens=1000, output_tokens=200))
    term = terminal(key=TEST_KEY, base_url=server.base_url)
    first_paint(term)
    term.send("typed at once" + ENTER)  # before the sidebar, the highlighting or the engine exist

    term.expect_text("EARLYREPLY noted.")
    (request,) = server.message_requests
    assert request.json["messages"][-1]["content"][-1]["text"] == "typed at once"
    term.expect_text("Next message")  # the panes that follow the first frame came
    term.expect_text("Draft · untitled")
    term.quit()


def test_words_typed_at_the_first_frame_are_in_the_writing_screens_box_once(
    server: RecordingServer, terminal: Callable[..., Terminal]
) -> None:
    term = terminal(key=TEST_KEY, base_url=server.base_url)
    first_paint(term)
    term.send("first words")  # into the first frame's box, or queued for the writing screen's
    term.expect_text("Next message")  # the writing screen is up
    term.wait_until(lambda: "first words" in term.box_text("─ to "), STEP_TIMEOUT, "the words")
    assert term.box_text("─ to ").count("first words") == 1
    term.type(" and more")
    assert "first words and more" in term.box_text("─ to ")
    term.quit()


def test_a_message_sent_as_the_studio_takes_the_terminal_goes_once_it_is_up(
    server: RecordingServer, terminal: Callable[..., Terminal]
) -> None:
    """Typed with Enter as the screen switches over, before the first frame: the keys reach the
    first frame's message box, and the message goes once the writing screen is up. (Keys typed
    before that, while Python starts, are the terminal's: Textual may not see them.)"""
    server.queue(TextReply("AHEADREPLY noted.", input_tokens=1000, output_tokens=200))
    term = terminal(key=TEST_KEY, base_url=server.base_url)
    term.wait_until(lambda: b"\x1b[?1049h" in term.output, START_TIMEOUT, "the alternate screen")
    term.send("typed ahead" + ENTER + "and the next")
    term.expect_text("AHEADREPLY noted.")
    (request,) = server.message_requests
    assert request.json["messages"][-1]["content"][-1]["text"] == "typed ahead"
    # It left the box for the chat; what was typed after its Enter stays for the next message.
    assert term.box_text("─ to ") == "and the next"
    term.type(", typed on")  # the cursor stayed at its end
    assert term.box_text("─ to ") == "and the next, typed on"
    term.send("\x11")  # Ctrl+Q: a message in the box is kept for next time, nothing asked
    assert term.wait_exit() == 0


def test_ctrl_q_at_the_first_frame_quits_without_a_question(terminal: Callable[..., Terminal]) -> None:
    term = terminal(key=TEST_KEY)
    first_paint(term)
    term.quit()  # nothing typed, nothing to keep: status 0 and the terminal as it was


def test_tab_and_typing_at_the_first_frame_go_into_the_draft_in_order(
    server: RecordingServer, terminal: Callable[..., Terminal]
) -> None:
    term = terminal(key=TEST_KEY, base_url=server.base_url)
    first_paint(term)
    term.send(TAB + "early")
    term.wait_until(lambda: "early" in term.box_text("Draft · untitled"), STEP_TIMEOUT, "the early words")
    # The draft's highlighting arrived after those keys: the cursor stayed where they left it.
    term.send(" and later")
    term.wait_until(
        lambda: "early and later" in term.box_text("Draft · untitled"), STEP_TIMEOUT, "the words in order"
    )
    assert "early" not in term.box_text("─ to ")  # nothing went into the message box
    term.send(TAB)
    term.type("back in the message box")
    assert "back in the message box" in term.box_text("─ to ")
    term.send("\x11")  # Ctrl+Q: the unsaved draft asks first
    term.expect_text("unsaved changes")


def test_tab_typed_while_the_studio_starts_does_not_crash_it(
    server: RecordingServer, terminal: Callable[..., Terminal]
) -> None:
    term = terminal(key=TEST_KEY, base_url=server.base_url)
    term.send(TAB + TAB)  # before the writing screen exists: no box to move to yet
    first_paint(term)
    term.type("still works")
    assert "crashed" not in term.text()
    term.quit()
