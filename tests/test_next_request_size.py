"""The next request's size once the API has reported a reply: the conversation up to it is the
API's own figure (the request it answered and the reply), and only what is new since is estimated,
roughly from its bytes when it is short (no tokenizer), with the tokenizer when it is long. A
reopened conversation is sized from the usage its store kept, and the sidebar shows that figure."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TEST_KEY, open_session, run
from fakeapi import RecordingServer
from ui_helpers import chat_text, flat, make_app, pane_text, wait_for

from studio.core import tokens
from studio.core.session import Session
from studio.core.usage import format_tokens
from studio.loopback import TextReply
from studio.ui.prompt import PromptArea

SHORT = "And now the sea."
LONG = "A paragraph about the harbour at dawn, its boats and its gulls, the tide going out. " * 40


async def figure(session: Session, typed: str = "") -> int:
    """The estimate a front end shows for the next request."""
    shown = session.next_request(await session.estimate(typed)).estimate
    assert shown is not None
    return shown


def new_message(text: str) -> int:
    """The raw estimate of one new user message of `text`, as the tokenizer counts it."""
    return tokens.PER_MESSAGE + tokens.count_text(text)


def rough(text: str) -> int:
    """The same from its bytes: 4 to a token."""
    return tokens.PER_MESSAGE + -(-len(text.encode()) // 4)


async def answered(server: RecordingServer, tmp_path: Path) -> Session:
    """A started session whose first message was answered, reported as 1,200 in and 40 out."""
    session = open_session(server, tmp_path)
    await session.start()
    server.queue(TextReply("Soft rain.", input_tokens=1200, output_tokens=40))
    await run(session.send("Write about rain."))
    return session


@pytest.fixture
def no_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a fresh process: the tokenizer not loaded yet (the test sees whether it gets loaded)."""
    monkeypatch.setattr(tokens, "_encoding", None)


async def test_after_a_reply_the_estimate_is_the_reported_size_plus_what_is_new(
    server: RecordingServer, tmp_path: Path, no_tokenizer: None
) -> None:
    session = open_session(server, tmp_path)
    await session.start()
    server.queue(TextReply("Soft rain.", input_tokens=1200, cache_read_input_tokens=300, output_tokens=40))
    await run(session.send("Write about rain."))
    reported = 1200 + 300 + 40  # the request, read from the cache or not, and the reply
    assert await figure(session) == reported
    assert await figure(session, SHORT) == reported + rough(SHORT)
    assert tokens._encoding is None, "a short message is not worth loading the tokenizer for"
    assert await figure(session, LONG) == reported + new_message(LONG)
    await session.aclose(wait=5)


async def test_a_refusal_or_a_stopped_reply_goes_on_from_the_last_reply_reported_whole(
    server: RecordingServer, tmp_path: Path
) -> None:
    session = await answered(server, tmp_path)
    server.queue(
        TextReply("I can't help with that.", input_tokens=5000, output_tokens=9, stop_reason="refusal")
    )
    await run(session.send("Something refused."))
    assert await figure(session) == 1240, "the refused exchange was taken back: its size goes too"
    server.queue(TextReply("A long answer, " * 50, input_tokens=7000, output_tokens=600, chunk_delay=0.01))
    await run(session.send("Go on."), stop_after_text=session)
    kept = session.conversation.messages[-2:]  # the message and the stopped reply's text so far
    assert [m["role"] for m in kept] == ["user", "assistant"]
    raw, _ = tokens.estimate_messages(kept)
    assert await figure(session) == 1240 + raw, "the stopped reply is counted, not taken as reported"
    await session.aclose(wait=5)


async def test_another_model_or_a_new_conversation_is_counted_whole(
    server: RecordingServer, tmp_path: Path
) -> None:
    session = await answered(server, tmp_path)
    assert session.engine is not None
    session.use_model("claude-haiku-4-5")  # counts the same text its own way: no figure for it yet
    whole = tokens.estimate_request(session.engine.count_params(session.conversation, session.model, SHORT))
    assert await figure(session, SHORT) == whole
    session.use_model("claude-sonnet-4-6")
    assert await figure(session) == 1240
    session.new_conversation()
    empty = tokens.estimate_request(session.engine.count_params(session.conversation, session.model))
    assert await figure(session) == empty < 1240
    await session.aclose(wait=5)


async def test_a_reopened_conversation_is_sized_from_its_kept_usage_without_the_tokenizer(
    server: RecordingServer, tmp_path: Path, no_tokenizer: None
) -> None:
    first = open_session(server, tmp_path)
    await first.start()
    server.queue(
        TextReply("Soft rain.", input_tokens=1200, output_tokens=40),
        TextReply("The sea, then.", input_tokens=300, cache_read_input_tokens=1250, output_tokens=60),
    )
    await run(first.send("Write about rain."))
    await run(first.send("And the sea?"))
    await first.aclose(wait=10)
    tokens._encoding = None  # what the first session loaded dies with its process

    again = open_session(server, tmp_path)
    await again.start()
    assert again.open_latest_now() is not None
    assert await figure(again) == 300 + 1250 + 60
    assert await figure(again, SHORT) == 1610 + rough(SHORT)
    assert tokens._encoding is None, "neither the kept conversation nor a short message is counted"
    assert await figure(again, LONG) == 1610 + new_message(LONG)
    await again.aclose(wait=5)


async def test_the_sidebar_shows_a_reopened_conversations_reported_size_then_follows_typing(
    server: RecordingServer, tmp_path: Path, no_tokenizer: None
) -> None:
    from test_ui_long_history import keep_long_conversation  # 300 replies, each reported as 1,000 in, 100 out

    keep_long_conversation()
    app = make_app(server, TEST_KEY, tmp_path, resume=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: "answer 299" in chat_text(app))
        sidebar = lambda: flat(pane_text(app, "#sidebar"))  # noqa: E731
        await wait_for(pilot, lambda: "≈1,100 tokens" in sidebar())
        app.query_one(PromptArea).insert(SHORT)
        await wait_for(pilot, lambda: f"≈{format_tokens(1100 + rough(SHORT))} tokens" in sidebar())
        assert tokens._encoding is None
        app.query_one(PromptArea).insert(LONG)
        await wait_for(
            pilot, lambda: f"≈{format_tokens(1100 + new_message(SHORT + LONG))} tokens" in sidebar()
        )


async def test_the_tokenizer_is_ready_at_start_only_for_a_conversation_the_api_has_not_sized(
    server: RecordingServer, tmp_path: Path, no_tokenizer: None
) -> None:
    """A new conversation's first estimate counts it all: the tokenizer loads as the studio starts
    (Session.prepare), not in the writer's first keys. A conversation the API has sized needs it
    only for a long new message: opening one lets it go, and starting on one does not load it."""
    first = open_session(server, tmp_path)
    await first.start()
    await first.prepare()
    assert tokens._encoding is not None, "a new conversation: loaded as the studio starts"
    server.queue(TextReply("Soft rain.", input_tokens=1200, output_tokens=40))
    await run(first.send("Write about rain."))
    first.new_conversation()
    assert await first.open_conversation(first.earlier_conversations()[0].id) is not None
    assert tokens._encoding is None, "opened a sized conversation: the tokenizer was let go"
    assert await figure(first, LONG) == 1240 + new_message(LONG)  # loaded again when needed
    await first.aclose(wait=10)
    tokens._encoding = None  # what the first session loaded dies with its process

    again = open_session(server, tmp_path)
    await again.start()
    assert again.open_latest_now() is not None
    await again.prepare()
    assert tokens._encoding is None, "started on a sized conversation: not loaded"
    assert await figure(again, SHORT) == 1240 + rough(SHORT)
    await again.aclose(wait=5)
