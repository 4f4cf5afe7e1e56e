"""End to end in a pty: Claude's draft fills the editor live and lands on disk; typing survives a
crash; the offline demo writes a draft. Asserts only on the screen, the files and the exit."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import pytest
from conftest import TEST_KEY
from fakeapi import RecordingServer
from terminal import (
    CTRL_Q,
    ENTER,
    START_TIMEOUT,
    STEP_TIMEOUT,
    TAB,
    Studios,
    Terminal,
    wait_for_main_screen,
)

from studio.loopback import TextReply, ToolUseReply
from studio.loopback.demo import demo_draft

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal"),
]

CTRL_O, CTRL_S = "\x0f", "\x13"
RECOVERY_TIMEOUT = 10.0  # the recovery copy is written every 2 s; a loaded machine may be late


def test_a_claude_s_draft_fills_the_editor_live_then_lands_on_disk(
    server: RecordingServer, studios: Studios, tmp_path: Path
) -> None:
    content = "".join(f"Line {n:02d} of the launch draft.\n" for n in range(1, 41))
    server.queue(
        ToolUseReply(
            "save_draft",
            {"filename": "launch.md", "content": content},
            text="Writing.",
            json_chunk_size=30,
            chunk_delay=0.03,
        ),
        TextReply("Saved."),
    )
    saved = tmp_path / "drafts" / "launch.md"
    term = studios.start(key=TEST_KEY, base_url=server.base_url)
    wait_for_main_screen(term)

    term.type("Write a launch announcement and save it as launch.md")
    term.send(ENTER)
    # Mid-stream: the top of the draft shows, its end has not arrived, nothing is on disk yet.
    term.wait_until(
        lambda: (
            "writing launch.md" in term.text()
            and "Line 01 of" in term.text()
            and "Line 40" not in term.text()
            and not saved.exists()
        ),
        STEP_TIMEOUT,
        "the first lines of the draft while Claude is still writing it",
    )

    term.wait_until(saved.exists, STEP_TIMEOUT, "drafts/launch.md on disk")
    assert saved.read_bytes() == content.encode()
    term.expect_text("Draft · launch.md")
    term.expect_text("Saved.")
    assert "Line 01 of the launch draft." in term.text()
    result = server.message_requests[1].json["messages"][-1]["content"][0]
    assert result["type"] == "tool_result" and result["is_error"] is False
    term.quit()


def test_b_typing_in_the_draft_survives_a_kill(
    server: RecordingServer, studios: Studios, tmp_path: Path
) -> None:
    sentence = "Kept across a crash."
    recovery = tmp_path / "xdg_state_home" / "studio" / "recovery"
    term = studios.start(key=TEST_KEY, base_url=server.base_url)
    wait_for_main_screen(term)
    # The model list is fetched once the app has mounted and focused the message box.
    term.wait_until(
        lambda: any(r.path == "/v1/models" for r in server.requests),
        START_TIMEOUT,
        "the app to ask for the model list",
    )
    term.send(TAB)  # from the message box to the draft
    term.send(sentence)
    term.wait_until(
        lambda: sentence in term.box_text("─ Draft"), STEP_TIMEOUT, "the sentence typed into the draft"
    )
    term.expect_text("Draft · untitled ●")
    term.wait_until(
        lambda: any(sentence in p.read_text(encoding="utf-8") for p in recovery.glob("*.json")),
        RECOVERY_TIMEOUT,
        "the recovery copy of the typed text",
    )
    term.crash()

    term = studios.start(key=TEST_KEY, base_url=server.base_url)
    term.expect_text("was kept when studio last stopped", START_TIMEOUT)
    term.send(ENTER)  # Restore, the first button
    term.wait_until(
        lambda: sentence in term.text() and "last stopped" not in term.text(),
        STEP_TIMEOUT,
        "the restored sentence in the editor",
    )
    assert "Draft · untitled ●" in term.text()

    term.send(CTRL_Q)
    term.expect_text("Save before quitting?")
    term.send(TAB)  # Save -> Quit without saving
    term.send(ENTER)
    term.exits_cleanly()
    assert not list(recovery.glob("*.json")), "quitting without saving forgets the copy"
    assert not (tmp_path / "drafts").exists()


def test_c_the_offline_demo_writes_a_draft(studios: Studios, tmp_path: Path) -> None:
    said = "Write a launch announcement and save it"
    term = studios.start("--demo")
    wait_for_main_screen(term)
    term.type(said)
    term.send(ENTER)
    saved = tmp_path / "drafts" / "launch.md"
    term.wait_until(saved.exists, STEP_TIMEOUT, "the demo's draft in ./drafts")
    assert saved.read_text(encoding="utf-8") == demo_draft(said)
    term.expect_text("Draft · launch.md")
    term.expect_text("# Launch announcement")
    term.expect_text("Saved — the draft is open")
    term.quit()
    # The demo's made-up spend and conversation are kept apart from the writer's own.
    data = tmp_path / "xdg_data_home" / "studio"
    assert (data / "demo.db").exists() and not (data / "studio.db").exists()


def test_d_two_studios_on_one_draft_each_keep_their_own_unsaved_text(
    server: RecordingServer, studios: Studios, tmp_path: Path
) -> None:
    """Two real processes type into the same draft; one saves, the other is killed: a third start
    offers the killed one's text back, word for word. The second was told the draft was open."""
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "shared.md").write_text("Start.\n")
    recovery = tmp_path / "xdg_state_home" / "studio" / "recovery"

    def open_shared(term: Terminal) -> None:
        wait_for_main_screen(term)
        term.wait_until(lambda: "Draft · untitled" in term.text(), START_TIMEOUT, "the draft pane")
        term.send(CTRL_O)
        term.expect_text("shared.md")
        term.send(ENTER)

    first = studios.start(key=TEST_KEY, base_url=server.base_url)
    open_shared(first)
    first.expect_text("Draft · shared.md")
    second = studios.start(key=TEST_KEY, base_url=server.base_url)
    open_shared(second)
    told = second.expect_text("is open in another studio")
    assert f"process {first.child.pid}, since" in " ".join(told.split())
    second.send(ENTER)  # Open anyway
    second.expect_text("Draft · shared.md")

    mine, theirs = "Alpha saves this.", "Beta wrote these words and was killed."
    first.send(mine)
    second.send(theirs)
    for term, words in ((first, mine), (second, theirs)):
        term.wait_until(lambda t=term, w=words: w in t.box_text("─ Draft"), STEP_TIMEOUT, repr(words))
        term.wait_until(
            lambda w=words: any(w in p.read_text(encoding="utf-8") for p in recovery.glob("*.json")),
            RECOVERY_TIMEOUT,
            f"the recovery copy of {words!r}",
        )
    first.send(CTRL_S)
    first.wait_until(lambda: mine in (drafts / "shared.md").read_text(), STEP_TIMEOUT, "the save")
    first.wait_until(
        lambda: not any(mine in p.read_text(encoding="utf-8") for p in recovery.glob("*.json")),
        RECOVERY_TIMEOUT,
        "the first studio to forget its own copy",
    )
    assert any(theirs in p.read_text(encoding="utf-8") for p in recovery.glob("*.json")), (
        "the first studio's Ctrl+S deleted the second's recovery copy"
    )
    second.crash()
    first.quit()

    third = studios.start(key=TEST_KEY, base_url=server.base_url)
    third.expect_text("Unsaved text of shared.md", START_TIMEOUT)
    third.send(ENTER)  # Restore
    third.wait_until(  # and the "Restored." notice gone: it is drawn over the draft's box
        lambda: (
            "Restore it?" not in third.text()
            and theirs in third.box_text("─ Draft")
            and "Restored." not in third.text()
        ),
        STEP_TIMEOUT,
        "the killed studio's words in the editor",
    )
    assert third.box_text("─ Draft") == f"{theirs}Start."  # typed at the top of the opened draft
    assert "Draft · shared.md ●" in third.text()
    assert (drafts / "shared.md").read_text() == f"{mine}Start.\n"  # the first one's save stands


def test_e_a_reopened_conversation_leaves_a_draft_open_elsewhere_alone(
    server: RecordingServer, studios: Studios, tmp_path: Path
) -> None:
    """`studio -c` reopens the draft its conversation worked on, unless another running studio has
    it open: then it says so and leaves it (Ctrl+O still opens it, after asking)."""
    server.queue(
        ToolUseReply("save_draft", {"filename": "shared.md", "content": "Claude's text.\n"}, text="Saving."),
        TextReply("Saved it."),
    )
    first = studios.start(key=TEST_KEY, base_url=server.base_url)
    wait_for_main_screen(first)
    first.type("Save a draft as shared.md")
    first.send(ENTER)
    first.expect_text("Saved it.")
    first.expect_text("Draft · shared.md")
    database = tmp_path / "xdg_data_home" / "studio" / "studio.db"

    def kept_draft() -> str | None:  # the first studio keeps its open draft every 2 seconds
        with contextlib.suppress(sqlite3.Error), closing(sqlite3.connect(database)) as db:
            row = db.execute("SELECT draft FROM sessions").fetchone()
            return row[0] if row else None
        return None

    first.wait_until(lambda: kept_draft() == "shared.md", STEP_TIMEOUT, "the conversation's draft kept")

    second = studios.start("-c", key=TEST_KEY, base_url=server.base_url)
    told = second.expect_text("is open in another studio", START_TIMEOUT)
    assert str(first.child.pid) in told  # which studio (the notice wraps, so just its pid)
    assert "Draft · untitled" in second.text()
    second.quit()
    first.quit()
