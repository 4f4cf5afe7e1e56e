"""Costs as the writer sees them: cache reads and writes, savings, the next message's size, budgets."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from conftest import TEST_KEY
from fakeapi import RecordingServer
from ui_helpers import chat_text, dialog_text, flat, idle, make_app, pane_text, screen_text, send, wait_for

from studio.core import tokens
from studio.loopback import TextReply
from studio.ui.prompt import PromptArea

SIZE = (120, 40)


def sidebar(app) -> str:  # type: ignore[no-untyped-def]
    return flat(pane_text(app, "#sidebar"))


async def test_three_turns_write_then_read_the_cache(server: RecordingServer, tmp_path: Path) -> None:
    # What the API reports when the prefix is cached on turn 1 and read on turns 2 and 3.
    server.queue(
        TextReply("One.", input_tokens=50, cache_creation_input_tokens=4000, output_tokens=100),
        TextReply("Two.", input_tokens=60, cache_read_input_tokens=4000, output_tokens=100),
        TextReply("Three.", input_tokens=70, cache_read_input_tokens=4100, output_tokens=100),
    )
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "first")
        await idle(pilot, app)
        await pilot.pause(0.1)
        # Only a write so far: its premium, 4,000 x (3.75 - 3.00) per million, is a cost, not a saving.
        assert "cache extra $0.0030 (repaid when it is read)" in sidebar(app)
        assert "Cost per reply" not in sidebar(app)  # a chart of one is no chart
        for text in ("second", "third"):
            await send(pilot, text)
            await idle(pilot, app)
        await pilot.pause(0.1)
        side = sidebar(app)
        # Turn 1: 50x3 + 4000x3.75 + 100x15 per million = $0.01665 -> "$0.017"
        # Turn 2: 60x3 + 4000x0.30 + 1500 = $0.00288 -> "$0.0029"; turn 3: 210+1230+1500 = $0.00294
        assert "#1 Sonnet 4.6 $0.017" in side and "#2 Sonnet 4.6 $0.0029" in side
        assert "#3 Sonnet 4.6 $0.0029" in side
        assert "cache read 8,100" in side and "cache write 4,000" in side
        # Saved: reads 8,100 x (3.00 - 0.30) = $0.02187, minus the write premium 4,000 x 0.75 = $0.003
        assert "cache saved $0.019" in side
        assert "cache warm 4:5" in side and "(for" not in side  # five minutes from the last hit
        assert "Session $0.022" in side  # 0.01665 + 0.00288 + 0.00294 = 0.02247
        assert "Cost per reply" in side  # the chart's title, above its bars
        assert "cache read 4,100" in chat_text(app)  # each reply says what it read from the cache
        await pilot.press("f2", "3")  # Haiku: its cache is not Sonnet's, so the countdown says whose
        await wait_for(pilot, lambda: "(for Claude Sonnet 4.6)" in sidebar(app))
        assert "cache warm 4:5" in sidebar(app)


async def test_the_estimate_moves_while_typing_then_the_exact_count_arrives(
    server: RecordingServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.session.engine is not None)
        prompt = app.query_one(PromptArea)
        prompt.insert("A short question.")
        await wait_for(pilot, lambda: "≈" in sidebar(app))
        estimate = lambda: int(sidebar(app).split("≈")[1].split(" tokens")[0].replace(",", ""))  # noqa: E731
        first = estimate()
        prompt.insert(" And a much longer paragraph that goes on for a while about the draft. " * 20)
        # The estimate follows the typing; the exact count (for what was typed last) comes after.
        await wait_for(pilot, lambda: estimate() > first + 200)
        await wait_for(pilot, lambda: "exact" in sidebar(app) and "after a pause" not in sidebar(app))
        exact = int(sidebar(app).split("exact ")[1].split(" ")[0].replace(",", ""))
        counted = [r for r in server.requests if r.path == "/v1/messages/count_tokens"]
        assert counted and exact > 0
        assert "much longer paragraph" in counted[-1].body.decode()


async def test_no_network_still_estimates(tmp_path: Path) -> None:
    """No server at all: the offline estimate works, the exact count quietly does not."""
    app = make_app(None, TEST_KEY, tmp_path)
    app.settings.base_url = "http://127.0.0.1:9"  # nothing listens there
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.session.engine is not None)
        app.query_one(PromptArea).insert("Estimate me, offline.")
        await wait_for(pilot, lambda: "≈" in sidebar(app))
        await pilot.pause(2.0)
        assert "≈" in sidebar(app) and "after a pause" in sidebar(app)


async def test_a_damaged_vocabulary_is_said_once_and_the_studio_still_answers(
    server: RecordingServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tokenizer is loaded as the studio starts: a broken install must not stop the start,
    and is said once, when the first estimate is asked for."""
    bad = tmp_path / "cl100k_base.tiktoken.gz"
    bad.write_bytes(gzip.compress(b"not a vocabulary"))
    monkeypatch.setattr(tokens, "_encoding", None)
    monkeypatch.setattr(tokens, "_vocabulary_path", lambda: bad)
    server.queue(TextReply("Still here."))
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.session.engine is not None)
        app.query_one(PromptArea).insert("How long is this?")
        await wait_for(pilot, lambda: "No token estimates" in flat(screen_text(app)))
        await send(pilot, " Answer anyway.")
        await wait_for(pilot, lambda: "Still here." in chat_text(app))
        assert flat(screen_text(app)).count("No token estimates") == 1


async def test_over_budget_asks_before_sending(server: RecordingServer, tmp_path: Path) -> None:
    server.queue(TextReply("Pricey.", input_tokens=10_000, output_tokens=1000))
    app = make_app(server, TEST_KEY, tmp_path, session_budget=0.01)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "first")  # $0.03 + $0.015 = $0.045, over the $0.01 budget
        await idle(pilot, app)
        await pilot.pause(0.1)
        assert "You have spent $0.045 of your $0.010 session budget" in chat_text(app)
        await send(pilot, "second")
        await wait_for(pilot, lambda: "Send this message anyway?" in dialog_text(app))
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert len(server.message_requests) == 1
        assert app.query_one(PromptArea).text == "second"  # nothing lost


async def test_daily_spend_survives_a_restart(server: RecordingServer, tmp_path: Path) -> None:
    server.queue(
        TextReply("One.", input_tokens=1000, output_tokens=100),
        TextReply("Two.", input_tokens=1000, output_tokens=100),
    )
    for run in range(2):
        app = make_app(server, TEST_KEY, tmp_path, daily_budget=1.0)
        async with app.run_test(size=SIZE) as pilot:
            await send(pilot, f"message {run}")
            await idle(pilot, app)
            await pilot.pause(0.1)
            # Each reply: 1000x3 + 100x15 per million = $0.0045; the day's total carries over.
            expected = "$0.0045" if run == 0 else "$0.0090"
            assert f"today {expected} of $1.00" in sidebar(app)


async def test_a_request_over_the_context_window_asks_first(server: RecordingServer, tmp_path: Path) -> None:
    app = make_app(server, TEST_KEY, tmp_path, models={"claude-sonnet-4-6": {"context_window": 500}})
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "word " * 2000)
        await wait_for(pilot, lambda: "over the 500 that Claude Sonnet 4.6 accepts" in dialog_text(app))
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert server.message_requests == []


async def test_one_hour_cache_writes_are_priced_and_shown(server: RecordingServer, tmp_path: Path) -> None:
    long_prompt = "You are a careful editor. " * 400  # over the 1,024-token minimum
    server.queue(TextReply("One."), TextReply("Two."))  # usage from the server's simulated cache
    app = make_app(server, TEST_KEY, tmp_path, cache_ttl="1h", system_prompt=long_prompt)
    async with app.run_test(size=SIZE) as pilot:
        for text in ("first", "second"):
            await send(pilot, text)
            await idle(pilot, app)
        await pilot.pause(0.1)
        body = server.message_requests[0].json
        assert body["system"][-1]["cache_control"]["ttl"] == "1h"
        side = sidebar(app)
        assert " 1h" in side and "h\n" not in side  # the 1-hour writes are named as such
        first = app.session.spending.ledger.entries[0]
        assert first.usage.cache_write_1h > 0 and first.usage.cache_write_5m == 0
        # 1-hour writes cost twice the input price: $6.00 per million on Sonnet 4.6.
        u = first.usage
        expected = (u.input * 3 + u.output * 15 + u.cache_write_1h * 6 + u.cache_read * 0.3) / 1e6
        assert first.usd == pytest.approx(expected)
        assert app.session.spending.ledger.entries[1].usage.cache_read > 0
        assert "cache warm 59:" in side  # an hour from the last hit


async def test_the_next_message_figures_follow_a_reply_that_ends(
    server: RecordingServer, tmp_path: Path
) -> None:
    """Counted while Claude was still writing, the next request lacked the reply: once the reply
    ends, the sidebar counts again instead of keeping the old figure."""
    import re

    # Slow enough (about 7 s) that the count made while it streams lands on a loaded machine.
    server.queue(TextReply("A slow and rather long answer. " * 15, chunk_size=10, chunk_delay=0.15))
    app = make_app(server, TEST_KEY, tmp_path)

    def exact() -> int | None:
        found = re.search(r"exact ([\d,]+)", sidebar(app))
        return int(found[1].replace(",", "")) if found else None

    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Tell me something long.")
        await wait_for(pilot, lambda: app.session.running and exact() is not None)
        during = exact()
        assert during is not None
        await idle(pilot, app)
        await wait_for(pilot, lambda: (exact() or 0) > during)
        assert (exact() or 0) - during > 50  # the reply's ~115 tokens are in the next request
