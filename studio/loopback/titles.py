"""Conversation titles: after a conversation's first reply, studio asks a cheap model for a title
of a few words. The demo and the tests must see one, with its price, so the server recognises
that request by its instruction and answers with the first words of the writer's message.

The recognition is this module's own (the loopback imports nothing of studio): a request whose
system prompt holds TITLE_MARK, the opening of the instruction studio sends. A test checks that
the two still agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .builder import Context, Outcome
from .replies import Reply, builder_for
from .sse import estimate_output_tokens

TITLE_MARK = "You name conversations"
TITLE_WORDS = 5
# Words a title does not end on ("Draft a short poem about" reads as cut off).
_DANGLING = {"a", "an", "the", "of", "in", "on", "at", "to", "for", "with", "about", "and", "or", "my"}
_MESSAGE = re.compile(r"<message>\s*(.*?)\s*</message>", re.DOTALL)
_WORD = re.compile("[^\\W_]+(?:['\u2019-][^\\W_]+)*")  # words, without the punctuation around them


def _texts(value: Any) -> str:
    """A system prompt or a message's content: a string, or text blocks."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(str(b.get("text", "")) for b in value if isinstance(b, dict))
    return ""


def is_title_request(body: Any) -> bool:
    return isinstance(body, dict) and TITLE_MARK in _texts(body.get("system"))


def title_for(body: dict[str, Any]) -> str:
    """The first words of the writer's message (inside <message> in the request, or the whole
    request without such tags), not ending on a word that leaves it hanging."""
    messages = body.get("messages") or []
    asked = _texts(messages[0].get("content")) if messages and isinstance(messages[0], dict) else ""
    found = _MESSAGE.search(asked)
    words = _WORD.findall(found.group(1) if found else asked)[:TITLE_WORDS]
    while len(words) > 1 and words[-1].lower() in _DANGLING:
        words.pop()
    title = " ".join(words) or "Untitled conversation"
    return title[0].upper() + title[1:]


@dataclass
class TitleReply(Reply):
    """The answer to a title request: a few words, priced from the request as any reply is."""

    def build(self, ctx: Context) -> Outcome:
        title = title_for(ctx.body)
        builder = builder_for(ctx, None, None, 0, 0)
        builder.text([title])
        builder.finish("end_turn", estimate_output_tokens(title))
        return builder.outcome(ctx, 0.0)
