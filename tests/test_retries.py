"""The engine's own retries before the first byte: announced, counted down, stoppable, bounded."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from conftest import TEST_KEY
from fakeapi import ErrorMidStream, HttpError, RecordingServer

from studio.core.catalog import Catalog
from studio.core.conversation import Conversation
from studio.core.engine import Engine, EngineConfig
from studio.core.events import Event, TextDelta, TurnDone, TurnFailed, Waiting
from studio.loopback import TextReply

MODEL = "claude-sonnet-4-6"


@pytest.fixture
async def engine(server: RecordingServer) -> AsyncIterator[Engine]:
    made = Engine(EngineConfig(api_key=TEST_KEY, base_url=server.base_url, max_retries=2), Catalog.builtin())
    yield made
    await made.aclose()


def ask(text: str) -> Conversation:
    conversation = Conversation()
    conversation.add_user(text)
    return conversation


async def run(engine: Engine, stop: asyncio.Event | None = None) -> list[Event]:
    return [event async for event in engine.run_turn(ask("hello"), MODEL, stop)]


async def test_a_rate_limit_is_announced_then_retried(server: RecordingServer, engine: Engine) -> None:
    server.queue(HttpError.rate_limited(retry_after=1), TextReply("Made it."))
    started = time.monotonic()
    events = await run(engine)
    waits = [e for e in events if isinstance(e, Waiting)]
    assert waits == [Waiting("rate_limit", 1.0, 1)]
    assert events.index(waits[0]) < next(i for i, e in enumerate(events) if isinstance(e, TextDelta))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Made it."
    assert time.monotonic() - started >= 1.0  # the retry-after was honoured
    assert len(server.message_requests) == 2


async def test_overload_backs_off_and_retry_after_ms_wins(server: RecordingServer, engine: Engine) -> None:
    server.queue(
        HttpError.overloaded(),
        HttpError(429, "rate_limit_error", "slow down", {"retry-after-ms": "50", "retry-after": "9"}),
        TextReply("Third time."),
    )
    events = await run(engine)
    waits = [e for e in events if isinstance(e, Waiting)]
    assert [(w.kind, w.attempt) for w in waits] == [("overloaded", 1), ("rate_limit", 2)]
    assert 0.375 <= waits[0].seconds <= 0.5  # the SDK's first backoff, with jitter
    assert waits[1].seconds == 0.05
    assert isinstance(events[-1], TurnDone)


async def test_escape_ends_the_wait_at_once(server: RecordingServer, engine: Engine) -> None:
    server.queue(HttpError.rate_limited(retry_after=120), TextReply("never asked for"))
    stop = asyncio.Event()
    events: list[Event] = []
    started = time.monotonic()
    async for event in engine.run_turn(ask("hello"), MODEL, stop):
        events.append(event)
        if isinstance(event, Waiting):
            stop.set()
    assert time.monotonic() - started < 3
    assert isinstance(events[-1], TurnDone) and events[-1].stop_reason == "stopped"
    assert len(server.message_requests) == 1


async def test_a_retry_after_past_the_ceiling_is_not_waited_for(
    server: RecordingServer, engine: Engine
) -> None:
    server.queue(HttpError.rate_limited(retry_after=900))
    started = time.monotonic()
    events = await run(engine)
    assert time.monotonic() - started < 3
    assert not any(isinstance(e, Waiting) for e in events)
    failed = events[-1]
    assert isinstance(failed, TurnFailed) and failed.kind == "rate_limit"
    assert "wait 15 min" in failed.detail and failed.retry_after == 900
    assert len(server.message_requests) == 1


async def test_retries_are_bounded(server: RecordingServer, engine: Engine) -> None:
    server.queue(HttpError.rate_limited(retry_after=0.05, times=5))
    events = await run(engine)
    assert [e.attempt for e in events if isinstance(e, Waiting)] == [1, 2]
    assert isinstance(events[-1], TurnFailed) and events[-1].kind == "rate_limit"
    assert len(server.message_requests) == 3


async def test_a_bad_request_is_never_retried(server: RecordingServer, engine: Engine) -> None:
    server.queue(HttpError.invalid_request("messages: bad"), TextReply("never asked for"))
    events = await run(engine)
    assert isinstance(events[-1], TurnFailed) and events[-1].kind == "bad_request"
    assert len(server.message_requests) == 1


async def test_nothing_is_retried_after_a_200(server: RecordingServer, engine: Engine) -> None:
    server.queue(ErrorMidStream(text_before="Half"), TextReply("never asked for"))
    events = await run(engine)
    assert not any(isinstance(e, Waiting) for e in events)
    assert isinstance(events[-1], TurnFailed) and events[-1].kind == "stream_error"
    assert len(server.message_requests) == 1
