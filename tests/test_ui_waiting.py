"""While the engine waits to retry, the reply says why and counts down; Escape stops the wait."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from conftest import TEST_KEY
from fakeapi import HttpError, RecordingServer
from ui_helpers import chat_text, idle, make_app, send, wait_for

from studio.loopback import TextReply

SIZE = (120, 36)


def seconds_left(text: str, words: str) -> int | None:
    found = re.search(re.escape(words) + r": retrying in (\d+) s · Escape stops", text)
    return int(found.group(1)) if found else None


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (HttpError.rate_limited(retry_after=40), "Rate limited"),
        (HttpError(529, "overloaded_error", "Overloaded", {"retry-after": "40"}), "Claude is overloaded"),
    ],
)
async def test_a_long_wait_counts_down_and_escape_stops_it(
    server: RecordingServer, tmp_path: Path, fault: HttpError, words: str
) -> None:
    server.queue(fault, TextReply("never asked for"))
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        await wait_for(pilot, lambda: seconds_left(chat_text(app), words) is not None)
        first = seconds_left(chat_text(app), words)
        assert first is not None and 37 <= first <= 40
        assert "writing …" not in chat_text(app)
        await wait_for(pilot, lambda: (seconds_left(chat_text(app), words) or first) < first)
        started = time.monotonic()
        await pilot.press("escape")
        await idle(pilot, app)
        assert time.monotonic() - started < 3
        text = chat_text(app)
        assert "stopped" in text and "retrying in" not in text
        assert len(server.message_requests) == 1


async def test_a_short_wait_then_the_reply(server: RecordingServer, tmp_path: Path) -> None:
    server.queue(HttpError.rate_limited(retry_after=2), TextReply("Here at last."))
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        await wait_for(pilot, lambda: seconds_left(chat_text(app), "Rate limited") is not None)
        await idle(pilot, app)
        await pilot.pause(0.3)
        text = chat_text(app)
        assert "Here at last." in text and "retrying in" not in text
        assert len(server.message_requests) == 2
