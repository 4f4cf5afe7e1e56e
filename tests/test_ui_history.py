"""Conversations survive a quit: F5 reopens one (text, tool calls, costs, the unsent message) and
Claude sees all of it with the next message; --continue reopens the latest at start."""

from __future__ import annotations

from pathlib import Path

from conftest import TEST_KEY
from fakeapi import RecordingServer
from ui_helpers import chat_text, dialog_text, flat, idle, make_app, pane_text, screen_text, send, wait_for

from studio.loopback import TextReply, ToolUseReply
from studio.ui.dialogs import Conversations
from studio.ui.editor import DraftEditor
from studio.ui.prompt import PromptArea

SIZE = (120, 36)


def sidebar(app) -> str:  # type: ignore[no-untyped-def]
    return flat(pane_text(app, "#sidebar"))


async def _first_session(server: RecordingServer, tmp_path: Path) -> None:
    """Two replies (one saves a draft), then a half-typed message, then quit."""
    server.queue(
        TextReply("First answer.", input_tokens=1000, output_tokens=200),
        ToolUseReply(
            "save_draft",
            {"filename": "note.md", "content": "Hello, note."},
            input_tokens=1000,
            output_tokens=100,
        ),
        TextReply("Saved it as note.md.", input_tokens=1100, output_tokens=20),
    )
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "first question")
        await idle(pilot, app)
        await send(pilot, "save a note")
        await idle(pilot, app)
        app.query_one(PromptArea).insert("half-typed thought")
        await pilot.pause(0.1)


async def test_f5_reopens_a_conversation_after_a_quit(server: RecordingServer, tmp_path: Path) -> None:
    await _first_session(server, tmp_path)
    server.queue(TextReply("Third answer."))
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "F5 reopens your earlier conversation." in chat_text(app))
        assert "First answer." not in chat_text(app)  # a new start is a new conversation
        await pilot.press("f5")
        await wait_for(pilot, lambda: "2 replies" in dialog_text(app))
        listed = dialog_text(app)
        assert "+ New conversation" in listed and "first question" in listed
        await pilot.press("enter")  # the latest kept conversation is highlighted
        await wait_for(pilot, lambda: "First answer." in chat_text(app))
        chat = chat_text(app)
        assert chat.index("first question") < chat.index("First answer.") < chat.index("save a note")
        assert "✓ save_draft: drafts/note.md" in chat and "Saved it as note.md." in chat
        # Reply 1: 1000x3 + 200x15 = $0.0060. Reply 2 (two responses): 2100x3 + 120x15 = $0.0081.
        assert "$0.0060 · in 1,000 · out 200" in chat
        assert "#1 Sonnet 4.6 $0.0060" in sidebar(app) and "#2 Sonnet 4.6 $0.0081" in sidebar(app)
        assert "Session $0.014" in sidebar(app)
        assert app.query_one(PromptArea).text == "half-typed thought"
        assert app.query_one(DraftEditor).text == "Hello, note."  # the draft it worked on

        app.query_one(PromptArea).clear()
        await send(pilot, "and now?")
        await idle(pilot, app)
        sent = server.message_requests[-1].json["messages"]
        assert sent[0]["content"][0]["text"] == "first question"
        assert sent[-1]["content"][-1]["text"] == "and now?"
        assert [m["role"] for m in sent] == [
            "user",
            "assistant",
            "user",
            "assistant",
            "user",
            "assistant",
            "user",
        ]
        assert "#3 Sonnet 4.6" in sidebar(app)


async def test_continue_reopens_the_latest_at_start(server: RecordingServer, tmp_path: Path) -> None:
    await _first_session(server, tmp_path)
    app = make_app(server, TEST_KEY, tmp_path, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "Saved it as note.md." in chat_text(app))
        assert "Reopened conversation" in chat_text(app)


async def test_a_new_conversation_starts_empty(server: RecordingServer, tmp_path: Path) -> None:
    await _first_session(server, tmp_path)
    server.queue(TextReply("Fresh."))
    app = make_app(server, TEST_KEY, tmp_path, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "First answer." in chat_text(app))
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, Conversations))
        await pilot.press("home", "enter")
        await wait_for(pilot, lambda: "A new conversation" in chat_text(app))
        assert "First answer." not in chat_text(app)
        assert "none yet" in sidebar(app)
        await send(pilot, "hello again")
        await idle(pilot, app)
        assert len(server.message_requests[-1].json["messages"]) == 1
    # Both conversations are kept.
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await wait_for(pilot, lambda: "hello again" in dialog_text(app))
        listed = dialog_text(app)
        assert listed.index("hello again") < listed.index("first question")  # newest first


async def test_a_kept_conversation_can_be_deleted(server: RecordingServer, tmp_path: Path) -> None:
    await _first_session(server, tmp_path)
    app = make_app(server, TEST_KEY, tmp_path, daily_budget=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await wait_for(pilot, lambda: "first question" in dialog_text(app))
        await pilot.press("home")
        await pilot.press("delete")  # "+ New conversation" cannot be deleted
        await pilot.pause(0.1)
        assert "first question" in dialog_text(app)
        await pilot.press("down", "delete")
        await wait_for(pilot, lambda: "Forget this conversation?" in dialog_text(app))
        await pilot.press("enter")  # Delete
        await wait_for(
            pilot,
            lambda: "first question" not in dialog_text(app) and "+ New conversation" in dialog_text(app),
        )
        await pilot.press("escape")
        await pilot.pause(0.1)
        # Spend stays in the day's total: 0.0060 + 0.0081 = $0.014.
        assert "today $0.014 of $1.00" in sidebar(app)
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        assert "earlier conversation" not in chat_text(app)


async def test_a_reopened_tool_call_is_titled_as_it_was_live(server: RecordingServer, tmp_path: Path) -> None:
    # A colon in the name: the title comes from what the call did, not from its result's sentence
    # ("Saved drafts/ch 1: dawn.md: 2 words ...").
    saved_title, edited_title = "✓ save_draft: drafts/ch 1: dawn.md", "✓ edit_draft"
    server.queue(
        ToolUseReply("save_draft", {"filename": "ch 1: dawn.md", "content": "Grey dawn."}),
        ToolUseReply("edit_draft", {"old_text": "Grey", "new_text": "Pale"}),
        TextReply("Saved and mended."),
    )
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "write the dawn")
        await idle(pilot, app)
        live = chat_text(app)
        assert saved_title in live and edited_title in live and "edit_draft: drafts" not in live
    app = make_app(server, TEST_KEY, tmp_path, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "Saved and mended." in chat_text(app))
        reopened = chat_text(app)
        assert saved_title in reopened and edited_title in reopened
        assert "edit_draft: drafts" not in reopened


async def test_a_conversation_kept_before_tool_calls_were_recorded_still_opens(
    server: RecordingServer, tmp_path: Path
) -> None:
    import json
    import sqlite3

    from studio import locations
    from studio.core.store import MIGRATIONS

    path = locations.data_dir() / "studio.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    call = {
        "type": "tool_use",
        "id": "toolu_old",
        "name": "save_draft",
        "input": {"filename": "old.md", "content": "Old words."},
    }
    result = {
        "type": "tool_result",
        "tool_use_id": "toolu_old",
        "content": "Saved drafts/old.md: 2 words, 10 bytes. It is open in the writer's editor.",
    }
    messages = [
        ("user", [{"type": "text", "text": "keep the old one"}]),
        ("assistant", [call]),
        ("user", [result]),
        ("assistant", [{"type": "text", "text": "Kept long ago."}]),
    ]
    with sqlite3.connect(path) as db:  # the schema before `tool_calls`, and a conversation in it
        for number, script in enumerate(MIGRATIONS[:3], start=1):
            db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
        db.execute("INSERT INTO sessions (id, started, updated, title) VALUES (1, 0, 0, 'old')")
        db.executemany(
            "INSERT INTO messages VALUES (1, ?, ?, ?, ?, ?)",
            [
                (
                    n,
                    role,
                    json.dumps(content),
                    None if role == "user" else "claude-sonnet-4-6",
                    None if role == "user" else 1,
                )
                for n, (role, content) in enumerate(messages)
            ],
        )
    server.queue(TextReply("Still here."))
    app = make_app(server, TEST_KEY, tmp_path, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "Kept long ago." in chat_text(app))
        chat = chat_text(app)
        assert "✓ save_draft" in chat and "save_draft: drafts" not in chat  # no data: the plain name
        await send(pilot, "and now?")
        await idle(pilot, app)
        assert "Still here." in chat_text(app)


async def test_a_long_conversation_shows_its_end_first_then_all_of_it_when_scrolled_to(
    server: RecordingServer, tmp_path: Path
) -> None:
    from studio import locations
    from studio.core.conversation import Conversation
    from studio.core.history import History
    from studio.core.keeper import Keeper
    from studio.core.store import Store
    from studio.ui.chat import ChatView, UserMessage

    keeper = Keeper()
    history, conversation = History(Store(locations.data_dir() / "studio.db"), keeper), Conversation()
    for n in range(60):
        start = len(conversation.messages)
        conversation.add_user(f"question {n}")
        conversation.add_assistant([{"type": "text", "text": f"answer {n}"}])
        history.save(conversation, start, "claude-sonnet-4-6", n + 1)
    assert keeper.flush(10)
    app = make_app(server, TEST_KEY, tmp_path, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "answer 59" in chat_text(app))
        app.query_one(ChatView).focus()
        seen: set[str] = set()
        for _ in range(100):  # page by page up to the start: every question passes by
            seen.update(str(m.render()) for m in app.query(UserMessage))
            if "question 0" in chat_text(app):
                break
            await pilot.press("pageup")
            await pilot.pause(0.05)
        assert seen == {f"question {n}" for n in range(60)}
        assert "question 0" in chat_text(app)
        await pilot.press("end")
        await wait_for(pilot, lambda: "answer 59" in chat_text(app))


async def test_a_damaged_database_is_named_and_the_studio_still_works(
    server: RecordingServer, tmp_path: Path
) -> None:
    from studio import locations

    damaged = locations.data_dir() / "studio.db"
    damaged.parent.mkdir(parents=True, exist_ok=True)
    damaged.write_bytes(b"this is not an SQLite database" * 100)
    server.queue(TextReply("Still answering."))
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "cannot be used" in chat_text(app))
        assert "will not be kept after you quit" in chat_text(app)
        await send(pilot, "hello?")
        await idle(pilot, app)
        assert "Still answering." in chat_text(app)
    assert damaged.read_bytes().startswith(b"this is not")  # left as it was, for the writer to look at


async def test_a_continued_reply_reopens_as_it_looked(server: RecordingServer, tmp_path: Path) -> None:
    server.queue(TextReply("The first half of the", stop_reason="max_tokens"), TextReply("second half."))
    app = make_app(server, TEST_KEY, tmp_path, max_tokens=7)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "write")
        await idle(pilot, app)
        await pilot.press("ctrl+r")
        await idle(pilot, app)
    app = make_app(server, TEST_KEY, tmp_path, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "second half." in chat_text(app))
        chat = chat_text(app)
        assert chat.index("The first half of the") < chat.index("Continuing the cut reply")
        assert "Please continue" not in chat  # studio asked for it, the writer did not type it


async def test_a_message_without_a_reply_can_be_sent_again_after_reopening(
    server: RecordingServer, tmp_path: Path
) -> None:
    from fakeapi import HttpError

    server.queue(HttpError(401, "authentication_error", "invalid x-api-key"))
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "are you there?")
        await idle(pilot, app)
    server.queue(TextReply("Here now."))
    app = make_app(server, TEST_KEY, tmp_path, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "has no reply yet" in chat_text(app))
        await wait_for(pilot, lambda: app.session.engine is not None)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "Here now." in chat_text(app))
        await idle(pilot, app)
        assert server.message_requests[-1].json["messages"][-1]["content"][0]["text"] == "are you there?"


async def test_continue_goes_on_with_the_conversation_s_model(
    server: RecordingServer, tmp_path: Path
) -> None:
    """A conversation last answered by Haiku goes on with Haiku after --continue; --model wins."""
    server.queue(TextReply("Haiku here."))
    app = make_app(server, TEST_KEY, tmp_path, model="claude-haiku-4-5-20251001")
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        await idle(pilot, app)
    for model_chosen, expected in ((False, "Claude Haiku 4.5"), (True, "Claude Sonnet 4.6")):
        server.queue(TextReply("Again."))
        again = make_app(server, TEST_KEY, tmp_path, resume=True, model_chosen=model_chosen)
        async with again.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda a=again: "Haiku here." in chat_text(a))
            await wait_for(pilot, lambda a=again, e=expected: f"to {e}" in screen_text(a))
            await send(pilot, "and again")
            await idle(pilot, again)
            model = {
                "Claude Haiku 4.5": "claude-haiku-4-5-20251001",
                "Claude Sonnet 4.6": "claude-sonnet-4-6",
            }[expected]
            assert server.message_requests[-1].json["model"] == model


def test_the_opening_words_count_earlier_conversations_as_a_writer_reads_them() -> None:
    from studio.ui.welcome import earlier_notice

    def key(binding: str) -> str:
        return {"conversations": "F5"}[binding]

    assert earlier_notice(key, 1, resume=False) == ("F5 reopens your earlier conversation.", "tip")
    assert earlier_notice(key, 3, resume=True) == ("F5 reopens one of your 3 earlier conversations.", "tip")
    assert earlier_notice(key, 0, resume=True) == (
        "No earlier conversation to continue: this one is new.",
        "warn",
    )
    assert earlier_notice(key, 0, resume=False) is None
