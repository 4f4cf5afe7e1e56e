"""Titles as the writer sees them: after the first reply, Haiku's title in the header and in F5,
and what it cost as a row of its own in the sidebar, counted in the session total; nothing at
all when the title request fails; the row and the title again when the conversation reopens."""

from __future__ import annotations

from pathlib import Path

from conftest import TEST_KEY
from fakeapi import HttpError, RecordingServer
from ui_helpers import chat_text, dialog_text, flat, idle, make_app, pane_text, screen_text, send, wait_for

from studio.core.titles import TITLE_MODEL
from studio.core.usage import format_usd
from studio.loopback import Request, TextReply
from studio.loopback.sse import estimate_input_tokens, estimate_output_tokens
from studio.ui.app import StudioApp
from studio.ui.dialogs import Conversations

SIZE = (120, 36)
FIRST = "Write a haiku about rain on the roofs of Lisbon, please."
TITLE = "Write a haiku about rain"  # the loopback's title: the first five words
REPLY_USD = (1000 * 3 + 200 * 15) / 1_000_000  # Sonnet 4.6: $0.0060


def sidebar(app: StudioApp) -> str:
    return flat(pane_text(app, "#sidebar"))


def header(app: StudioApp) -> str:
    return screen_text(app).splitlines()[0]


def title_requests(server: RecordingServer) -> list[Request]:
    return [r for r in server.message_requests if r.json["model"] == TITLE_MODEL]


def title_usd(server: RecordingServer) -> float:
    """What the loopback charged for its title, at Haiku 4.5's $1 / $5 per million tokens."""
    (request,) = title_requests(server)
    return (estimate_input_tokens(request.json) + estimate_output_tokens(TITLE) * 5) / 1_000_000


def titles_done(app: StudioApp) -> bool:
    return not any(w.group == "title" and not w.is_finished for w in app.main_screen.workers)


async def test_the_first_reply_brings_a_title_priced_in_the_sidebar_and_listed_in_f5(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(
        TextReply("Grey rain on the tiles.", input_tokens=1000, output_tokens=200),
        TextReply("Sun on the river.", input_tokens=1000, output_tokens=200),
    )
    app = make_app(server, TEST_KEY, tmp_path, titles=True)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, FIRST)
        await wait_for(pilot, lambda: "title Haiku 4.5" in sidebar(app))
        usd = title_usd(server)
        side = sidebar(app)
        assert f"title Haiku 4.5 {format_usd(usd)}" in side
        assert side.index("#1 Sonnet 4.6 $0.0060") < side.index("title Haiku 4.5")
        assert f"Session {format_usd(REPLY_USD + usd)}" in side  # counted in the total
        await wait_for(pilot, lambda: f"studio · {TITLE}" in header(app))

        await send(pilot, "And one about the sun?")
        await idle(pilot, app)
        await wait_for(pilot, lambda: titles_done(app))
        assert len(title_requests(server)) == 1  # the first reply only
        assert f"Session {format_usd(2 * REPLY_USD + usd)}" in sidebar(app)

        await pilot.press("f5")
        await wait_for(pilot, lambda: "2 replies" in dialog_text(app))
        assert isinstance(app.screen, Conversations)
        listed = dialog_text(app)
        assert TITLE in listed and "roofs of Lisbon" not in listed  # Haiku's title, not the message
        assert format_usd(2 * REPLY_USD + usd) in listed


async def test_a_failed_title_request_leaves_everything_as_it_was_but_the_title(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.title_reply = HttpError.invalid_request("max_tokens: too small")
    server.queue(TextReply("Grey rain on the tiles.", input_tokens=1000, output_tokens=200))
    app = make_app(server, TEST_KEY, tmp_path, titles=True)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, FIRST)
        await idle(pilot, app)
        await wait_for(pilot, lambda: len(title_requests(server)) == 1 and titles_done(app))
        await pilot.pause(0.1)
        side, chat = sidebar(app), chat_text(app)
        assert "title Haiku" not in side and "Session $0.0060" in side
        assert "Grey rain on the tiles." in chat
        assert "error" not in chat.lower() and "too small" not in screen_text(app)  # said nowhere
        assert header(app).split()[:2] == ["✎", "studio"] and "·" not in header(app)
        await pilot.press("f5")
        await wait_for(pilot, lambda: "1 reply" in dialog_text(app))
        assert "roofs of Lisbon" in dialog_text(app)  # the first message stays the title
        await pilot.press("escape")
    assert app.return_code in (0, None) and app.crash_report is None


async def test_a_reopened_conversation_shows_its_title_and_the_title_row(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(TextReply("Grey rain on the tiles.", input_tokens=1000, output_tokens=200))
    app = make_app(server, TEST_KEY, tmp_path, titles=True)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, FIRST)
        await wait_for(pilot, lambda: "title Haiku 4.5" in sidebar(app))
    usd = title_usd(server)

    again = make_app(server, TEST_KEY, tmp_path, titles=True, resume=True)
    async with again.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "Grey rain on the tiles." in chat_text(again))
        await wait_for(pilot, lambda: f"title Haiku 4.5 {format_usd(usd)}" in sidebar(again))
        assert "#1 Sonnet 4.6 $0.0060" in sidebar(again)
        assert f"Session {format_usd(REPLY_USD + usd)}" in sidebar(again)
        assert f"studio · {TITLE}" in header(again)
        await pilot.press("f5")  # a new conversation: no title, no title row
        await wait_for(pilot, lambda: isinstance(again.screen, Conversations))
        await pilot.press("home", "enter")
        await wait_for(pilot, lambda: "A new conversation" in chat_text(again))
        assert "title Haiku" not in sidebar(again) and "·" not in header(again)
    assert len(title_requests(server)) == 1
