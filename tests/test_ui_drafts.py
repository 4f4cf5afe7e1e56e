"""Drafts as a writer meets them: Claude writes into the editor live, edits undo, nothing gets lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TEST_KEY
from fakeapi import RecordingServer
from ui_helpers import (
    chat_text,
    dialog_text,
    flat,
    idle,
    make_app,
    open_first_draft,
    pane_text,
    screen_text,
    send,
    wait_for,
)

from studio.loopback import TextReply, ToolUseReply
from studio.ui.dialogs import AskName
from studio.ui.draft_pane import AUTOSAVE_SECONDS
from studio.ui.editor import DraftEditor

SIZE = (120, 36)
LAUNCH = "# Launch day\n\n" + "".join(f"Line {n}: studio writes where you write.\n" for n in range(40))


def draft_text(app) -> str:  # type: ignore[no-untyped-def]
    return app.query_one(DraftEditor).text


def recovery_dir() -> Path:
    return Path(os.environ["XDG_STATE_HOME"]) / "studio" / "recovery"


async def test_the_draft_fills_while_claude_writes_then_lands_on_disk(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(
        ToolUseReply(
            "save_draft",
            {"filename": "launch.md", "content": LAUNCH},
            text="Writing it now.",
            json_chunk_size=40,
            chunk_delay=0.05,
        ),
        TextReply("Saved as launch.md."),
    )
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Write a launch announcement and save it as launch.md")
        await wait_for(pilot, lambda: "Line 3:" in draft_text(app))
        partway = draft_text(app)
        assert "Line 39:" not in partway, "the editor showed the text before the tool finished"
        assert "Claude is writing launch.md" in pane_text(app, "#draft")
        await idle(pilot, app)
        await pilot.pause(0.1)
        on_disk = (tmp_path / "drafts" / "launch.md").read_text()
        assert on_disk == LAUNCH == draft_text(app)
        assert "Draft · launch.md" in pane_text(app, "#draft") and "●" not in pane_text(app, "#draft")
        assert "save_draft: drafts/launch.md" in chat_text(app)


async def test_an_ai_edit_is_one_undo_step(server: RecordingServer, tmp_path: Path) -> None:
    original = "Opening line.\n\nThe second paragraph rambles on and on and on.\n\nEnd.\n"
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "essay.md").write_text(original)
    server.queue(
        ToolUseReply("edit_draft", {"old_text": "rambles on and on and on", "new_text": "is tight"}),
        TextReply("Done."),
    )
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_draft(pilot, app, original)
        await send(pilot, "tighten the second paragraph")
        await idle(pilot, app)
        await pilot.pause(0.1)
        edited = "Opening line.\n\nThe second paragraph is tight.\n\nEnd.\n"
        assert draft_text(app) == edited
        assert "- The second paragraph rambles" in chat_text(app)
        assert "+ The second paragraph is tight." in chat_text(app)
        assert "●" in pane_text(app, "#draft")  # edited, not yet saved
        app.query_one(DraftEditor).focus()
        await pilot.press("ctrl+z")
        await pilot.pause(0.1)
        assert draft_text(app) == original
        await pilot.press("ctrl+y")
        await pilot.pause(0.1)
        assert draft_text(app) == edited


async def test_claude_saving_over_unsaved_work_keeps_it(server: RecordingServer, tmp_path: Path) -> None:
    server.queue(
        ToolUseReply("save_draft", {"filename": "other.md", "content": "Claude's text"}), TextReply("Saved.")
    )
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        editor = app.query_one(DraftEditor)
        editor.focus()
        editor.insert("My own words, not saved yet.")
        await send(pilot, "save something as other.md")
        await idle(pilot, app)
        await pilot.pause(0.1)
        assert draft_text(app) == "Claude's text"
        editor.focus()
        await pilot.press("ctrl+z")
        await pilot.pause(0.1)
        assert draft_text(app) == "My own words, not saved yet."
        kept = [json.loads(p.read_text())["text"] for p in recovery_dir().glob("*.json")]
        # the untitled draft's copy; the 2-second timer may also have kept other.md's, now
        # holding the same words after Ctrl+Z
        assert set(kept) == {"My own words, not saved yet."}


async def test_claude_saving_the_draft_forgets_its_recovery_copy(
    server: RecordingServer, tmp_path: Path
) -> None:
    """Edited (so copied aside), then saved by Claude: the copy is of superseded text, and after a
    crash or a quit it was offered back as "unsaved text" over the saved draft."""
    server.queue(
        ToolUseReply("save_draft", {"filename": "a.md", "content": "First."}),
        TextReply("Saved."),
        ToolUseReply("save_draft", {"filename": "a.md", "content": "Second."}),
        TextReply("Saved again."),
    )
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "save a.md")
        await idle(pilot, app)
        app.query_one(DraftEditor).insert("An edit of mine. ")
        await pilot.pause(0.05)
        app.query_one("#draft-pane").keep_recovery()  # what the 2-second timer does
        assert [json.loads(p.read_text())["text"] for p in recovery_dir().glob("*.json")] == [
            "An edit of mine. First."
        ]
        await send(pilot, "save a.md again")
        await idle(pilot, app)
        await wait_for(pilot, lambda: draft_text(app) == "Second.")
        assert "●" not in pane_text(app, "#draft")
        assert list(recovery_dir().glob("*.json")) == []
    again = make_app(None, TEST_KEY, tmp_path)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        assert "was kept when studio last stopped" not in dialog_text(again)


async def test_a_hostile_filename_is_refused_and_nothing_is_written(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(
        ToolUseReply("save_draft", {"filename": "../../outside.md", "content": "x"}),
        TextReply("I could not save it there."),
    )
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "save it to ../../outside.md")
        await idle(pilot, app)
        await pilot.pause(0.1)
        assert "✗ save_draft" in chat_text(app)
        assert "drafts stay inside the drafts folder" in chat_text(app)  # the reason, in view
        assert not (tmp_path.parent.parent / "outside.md").exists()
        assert not (tmp_path / "outside.md").exists()
        assert draft_text(app) == ""


async def test_ctrl_s_asks_a_name_then_saves_atomically(tmp_path: Path) -> None:
    app = make_app(None, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        editor = app.query_one(DraftEditor)
        editor.focus()
        editor.insert("A first line.")
        await pilot.pause(0.05)
        assert "Draft · untitled ●" in pane_text(app, "#draft")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, AskName))
        for key in "notes":
            await pilot.press(key)
        await pilot.press("enter")
        await wait_for(pilot, lambda: (tmp_path / "drafts" / "notes.md").exists())
        await pilot.pause(0.1)
        assert (tmp_path / "drafts" / "notes.md").read_text() == "A first line."
        assert "Draft · notes.md" in pane_text(app, "#draft")
        assert "●" not in pane_text(app, "#draft")
        assert not list((tmp_path / "drafts").glob(".*.tmp"))


@pytest.mark.parametrize("same_size_and_mtime", [False, True], ids=["changed", "same-size-and-mtime"])
async def test_a_file_changed_on_disk_is_not_overwritten_without_asking(
    tmp_path: Path, same_size_and_mtime: bool
) -> None:
    """Another program saved the draft since it was opened; even keeping its size and mtime (as
    rsync -t does) it is noticed, by content."""
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "a.md").write_text("version one")
    other = "version TWO" if same_size_and_mtime else "changed elsewhere, longer"
    app = make_app(None, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_draft(pilot, app, "version one")
        st = (drafts / "a.md").stat()
        (drafts / "a.md").write_text(other)
        if same_size_and_mtime:
            os.utime(drafts / "a.md", ns=(st.st_atime_ns, st.st_mtime_ns))
        app.query_one(DraftEditor).insert("mine: ")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "changed on disk" in dialog_text(app))
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert (drafts / "a.md").read_text() == other


async def test_unsaved_text_survives_a_crash(tmp_path: Path) -> None:
    """Text typed and then the process killed: the recovery copy is offered at the next start."""
    app = make_app(None, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(DraftEditor).insert("Half a chapter, never saved.")
        await pilot.pause(0.05)
        app.query_one("#draft-pane").keep_recovery()  # what the 2-second timer does
        assert list(recovery_dir().glob("*.json"))
        draft = app.session.workspace.draft
        draft.saved_text = draft.text  # "crash": nothing cleans up
    again = make_app(None, TEST_KEY, tmp_path)
    async with again.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "was kept when studio last stopped" in dialog_text(again))
        assert "Half a chapter" not in draft_text(again)
        await pilot.press("enter")  # Restore
        await wait_for(pilot, lambda: draft_text(again) == "Half a chapter, never saved.")
        assert "●" in pane_text(again, "#draft")


async def test_quitting_with_unsaved_changes_asks(tmp_path: Path) -> None:
    app = make_app(None, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(DraftEditor).insert("unsaved")
        await pilot.pause(0.05)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: "unsaved changes" in dialog_text(app))
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert app.is_running and draft_text(app) == "unsaved"


async def test_ctrl_n_starts_an_empty_draft(tmp_path: Path) -> None:
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "a.md").write_text("saved text")
    app = make_app(None, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_draft(pilot, app, "saved text")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: draft_text(app) == "")
        assert "Draft · untitled" in pane_text(app, "#draft")
        assert app.focused is app.query_one(DraftEditor)


async def test_a_full_disk_for_recovery_copies_is_said_not_fatal(tmp_path: Path) -> None:
    app = make_app(None, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        recovery_dir().parent.mkdir(parents=True, exist_ok=True)
        recovery_dir().write_text("a file where the folder should be")  # writes there must fail
        app.query_one(DraftEditor).insert("words worth keeping")
        await pilot.pause(0.05)
        app.query_one("#draft-pane").keep_recovery()
        await pilot.pause(0.1)
        assert app.is_running and draft_text(app) == "words worth keeping"
        await wait_for(
            pilot, lambda: "recovery copy of the untitled draft was not saved" in flat(screen_text(app))
        )


async def test_a_save_draft_over_another_draft_keeps_it_and_f8_brings_it_back(
    server: RecordingServer, tmp_path: Path
) -> None:
    """An injected "save this as notes.md" must not silently destroy the writer's notes."""
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    mine = "My notes: the launch is on Tuesday, keep it quiet.\n"
    (drafts / "notes.md").write_text(mine)
    server.queue(
        ToolUseReply("save_draft", {"filename": "notes.md", "content": "pwned\n"}), TextReply("Done.")
    )
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "summarise the web page")
        await idle(pilot, app)
        await wait_for(pilot, lambda: "F8 brings the previous version back" in chat_text(app))
        assert "Claude replaced drafts/notes.md (10 words); F8 brings the previous version back" in chat_text(
            app
        )
        assert (drafts / "notes.md").read_text() == "pwned\n" == draft_text(app)
        await wait_for(pilot, lambda: len(server.message_requests) == 2)
        [told] = server.message_requests[1].json["messages"][-1]["content"]
        assert told["type"] == "tool_result" and not told["is_error"]
        assert "It replaced the existing drafts/notes.md (10 words)" in str(told["content"])
        [kept] = (Path(os.environ["XDG_STATE_HOME"]) / "studio" / "replaced").glob("*.json")
        assert oct(kept.stat().st_mode & 0o777) == "0o600" and mine in json.loads(kept.read_text())["text"]

        await pilot.pause(AUTOSAVE_SECONDS + 0.5)  # a writer reads the notice first: F8 still works
        await pilot.press("f8")
        await wait_for(pilot, lambda: draft_text(app) == mine)
        assert (drafts / "notes.md").read_text() == mine
        assert "●" not in pane_text(app, "#draft")
        await pilot.press("f8")  # Claude's version was kept the same way: the key swaps back
        await wait_for(pilot, lambda: draft_text(app) == "pwned\n")
        assert (drafts / "notes.md").read_text() == "pwned\n"
        assert not list(drafts.glob(".*"))  # no temp files left, no copies inside Claude's reach


async def test_a_dead_studio_s_half_written_temp_file_is_removed_at_start(tmp_path: Path) -> None:
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a studio killed mid-save: its pid is gone
    stale = drafts / f".studio-{child.pid}-1-k1lledmd.tmp"
    stale.write_text("half a dra")
    foreign = drafts / ".editor-swap.tmp"
    foreign.write_text("not ours")
    app = make_app(None, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: not stale.exists())  # swept in a thread, off the start-up path
        await pilot.pause(0.1)
        assert foreign.read_text() == "not ours"
