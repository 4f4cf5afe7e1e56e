"""A terminal nobody can hijack: outside text carrying escape sequences, in the installed `studio` in a
real pty. The assertions read the raw bytes the program wrote to the terminal, not only pyte's screen.

Each hostile string carries eight sequences a terminal would obey: OSC 0 and OSC 2 (set the title),
OSC 52 (put text on the clipboard), leave the alternate screen, RIS (reset), clear the screen, a C1
CSI (U+009B) and a right-to-left override. Each is followed by a marker, so studio's own use of a
sequence (it leaves the alternate screen when it quits) is never mistaken for the hostile one.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import TEST_KEY
from fakeapi import HttpError
from terminal import ENTER, START_TIMEOUT, STEP_TIMEOUT, Terminal, wait_for_main_screen

from studio.loopback import LoopbackServer, TextReply, ToolUseReply

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal"),
]

CTRL_O = "\x0f"
DOWN = "\x1b[B"
HOSTILE = (
    "T0\x1b]0;PWNTITLE0\x07 T2\x1b]2;PWNTITLE2\x1b\\ CB\x1b]52;c;ZWNobyBQV05FRA==\x07 "
    "AS\x1b[?1049lQ RS\x1bcQ CL\x1b[2JQ C1\x9b2JQ BD\u202eQ"
)
# The bytes a terminal would obey, as they would arrive if the text were written raw.
FORBIDDEN = {
    "OSC 0 title": b"\x1b]0;PWNTITLE0",
    "OSC 2 title": b"\x1b]2;PWNTITLE2",
    "OSC 52 clipboard": b"\x1b]52;",
    "leave the alternate screen": b"\x1b[?1049lQ",
    "reset (RIS)": b"\x1bcQ",
    "clear the screen": b"\x1b[2JQ",
    "C1 CSI": "\x9b".encode(),
    "right-to-left override": "\u202e".encode(),
}


def assert_not_obeyed(written: bytes, where: str) -> None:
    obeyed = [name for name, sequence in FORBIDDEN.items() if sequence in written]
    assert not obeyed, f"{where}: the terminal received {', '.join(obeyed)}"


def step(term: Terminal, marker: str, where: str, act: Callable[[], None]) -> None:
    """Do `act`, wait for `marker` on screen, then check every byte written meanwhile."""
    start = len(term.output)
    act()
    term.wait_until(
        lambda: marker in term.text() and "␛" in term.text(),
        STEP_TIMEOUT,
        f"{marker} with its escape shown as ␛",
    )
    term.pump(0.3)  # whatever else that frame wrote
    assert_not_obeyed(bytes(term.output[start:]), where)


def send(term: Terminal, text: str) -> Callable[[], None]:
    def act() -> None:
        term.type(text)
        term.send(ENTER)

    return act


def test_outside_text_is_shown_never_obeyed(
    server: LoopbackServer, tmp_path: Path, terminal: Callable[..., Terminal]
) -> None:
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "opened.md").write_text(f"OPENEDFILE {HOSTILE}\n", encoding="utf-8")
    term = terminal("--drafts-dir", str(drafts), key=TEST_KEY, base_url=server.base_url)
    wait_for_main_screen(term)

    server.queue(TextReply(f"REPLYTEXT {HOSTILE} REPLYEND"))
    step(term, "REPLYEND", "a reply", send(term, "one"))

    server.queue(HttpError.invalid_request(f"ERRORMSG {HOSTILE}"))
    step(term, "ERRORMSG", "an API error message", send(term, "two"))

    server.queue(ToolUseReply(f"TOOLNAME{HOSTILE}", {}), TextReply("TOOLDONE"))
    step(term, "TOOLDONE", "a tool name", send(term, "three"))
    assert "TOOLNAME" in term.text()

    content = f"SAVEDTEXT {HOSTILE}\n"
    server.queue(
        ToolUseReply(
            "save_draft", {"filename": "saved.md", "content": content}, json_chunk_size=15, chunk_delay=0.02
        ),
        TextReply("SAVEDONE"),
    )
    step(term, "SAVEDONE", "save_draft's live preview and result", send(term, "four"))
    assert "SAVEDTEXT" in term.text()
    # The writer's bytes stay exactly as they were, on disk.
    assert (drafts / "saved.md").read_text(encoding="utf-8") == content

    def open_draft() -> None:  # the list is newest first: saved.md, then opened.md
        term.send(CTRL_O)
        term.expect_text("Open a draft")
        term.send(DOWN)
        term.send(ENTER)

    step(term, "OPENEDFILE", "a draft opened with Ctrl+O", open_draft)

    assert b"\x1b]0;" not in term.output and b"\x1b]2;" not in term.output, "the title was set"
    assert b"\x1b[?1049l" not in term.output, "the alternate screen was left before quitting"
    term.quit()


def test_a_draft_opened_with_escapes_is_saved_back_byte_for_byte(
    tmp_path: Path, terminal: Callable[..., Terminal]
) -> None:
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    original = f"KEEPME {HOSTILE}\r\n\x7f\x01 end\n".encode()
    (drafts / "keep.md").write_bytes(original)
    term = terminal("--drafts-dir", str(drafts), key=TEST_KEY)
    term.expect_text("Enter sends", START_TIMEOUT)
    term.send(CTRL_O)
    term.expect_text("Open a draft")
    start = len(term.output)
    term.send(ENTER)
    term.expect_text("KEEPME")
    term.send("Z")  # a change, so Ctrl+S writes the file again
    term.expect_text("●")
    term.send("\x7f")  # and back: the text is the file's once more
    term.send("\x13")  # Ctrl+S
    term.expect_text("saved ")
    assert_not_obeyed(bytes(term.output[start:]), "the draft editor")
    assert (drafts / "keep.md").read_bytes() == original
    term.quit()
