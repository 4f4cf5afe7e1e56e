"""The session on its own: a whole conversation held by a script, with no Textual in the process
(the line mode, `ask` and batch are front ends of this same object)."""

from __future__ import annotations

import subprocess
import sys
from contextlib import aclosing
from pathlib import Path

import pytest
from conftest import TEST_KEY, open_session, run
from fakeapi import ErrorMidStream, RecordingServer

from studio.core.events import (
    CostReported,
    TextDelta,
    ToolFinished,
    TurnDone,
    TurnEnded,
    TurnFailed,
    TurnStarted,
)
from studio.core.session import NothingToRetry, SessionBusy
from studio.loopback import TextReply, ToolUseReply


def answered(messages: list[dict]) -> bool:  # type: ignore[type-arg]
    """Every tool_use is answered in the next message: a request the API accepts."""
    for i, message in enumerate(messages):
        calls = [b["id"] for b in message["content"] if b.get("type") == "tool_use"]
        results = (
            [b["tool_use_id"] for b in messages[i + 1]["content"] if b.get("type") == "tool_result"]
            if calls
            else []
        )
        if calls != results:
            return False
    return True


async def test_three_turns_with_tools_a_stop_and_a_retry_through_the_session_alone(
    server: RecordingServer, tmp_path: Path
) -> None:
    session = open_session(server, tmp_path)
    await session.start()

    # 1. Claude saves a draft, edits it, then says so: the file is on disk, the costs counted.
    server.queue(
        ToolUseReply(
            "save_draft",
            {"filename": "rain.md", "content": "Grey rain falls."},
            input_tokens=1500,
            output_tokens=40,
        ),
        ToolUseReply(
            "edit_draft", {"old_text": "Grey", "new_text": "Soft"}, input_tokens=1600, output_tokens=30
        ),
        TextReply("Saved and softened.", input_tokens=1700, output_tokens=10),
    )
    first = await run(session.send("Write one line about rain and save it."))
    assert isinstance(first[0], TurnStarted) and first[0].kind == "send"
    tools = [e for e in first if isinstance(e, ToolFinished)]
    assert [(t.name, t.is_error, t.change and t.change.kind) for t in tools] == [
        ("save_draft", False, "saved"),
        ("edit_draft", False, "edited"),
    ]
    # save_draft wrote the file; edit_draft changed the open draft, which the writer saves.
    assert (tmp_path / "drafts" / "rain.md").read_text() == "Grey rain falls."
    draft = session.workspace.draft
    assert (draft.name, draft.text, draft.dirty) == ("rain.md", "Soft rain falls.", True)
    assert "".join(e.text for e in first if isinstance(e, TextDelta)) == "Saved and softened."
    assert isinstance(first[-1], TurnEnded) and first[-1].how == "done"
    assert [e.number for e in session.spending.ledger.entries] == [1]
    entry = session.spending.ledger.entries[0]
    assert entry.responses == 3 and entry.usage.input == 1500 + 1600 + 1700
    assert entry.usd == pytest.approx((4800 * 3 + 80 * 15) / 1_000_000)  # Sonnet 4.6: $3 / $15

    # 2. A slow reply, stopped after its first words: the text so far is kept, the cost estimated.
    server.queue(TextReply("A long answer " * 40, chunk_size=5, chunk_delay=0.02))
    second = await run(session.send("Now a long one."), stop_after_text=session)
    done = next(e for e in second if isinstance(e, TurnDone))
    assert done.stop_reason == "stopped" and isinstance(second[-1], TurnEnded)
    assert second[-1].how == "stopped"
    kept = session.conversation.messages[-1]
    so_far = kept["content"][0]["text"]
    assert kept["role"] == "assistant" and so_far and ("A long answer " * 40).startswith(so_far)
    assert len(so_far) < len("A long answer " * 40)
    assert session.spending.ledger.entries[-1].estimated
    assert session.retry_kind is None  # nothing failed: nothing to retry
    with pytest.raises(NothingToRetry):
        session.retry()

    # 3. The API breaks off mid-reply: the message waits; retry sends it again and it lands.
    server.queue(ErrorMidStream(text_before="Half"), TextReply("Whole."))
    third = await run(session.send("And a third?"))
    failed = next(e for e in third if isinstance(e, TurnFailed))
    assert failed.can_retry and session.retry_kind == "retry"
    assert session.conversation.messages[-1]["role"] == "user"
    retried = await run(session.retry())
    assert isinstance(retried[0], TurnStarted) and retried[0].kind == "retry"
    assert "".join(e.text for e in retried if isinstance(e, TextDelta)) == "Whole."
    assert session.retry_kind is None

    # What the API was sent last: the whole conversation, each tool call answered, the third
    # message once (the retry did not add it again).
    sent = server.message_requests[-1].json["messages"]
    assert answered(sent)
    texts = [b.get("text") for m in sent if m["role"] == "user" for b in m["content"]]
    assert texts.count("And a third?") == 1
    assert sum(1 for e in retried if isinstance(e, CostReported)) == 1
    assert session.flush(5)
    await session.aclose(2)

    # Reopened by another session on the same store: the messages, and every reply's cost.
    again = open_session(server, tmp_path)
    saved = again.open_latest_now()
    assert saved is not None
    assert again.conversation.messages == session.conversation.messages
    assert [e.number for e in again.spending.ledger.entries] == [
        e.number for e in session.spending.ledger.entries
    ]
    assert again.spending.session_usd == pytest.approx(session.spending.session_usd)
    await again.aclose(2)


async def test_one_turn_at_a_time(server: RecordingServer, tmp_path: Path) -> None:
    session = open_session(server, tmp_path)
    await session.start()
    server.queue(TextReply("slow " * 50, chunk_size=5, chunk_delay=0.01), TextReply("next"))
    events = session.send("first")
    async with aclosing(events) as stream:
        async for event in stream:
            if isinstance(event, TextDelta):
                with pytest.raises(SessionBusy):
                    session.send("second")
                session.stop()
    assert [m["role"] for m in session.conversation.messages] == ["user", "assistant"]
    await session.aclose(2)


async def test_a_front_end_that_stops_reading_leaves_a_message_that_can_go_again(
    server: RecordingServer, tmp_path: Path
) -> None:
    """A bug while showing a tool call: the turn ends as failed, and the conversation is one the
    API accepts, so a retry answers it."""
    session = open_session(server, tmp_path)
    await session.start()
    server.queue(ToolUseReply("get_word_count", {"text": "a b c"}), TextReply("Three words."))
    async with aclosing(session.send("count")) as stream:
        async for event in stream:
            if isinstance(event, ToolFinished):
                break  # as if showing it raised
    assert session.retry_kind == "retry" and not session.running
    retried = await run(session.retry())
    assert "".join(e.text for e in retried if isinstance(e, TextDelta)) == "Three words."
    assert answered(server.message_requests[-1].json["messages"])
    await session.aclose(2)


def test_a_script_holds_a_conversation_without_textual(server: RecordingServer, tmp_path: Path) -> None:
    """The engine and the session import no Textual: a script on them never loads it."""
    server.queue(TextReply("Hello from the loopback."))
    script = f"""
import asyncio, sys
from contextlib import aclosing
from pathlib import Path
from studio.config import Settings
from studio.core.events import TextDelta
from studio.core.session import Session

async def main():
    settings = Settings(api_key={TEST_KEY!r}, base_url={server.base_url!r},
                        drafts_dir=Path({str(tmp_path / "drafts")!r}))
    session, _ = Session.open(settings)
    await session.start()
    async with aclosing(session.send("hi")) as events:
        async for event in events:
            if isinstance(event, TextDelta):
                print(event.text, end="")
    print()
    print("textual" in sys.modules)
    await session.aclose(2)

asyncio.run(main())
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["Hello from the loopback.", "False"]
