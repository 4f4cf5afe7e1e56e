"""A conversation's title, made by a cheap model once its first reply is in (the brief's pattern:
small jobs go to Haiku). One short request with the writer's first message and the start of
Claude's first reply, cut so it stays cheap; priced and kept like a reply, but never numbered as
one. A front end asks for it after a turn, in the background: the reply never waits for it, and
when it fails the writer's first message simply stays the conversation's title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from studio.core.conversation import Conversation, Message
from studio.core.history import History
from studio.core.spending import Spending
from studio.core.usage import ReplyCost, price_reply
from studio.core.visible import without_controls

if TYPE_CHECKING:
    from studio.core.engine import Engine

TITLE_MODEL = "claude-haiku-4-5-20251001"
MAX_TOKENS = 30  # six words, with room to spare
MESSAGE_CHARS = 1_500  # of the writer's first message
REPLY_CHARS = 600  # of Claude's first reply: enough to tell what it is about
TITLE_CHARS = 60  # a longer answer is cut at a word

INSTRUCTION = (
    "You name conversations between a writer and Claude, their writing assistant. Answer with a "
    "title for the conversation below, at most six words: no quotes, no trailing punctuation, "
    "nothing else."
)

QUOTES = "\"'`\u201c\u201d\u2018\u2019\u00ab\u00bb*_"  # curly quotes too, and Markdown's emphasis
END_PUNCTUATION = ".!?,;:\u2026-\u2013\u2014 "  # and the ellipsis, en and em dashes
LABEL = re.compile(r"^\s*title\s*:\s*", re.IGNORECASE)


class TitleSettings(Protocol):
    api_key: str | None
    titles: bool  # the config's switch


@dataclass(frozen=True)
class TitleMade:
    """A title for the open conversation, and what it cost."""

    title: str
    cost: ReplyCost


def _text(message: Message) -> str:
    return "\n\n".join(b["text"] for b in message["content"] if b.get("type") == "text").strip()


def first_exchange(messages: list[Message]) -> tuple[str, str] | None:
    """The writer's first message and the text of Claude's first reply (all its tool rounds;
    "" if it only called tools); None while that reply is not in the conversation."""
    asked = next((i for i, m in enumerate(messages) if m["role"] == "user" and _text(m)), None)
    if asked is None:
        return None
    replied = None
    for message in messages[asked + 1 :]:
        if message["role"] == "user" and _text(message):
            break  # the next thing the writer said
        if message["role"] == "assistant":
            replied = "\n\n".join(t for t in (replied, _text(message)) if t)
    return None if replied is None else (_text(messages[asked]), replied)


def title_request(message: str, reply: str) -> dict[str, Any]:
    """The request: small, not streamed, nothing cached (it is sent once per conversation)."""
    return {
        "model": TITLE_MODEL,
        "max_tokens": MAX_TOKENS,
        "system": INSTRUCTION,
        "messages": [
            {
                "role": "user",
                "content": f"<message>\n{message[:MESSAGE_CHARS]}\n</message>\n\n"
                f"<reply>\n{reply[:REPLY_CHARS]}\n</reply>",
            }
        ],
    }


def clean_title(answer: str) -> str:
    """The model's answer as a title: its first line, without quotes, emphasis, a heading's #,
    a "Title:" label or trailing punctuation, and no longer than TITLE_CHARS (cut at a word)."""
    lines = [line for line in without_controls(answer).splitlines() if line.strip()]
    title = " ".join(LABEL.sub("", lines[0].lstrip("# ")).split()) if lines else ""
    title = title.strip(QUOTES).rstrip(END_PUNCTUATION).strip(QUOTES).strip()
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS + 1].rsplit(" ", 1)[0][:TITLE_CHARS].rstrip(END_PUNCTUATION)
    return title


async def make_title(
    settings: TitleSettings,
    engine: Engine | None,
    conversation: Conversation,
    history: History,
    spending: Spending,
) -> TitleMade | None:
    """Ask for the open conversation's title once its first reply is in; its cost is recorded
    like a reply's (store, budgets, today's spend) and the title kept with the conversation.

    None when there is nothing to show: titles switched off, no key, no store, the engine not
    loaded, a title already made or asked for, the session budget spent, no first reply yet,
    the request failed, or the writer has left the conversation meanwhile (what it cost is still
    kept and counted)."""
    if not (settings.titles and settings.api_key) or engine is None or history.store is None:
        return None
    if history.named or history.title_asked or spending.check().level == "over":
        return None
    exchange = first_exchange(conversation.messages)
    if exchange is None:
        return None
    history.title_asked = True
    session = history.session
    try:
        answer, usage = await engine.small_request(title_request(*exchange))
    except Exception:  # offline, rate-limited, refused: the first message stays the title
        return None
    cost = price_reply(TITLE_MODEL, usage, engine.catalog.info(TITLE_MODEL).price)
    title = clean_title(answer)
    if title:
        history.name(session, title)
    if session is not history.session:
        spending.record_apart(cost, session)
        return None
    spending.record(spending.ledger.start_title(TITLE_MODEL), cost, session)
    return TitleMade(title, cost)
