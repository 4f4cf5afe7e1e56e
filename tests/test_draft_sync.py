"""Claude always sees the exact current draft, once, and what was sent before it never changes.

The draft is rebuilt from what each request shows (twice: with the app's own reader, and with the
demo server's, written apart from it) and compared byte for byte with the editor's text, after
the writer's edits, Claude's edits, a save, undo, and a reopened conversation."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_KEY
from fakeapi import RecordingServer
from ui_helpers import idle, make_app, open_first_draft, send, wait_for

from studio.core import draft_sync
from studio.core.catalog import Catalog
from studio.core.conversation import Conversation
from studio.core.draft_sync import DiffError, apply_diff, diff_lines, document, seen, update
from studio.core.drafts import DraftStore
from studio.core.engine import Engine, EngineConfig
from studio.core.workspace import Workspace
from studio.loopback import TextReply, ToolUseReply
from studio.loopback.demo import current_draft
from studio.ui.editor import DraftEditor

SIZE = (120, 36)
ESSAY = "# The harbour\n" + "".join(
    f"\nParagraph {n}: the boats come in at dusk and the nets go out at dawn, every day the same.\n"
    for n in range(20)
)
ODD_LINES = [
    "",
    "plain",
    "tab\there",
    "cr\rinside",
    "vt\x0bff\x0c",
    "nel\x85ls\u2028",
    "  spaces  ",
    "-dash",
    "+plus",
    " lead",
]


@pytest.mark.parametrize("seed", range(40))
def test_a_diff_rebuilds_the_new_text_exactly(seed: int) -> None:
    """Any change, including line endings other than newline inside lines, round-trips."""
    rng = random.Random(seed)
    old = "\n".join(rng.choice(ODD_LINES) + str(rng.randrange(9)) for _ in range(rng.randrange(0, 30)))
    lines = old.split("\n")
    for _ in range(rng.randrange(1, 6)):
        at = rng.randrange(len(lines) + 1)
        match rng.randrange(3):
            case 0:
                lines.insert(at, rng.choice(ODD_LINES))
            case 1 if at < len(lines):
                del lines[at]
            case _ if at < len(lines):
                lines[at] = lines[at] + rng.choice(ODD_LINES)
    new = "\n".join(lines) + rng.choice(["", "\n", "\n\n"])
    assert apply_diff(old, diff_lines(old, new)) == new


@pytest.mark.parametrize(
    "changes",
    [
        "@@ -2 +2 @@\n-not what line 2 says\n+x",  # removes a line that is not there
        "-line without a hunk",
        "@@ -9,1 +9,1 @@\n-x\n+y",  # beyond the end
        "@@ -2 +2 @@\n-b\n+B\n@@ -1 +1 @@\n-a\n+A",  # hunks out of order
        "@@ -1 +1 @@\n*a",
    ],
)
def test_a_diff_that_does_not_fit_is_refused(changes: str) -> None:
    with pytest.raises(DiffError):
        apply_diff("a\nb\nc", changes)


def user(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": list(blocks)}


def said(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def test_what_is_sent_when() -> None:
    assert update([user(said("hi"))], "untitled", "") is None, "an empty draft never shown: nothing"
    first = update([user(said("hi"))], "essay.md", ESSAY)
    assert first is not None and first["context"].startswith("studio draft, version 1, full text:")
    messages = [user(first, said("hi")), {"role": "assistant", "content": [said("ok")]}, user(said("again"))]
    assert update(messages, "essay.md", ESSAY) is None, "unchanged: nothing"
    one = ESSAY.replace("Paragraph 3:", "Paragraph three:")
    change = update(messages, "essay.md", one)
    assert change is not None and change["context"].startswith("studio draft, version 2, changes:")
    assert len(change["source"]["data"]) < len(ESSAY) / 5
    assert update(messages, "essay.md", one, refresh=0)["context"].split(":")[0].endswith("full text")  # type: ignore[index]
    assert update(messages, "other.md", ESSAY)["title"] == "other.md"  # type: ignore[index]
    emptied = update(messages, "essay.md", "  \n")
    assert emptied is not None and emptied["context"].startswith("studio draft, version 2, empty:")


def test_changes_that_pile_up_send_the_full_text_again() -> None:
    messages: list[dict[str, Any]] = []
    text, kinds = ESSAY, []
    for n in range(12):
        text = text.replace(f"Paragraph {n}:", f"Paragraph {n} (revised):")
        block = update(messages, "essay.md", text)
        assert block is not None
        kinds.append(block["context"].split(",")[2].split(":")[0].strip())
        messages += [user(block, said(f"message {n}")), {"role": "assistant", "content": [said("ok")]}]
        assert seen(messages).text == current_draft(messages) == text
    assert kinds[0] == "full text" and "changes" in kinds[1:5]
    assert kinds.count("full text") >= 2, "the full text again once the changes reach half the draft"


def test_claude_s_own_edits_are_not_sent_back_and_failed_ones_change_nothing() -> None:
    shown = document("full text", "essay.md", ESSAY, 1)
    edit = {"old_text": "Paragraph 4:", "new_text": "Paragraph four:"}
    messages = [
        user(shown, said("tighten")),
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "t1", "name": "edit_draft", "input": edit},
                {
                    "type": "tool_use",
                    "id": "t2",
                    "name": "edit_draft",
                    "input": {"old_text": "x", "new_text": "y"},
                },
            ],
        },
        user(
            {"type": "tool_result", "tool_use_id": "t1", "content": "Replaced."},
            {"type": "tool_result", "tool_use_id": "t2", "content": "not found", "is_error": True},
        ),
    ]
    edited = ESSAY.replace("Paragraph 4:", "Paragraph four:")
    assert seen(messages).text == current_draft(messages) == edited
    assert update(messages, "essay.md", edited) is None


# -- through the studio: the editor's text against what each request shows ------------------------


def claude_sees(body: dict[str, Any]) -> str:
    """The draft a request shows as current, read both ways; its versions only ever go up."""
    messages = body["messages"]
    versions = [
        int(b["context"].split(",")[1].split()[-1])
        for m in messages
        for b in m["content"]
        if draft_sync.is_draft_block(b)
    ]
    assert versions == list(range(1, len(versions) + 1)), versions
    mine = seen(messages).text
    assert mine == current_draft(messages)
    return mine or ""


def editor(app: Any) -> str:
    return str(app.query_one(DraftEditor).text)


async def test_the_request_shows_the_editor_s_text_through_a_writing_session(
    server: RecordingServer, tmp_path: Path
) -> None:
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "essay.md").write_text(ESSAY)
    edit = {"old_text": "Paragraph 7: the boats", "new_text": "Paragraph 7: the small boats"}
    server.queue(
        TextReply("First."),
        TextReply("Second."),
        ToolUseReply("edit_draft", edit),
        TextReply("Edited."),
        TextReply("Third."),
        TextReply("Fourth."),
    )
    checked: list[str] = []

    async def check(pilot: Any, app: Any, message: str) -> None:
        """Send `message`: its first request shows the editor's text as it was when sent, and
        its last (after any tool round) the text as it is now."""
        sent_with, first = editor(app), len(server.message_requests)
        await send(pilot, message)
        await idle(pilot, app)
        assert claude_sees(server.message_requests[first].json) == sent_with
        assert claude_sees(server.message_requests[-1].json) == editor(app)
        checked.append(message)

    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_draft(pilot, app, ESSAY)
        await check(pilot, app, "first")
        app.query_one(DraftEditor).focus()
        await pilot.press(*"A line typed by the writer.")
        await check(pilot, app, "second")
        await check(pilot, app, "tighten paragraph 7")  # Claude's edit, applied to what it saw
        assert "the small boats" in editor(app) and "typed by the writer" in editor(app)
        app.query_one(DraftEditor).focus()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: (tmp_path / "drafts" / "essay.md").read_text() == editor(app))
        await check(pilot, app, "saved now")
        app.query_one(DraftEditor).focus()
        await pilot.press("ctrl+z")
        await pilot.pause(0.1)
        assert "the small boats" not in editor(app), "undo took Claude's edit back"
        await check(pilot, app, "after undo")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: (tmp_path / "drafts" / "essay.md").read_text() == editor(app))
    assert len(checked) == 5
    saved = (tmp_path / "drafts" / "essay.md").read_text()

    server.queue(TextReply("Back again."))
    app = make_app(server, TEST_KEY, tmp_path, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: editor(app) == saved)
        app.query_one(DraftEditor).focus()
        await pilot.press("ctrl+home", *"Reopened: ")
        await check(pilot, app, "reopened")
        assert editor(app).startswith("Reopened: ")
        body = server.message_requests[-1].json
        assert len(body["messages"]) > 10, "the reopened conversation went with it"


def test_the_next_request_figure_counts_the_draft_before_anything_is_typed(tmp_path: Path) -> None:
    workspace = Workspace(DraftStore(tmp_path))
    workspace.draft.name, workspace.draft.text = "essay.md", ESSAY
    engine = Engine(EngineConfig(api_key=None), Catalog.builtin(), workspace)
    conversation = Conversation()
    shown = engine.count_params(conversation, "claude-sonnet-4-6")["messages"]
    assert [b["source"]["data"] for b in shown[0]["content"]] == [ESSAY]
    assert conversation.messages == [], "counting changes nothing"
    conversation.messages[:] = [user(document("full text", "essay.md", ESSAY, 1), said("hi"))]
    conversation.add_assistant([said("Hello.")])
    again = engine.count_params(conversation, "claude-sonnet-4-6")["messages"]
    assert [m["role"] for m in again] == ["user", "assistant"], (
        "unchanged and nothing typed: no empty message"
    )
