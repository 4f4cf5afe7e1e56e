"""Replies that fail, stop or die mid-stream keep their text and say so; every tool_use is
answered, and a stored conversation that breaks that rule is mended when it is reopened."""

from __future__ import annotations

import sqlite3
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_KEY
from fakeapi import ErrorMidStream, RecordingServer
from test_engine import MODEL, _close_engines, ask, make_engine  # noqa: F401 (closes our engines)
from ui_helpers import chat_text, idle, make_app, send, wait_for

from studio import locations
from studio.core.events import CostReported, ToolFinished
from studio.core.store import SavedPartial, Store
from studio.core.tools import Tool, ToolBox
from studio.loopback import TextReply, ToolUseReply

SIZE = (120, 36)


def answered(messages: list[dict[str, Any]]) -> bool:
    """What the API demands: alternating roles from a user turn, each tool_use answered next."""
    if not messages or messages[0]["role"] != "user":
        return False
    for before, after in pairwise(messages):
        if before["role"] == after["role"]:
            return False
        calls = {b["id"] for b in before["content"] if b["type"] == "tool_use"}
        results = {b["tool_use_id"] for b in after["content"] if b["type"] == "tool_result"}
        if results != calls:
            return False
    return not any(b["type"] == "tool_use" for b in messages[-1]["content"])


async def test_tool_results_are_in_the_conversation_before_the_ui_hears_of_them(
    server: RecordingServer,
) -> None:
    server.queue(ToolUseReply("get_word_count", {"text": "one two"}, tool_id="toolu_a"))
    conversation = ask("count")
    turn = make_engine(server).run_turn(conversation, MODEL)
    async for event in turn:
        if isinstance(event, ToolFinished):
            break  # the UI failed while showing the call: nothing more is read
    await turn.aclose()
    assert conversation.messages[-1]["content"][0]["tool_use_id"] == "toolu_a"
    assert answered(conversation.messages)


async def test_a_tool_that_raises_becomes_an_error_result(server: RecordingServer) -> None:
    def broken(args: dict[str, Any], workspace: object) -> Any:
        raise RuntimeError("disk on fire")

    server.queue(ToolUseReply("broken", {}, tool_id="toolu_b"), TextReply("Sorry."))
    engine = make_engine(server)
    engine.tools = ToolBox((Tool("broken", "Always fails.", {"type": "object"}, broken),))
    conversation = ask("try it")
    events = [e async for e in engine.run_turn(conversation, MODEL)]
    [finished] = [e for e in events if isinstance(e, ToolFinished)]
    assert finished.is_error and "RuntimeError: disk on fire" in finished.result
    result = server.message_requests[-1].json["messages"][-1]["content"][0]
    assert result["tool_use_id"] == "toolu_b" and result["is_error"] is True


async def test_a_reply_that_fails_mid_stream_is_estimated(server: RecordingServer) -> None:
    words = "A fairly long partial reply that the server cuts off " * 4
    server.queue(ErrorMidStream(text_before=words))
    events = [e async for e in make_engine(server).run_turn(ask("hi"), MODEL)]
    [cost] = [e.cost for e in events if isinstance(e, CostReported)]
    assert cost.estimated and cost.usage.output > 20


async def test_a_failed_reply_keeps_its_text_is_marked_and_is_not_sent_again(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(ErrorMidStream(text_before="Half a sentence that"))
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "write me something")
        await wait_for(pilot, lambda: "Press Ctrl+R to retry" in chat_text(app))
        await idle(pilot, app)
        assert "≈$" in chat_text(app) and "failed" in chat_text(app)
    server.queue(TextReply("Whole answer."))
    app = make_app(server, TEST_KEY, tmp_path, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "Half a sentence that" in chat_text(app))
        chat = chat_text(app)
        assert "failed" in chat and "≈$" in chat
        assert chat.index("write me something") < chat.index("Half a sentence that")
        await app.session.engine_ready.wait()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "Whole answer." in chat_text(app))
        await idle(pilot, app)
    sent = server.message_requests[-1].json["messages"]
    assert [m["role"] for m in sent] == ["user"]  # the failed partial is not an assistant turn


async def test_a_streaming_reply_is_on_disk_before_it_ends(server: RecordingServer, tmp_path: Path) -> None:
    server.queue(TextReply("word " * 200, chunk_size=5, chunk_delay=0.02))
    app = make_app(server, TEST_KEY, tmp_path)
    path = locations.data_dir() / "studio.db"
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "go slowly")
        await wait_for(pilot, lambda: chat_text(app).count("word") > 60)
        await pilot.pause(1.2)
        assert app.session.running and app.session.keeper.flush(5)
        with sqlite3.connect(path) as db:  # what a SIGKILL now would leave behind
            [(text, status)] = db.execute("SELECT text, status FROM partials").fetchall()
        assert status == "streaming" and text.startswith("word word word")
        app.session.stop()
        await idle(pilot, app)


async def test_a_reply_studio_died_in_reopens_as_interrupted(server: RecordingServer, tmp_path: Path) -> None:
    store = Store(locations.data_dir() / "studio.db")
    session = store.new_session()
    store.save_messages(session, [{"role": "user", "content": [{"type": "text", "text": "tell"}]}], 0)
    store.keep_partial("k1", session, SavedPartial(1, MODEL, 1, "Once upon a", "streaming"))
    app = make_app(server, TEST_KEY, tmp_path, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "Once upon a" in chat_text(app))
        assert "interrupted" in chat_text(app) and "Ctrl+R sends it again" in chat_text(app)


async def test_an_unanswered_tool_use_is_mended_when_reopened(
    server: RecordingServer, tmp_path: Path
) -> None:
    store = Store(locations.data_dir() / "studio.db")
    session = store.new_session()
    store.save_messages(
        session,
        [
            {"role": "user", "content": [{"type": "text", "text": "make a note"}]},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Saving."},
                    {"type": "tool_use", "id": "toolu_lost", "name": "save_draft", "input": {}},
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_orphan", "content": "?"}],
            },
            {"role": "user", "content": [{"type": "text", "text": "hello?"}]},
        ],
        0,
        MODEL,
        1,
    )
    server.queue(TextReply("Here."))
    app = make_app(server, TEST_KEY, tmp_path, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "Saving." in chat_text(app))
        await app.session.engine_ready.wait()
        await send(pilot, "go on")
        await wait_for(pilot, lambda: "Here." in chat_text(app))
        await idle(pilot, app)
    sent = server.message_requests[-1].json["messages"]
    assert answered(sent), sent
    result = sent[2]["content"][0]
    assert result["tool_use_id"] == "toolu_lost" and "studio stopped before" in result["content"]
    assert [b.get("text") for b in sent[2]["content"][1:]] == ["hello?", "go on"]


async def test_an_unexpected_error_says_failed_and_the_next_request_is_valid(
    server: RecordingServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import studio.ui.chat_pane as chat_pane

    def broken(*args: object, **kwargs: object) -> None:  # any bug while showing a tool call
        raise ValueError("bug while showing a tool call")

    monkeypatch.setattr(chat_pane, "ToolEntry", broken)
    server.queue(
        ToolUseReply("get_word_count", {"text": "a b c"}, tool_id="toolu_c"), TextReply("Three words.")
    )
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "count")
        await wait_for(pilot, lambda: "Unexpected error" in chat_text(app))
        await idle(pilot, app)
        assert "writing …" not in chat_text(app) and "failed" in chat_text(app)
        monkeypatch.undo()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "Three words." in chat_text(app))
        await idle(pilot, app)
    assert answered(server.message_requests[-1].json["messages"])
