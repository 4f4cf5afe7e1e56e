"""Conversation titles from Haiku, through the session alone (real SDK ↔ loopback): the request
goes out once, after the first reply, with the expected shape; its cost is kept and counted like a
reply's but is never one; a failure leaves the first message as the title."""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing
from datetime import date
from pathlib import Path

import pytest
from conftest import TEST_KEY
from fakeapi import HttpError, RecordingServer

from studio import locations
from studio.config import Settings
from studio.core.session import Session
from studio.core.store import Store
from studio.core.titles import (
    INSTRUCTION,
    MAX_TOKENS,
    MESSAGE_CHARS,
    REPLY_CHARS,
    TITLE_MODEL,
    clean_title,
)
from studio.loopback import Request, TextReply
from studio.loopback.builder import Context, Outcome
from studio.loopback.sse import estimate_input_tokens, estimate_output_tokens
from studio.loopback.titles import TITLE_MARK, TitleReply

FIRST = "Write a haiku about rain on the roofs of Lisbon, please."


class SlowTitle(TitleReply):
    """A title that takes half a second to come back."""

    def build(self, ctx: Context) -> Outcome:
        time.sleep(0.5)
        return super().build(ctx)


def open_session(server: RecordingServer, tmp_path: Path, **kw: object) -> Session:
    settings = Settings(api_key=TEST_KEY, base_url=server.base_url, drafts_dir=tmp_path / "drafts", **kw)  # type: ignore[arg-type]
    session, problem = Session.open(settings)
    assert problem is None
    return session


async def turn(session: Session, text: str) -> None:
    async with aclosing(session.send(text)) as events:
        async for _ in events:
            pass


def title_requests(server: RecordingServer) -> list[Request]:
    return [r for r in server.message_requests if r.json["model"] == TITLE_MODEL]


def haiku_usd(request: Request, title: str) -> float:
    """What the loopback charges for the title it answers, at Haiku 4.5's $1 / $5 per million."""
    return (estimate_input_tokens(request.json) * 1 + estimate_output_tokens(title) * 5) / 1_000_000


def store_of(session: Session) -> Store:
    assert session.flush(5.0)
    store = session.history.store
    assert store is not None
    return store


async def test_after_the_first_reply_haiku_names_the_conversation_priced_and_kept(
    server: RecordingServer, tmp_path: Path
) -> None:
    session = open_session(server, tmp_path)
    await session.start()
    long_reply = "Grey rain on the tiles,\nthe tram bell rings through the drops.\n\n" + "More words. " * 200
    server.queue(TextReply(long_reply, input_tokens=1000, output_tokens=600))
    await turn(session, FIRST)

    made = await session.make_title()

    assert made is not None and made.title == "Write a haiku about rain"  # the loopback's words
    (request,) = title_requests(server)
    sent = request.json
    assert sent["max_tokens"] == MAX_TOKENS <= 50 and not sent.get("stream")
    assert sent["system"] == INSTRUCTION and "tools" not in sent
    (asked,) = sent["messages"]
    assert FIRST in asked["content"] and "Grey rain on the tiles,\nthe tram bell" in asked["content"]
    # Cut, so it stays cheap: the start of the reply, not all 2,400 characters of it.
    assert len(asked["content"]) < len(FIRST) + REPLY_CHARS + 60 < len(long_reply)
    assert made.cost.usd == pytest.approx(haiku_usd(request, made.title))

    # Counted like a reply (session total, today's spend), but not a reply.
    reply_usd = (1000 * 3 + 600 * 15) / 1_000_000
    ledger = session.spending.ledger
    assert [e.number for e in ledger.entries] == [1]
    assert ledger.title is not None and ledger.title.usd == pytest.approx(made.cost.usd)
    assert session.spending.session_usd == pytest.approx(reply_usd + made.cost.usd)

    store = store_of(session)
    with store.connect() as db:
        rows = db.execute("SELECT model, reply, purpose FROM responses ORDER BY id").fetchall()
    assert rows == [("claude-sonnet-4-6", 1, "reply"), (TITLE_MODEL, None, "title")]
    assert store.spent_on(date.today()) == pytest.approx(reply_usd + made.cost.usd)
    (summary,) = store.sessions()
    assert summary.title == "Write a haiku about rain" and summary.replies == 1
    assert summary.usd == pytest.approx(reply_usd + made.cost.usd)

    # Later replies ask for nothing more.
    server.queue(TextReply("Another."))
    await turn(session, "And one about sun?")
    assert await session.make_title() is None
    assert len(title_requests(server)) == 1
    await session.aclose(2.0)


async def test_switched_off_no_key_or_no_first_reply_means_no_request(
    server: RecordingServer, tmp_path: Path
) -> None:
    off = open_session(server, tmp_path, titles=False)
    await off.start()
    server.queue(TextReply("Rain."))
    await turn(off, FIRST)
    assert await off.make_title() is None
    await off.aclose(2.0)

    failing = open_session(server, tmp_path)
    await failing.start()
    server.queue(HttpError.invalid_request("messages: bad"))
    await turn(failing, "This one fails.")
    assert await failing.make_title() is None  # the first reply never came
    await failing.aclose(2.0)

    keyless = open_session(server, tmp_path)
    await keyless.start()
    server.queue(TextReply("Rain."))
    await turn(keyless, FIRST)
    keyless.settings.api_key = None
    assert await keyless.make_title() is None
    await keyless.aclose(2.0)

    assert title_requests(server) == []


async def test_a_failed_title_request_leaves_the_first_message_as_the_title(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.title_reply = HttpError.invalid_request("max_tokens: too small")
    session = open_session(server, tmp_path)
    await session.start()
    server.queue(TextReply("Rain.", input_tokens=1000, output_tokens=100), TextReply("Sun."))
    await turn(session, FIRST)

    assert await session.make_title() is None
    assert len(title_requests(server)) == 1
    assert session.spending.ledger.title is None
    assert session.spending.session_usd == pytest.approx((1000 * 3 + 100 * 15) / 1_000_000)
    # Not asked again after every reply: once per conversation opened.
    await turn(session, "And sun?")
    assert await session.make_title() is None
    assert len(title_requests(server)) == 1
    (summary,) = store_of(session).sessions()
    assert summary.title == FIRST
    await session.aclose(2.0)


async def test_a_reopened_conversation_brings_its_title_and_what_it_cost_back(
    server: RecordingServer, tmp_path: Path
) -> None:
    first = open_session(server, tmp_path)
    await first.start()
    server.queue(TextReply("Rain.", input_tokens=1000, output_tokens=100))
    await turn(first, FIRST)
    made = await first.make_title()
    assert made is not None
    await first.aclose(2.0)

    again = open_session(server, tmp_path)
    await again.start()
    saved = again.open_latest_now()
    assert saved is not None and saved.named == made.title
    ledger = again.spending.ledger
    assert [e.number for e in ledger.entries] == [1]  # the title is not a reply
    assert ledger.title is not None and ledger.title.usd == pytest.approx(made.cost.usd)
    # Today's spend counts the title once, not once more for having reopened it.
    today = Store(locations.data_dir() / "studio.db").spent_on(date.today())
    assert again.spending.daily_usd == pytest.approx(today)
    # Named already: the next reply asks for no title.
    server.queue(TextReply("More rain."))
    await turn(again, "Another, please.")
    assert await again.make_title() is None
    assert len(title_requests(server)) == 1
    await again.aclose(2.0)


async def test_a_title_that_comes_back_after_the_writer_left_is_kept_with_its_conversation(
    server: RecordingServer, tmp_path: Path
) -> None:
    session = open_session(server, tmp_path)
    await session.start()
    server.queue(TextReply("Rain.", input_tokens=1000, output_tokens=100))
    await turn(session, FIRST)
    server.title_reply = SlowTitle()
    asked = asyncio.create_task(session.make_title())
    while not title_requests(server):  # the request is out; its answer is half a second away
        await asyncio.sleep(0.01)
    session.new_conversation()
    assert await asked is None
    assert session.spending.ledger.title is None and session.spending.session_usd == 0
    store = store_of(session)
    (summary,) = store.sessions()
    assert summary.title == "Write a haiku about rain"
    assert session.spending.daily_usd == pytest.approx(store.spent_on(date.today()))
    assert session.spending.daily_usd > (1000 * 3 + 100 * 15) / 1_000_000
    await session.aclose(2.0)


async def test_no_title_once_the_session_budget_is_spent(server: RecordingServer, tmp_path: Path) -> None:
    session = open_session(server, tmp_path, session_budget=0.01)
    await session.start()
    server.queue(TextReply("Rain.", input_tokens=4000, output_tokens=100))  # $0.0135
    await turn(session, FIRST)
    assert session.budget().level == "over"
    assert await session.make_title() is None
    assert title_requests(server) == []
    await session.aclose(2.0)


def test_the_loopback_recognises_the_instruction_studio_sends() -> None:
    """The loopback imports nothing of studio: its mark is a copy, which must still match."""
    assert INSTRUCTION.startswith(TITLE_MARK)


def test_the_title_request_cuts_a_long_first_message() -> None:
    from studio.core.titles import title_request

    content = title_request("w" * 10_000, "r" * 10_000)["messages"][0]["content"]
    assert content.count("w") == MESSAGE_CHARS and content.count("r") == REPLY_CHARS + 2  # <reply>


@pytest.mark.parametrize(
    ("answer", "title"),
    [
        ('"Rain in Lisbon."', "Rain in Lisbon"),
        ("Title: **Rain on Tiles**", "Rain on Tiles"),
        ("\u201cRain\u201d.", "Rain"),
        ("# Learn C#", "Learn C#"),
        ("Rain over Lisbon\nThis title says what the conversation is about.", "Rain over Lisbon"),
        ("Rain\x1b]0;owned\x07 here", "Rain]0;owned here"),
        ("  \n ", ""),
        (" ".join(["longword"] * 12), " ".join(["longword"] * 6)),
    ],
)
def test_the_answer_is_cleaned_into_one_short_line(answer: str, title: str) -> None:
    assert clean_title(answer) == title


@pytest.mark.parametrize(
    ("message", "title"),
    [
        ("write a haiku about rain on the roofs", "Write a haiku about rain"),
        ("Draft a short poem about autumn", "Draft a short poem"),  # not ending on "about"
        ("¿Qué tal? Dime algo bonito, por favor", "Qué tal Dime algo bonito"),
        ("!!!", "Untitled conversation"),
    ],
)
def test_the_loopback_titles_a_conversation_by_its_first_words(message: str, title: str) -> None:
    from studio.loopback.titles import title_for

    body = {
        "messages": [
            {"role": "user", "content": f"<message>\n{message}\n</message>\n\n<reply>\nOK\n</reply>"}
        ]
    }
    assert title_for(body) == title
