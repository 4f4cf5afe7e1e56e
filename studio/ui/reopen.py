"""The chat of a reopened conversation, rebuilt from what the store kept: the writer's messages,
each reply's text and tool calls (with their results and the draft each touched), and the line
saying what the reply cost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.widget import Widget
from textual.widgets import Collapsible, Static

from studio.core.conversation import CONTINUE_REQUEST, TouchedDraft
from studio.core.ledger import LedgerEntry
from studio.core.store import PartialStatus, SavedMessage, SavedSession
from studio.core.visible import visible
from studio.ui.chat import Notice, ToolEntry, UserMessage
from studio.ui.cost_words import reply_meta
from studio.ui.reply_view import AssistantMessage, settled_text

ENDED: dict[PartialStatus, str] = {"streaming": "interrupted", "failed": "failed", "stopped": "stopped"}


def _result_text(block: dict[str, Any]) -> str:
    content = block.get("content", "")
    if isinstance(content, str):
        return content
    return "\n".join(part.get("text", "") for part in content if isinstance(part, dict))


WidgetMaker = Callable[[], Widget]


@dataclass(frozen=True)
class Reopened:
    """The chat's widgets (as makers) and, for each stored message's position, the one showing it
    (a search hit scrolls to it)."""

    makers: list[WidgetMaker]
    shown_in: dict[int, int]


def reopened_widgets(
    saved: SavedSession, name_of: Callable[[str], str], entries: list[LedgerEntry]
) -> Reopened:
    """One widget per message the writer sent and per reply (all its tool rounds together), as
    makers: parsing a long conversation's Markdown takes a while, so the chat builds only the
    part of it the writer is reading (ChatView's window). Nothing here is worked out per
    message beyond grouping: a maker does the rest when it is called."""
    results = {
        block["tool_use_id"]: block
        for stored in saved.messages
        for block in stored.message["content"]
        if block.get("type") == "tool_result"
    }
    by_number = {entry.number: entry for entry in entries}
    # How a reply ended, when not normally; a round studio never finished writing was interrupted.
    status = {p.reply: ENDED[p.status] for p in saved.partials}
    partials = sorted(saved.partials, key=lambda p: p.position)
    makers: list[WidgetMaker] = []
    shown_in: dict[int, int] = {}
    in_reply: list[int] = []  # the positions of the messages in the reply being built
    blocks: list[dict[str, Any]] = []
    reply: tuple[str | None, int | None] | None = None  # (model, number) of the reply being built

    def close_reply() -> None:
        nonlocal blocks, reply
        shown_in.update(dict.fromkeys(in_reply, len(makers)))
        in_reply.clear()
        if reply is not None:
            model, number = reply
            entry = by_number.get(number) if number is not None else None
            how = status.get(number, "")
            makers.append(
                partial(
                    _reply, name_of(model) if model else "Claude", blocks, results, saved.touched, entry, how
                )
            )
        blocks, reply = [], None

    # A round that did not finish is shown where it stood: before the message at its position.
    ends = [
        SavedMessage({"role": "assistant", "content": [{"type": "text", "text": p.text}]}, p.model, p.reply)
        for p in partials
    ]
    stream: list[tuple[int | None, SavedMessage]] = []
    for at, stored in enumerate(saved.messages):
        while partials and partials[0].position <= at:
            partials.pop(0)
            stream.append((None, ends.pop(0)))
        stream.append((at, stored))
    stream += [(None, end) for end in ends]
    for position, stored in stream:
        content = stored.message["content"]
        if stored.message["role"] == "user":
            text = "\n\n".join(b["text"] for b in content if b.get("type") == "text")
            if text == CONTINUE_REQUEST:  # sent by Ctrl+R, not typed: shown as it was live
                close_reply()
                makers.append(partial(Notice, "Continuing the cut reply …"))
            elif text:
                close_reply()
                if position is not None:
                    shown_in[position] = len(makers)
                makers.append(partial(UserMessage, text))
            elif position is not None:  # tool results: shown in the reply they answer
                in_reply.append(position)
            continue
        if reply is not None and reply != (stored.model, stored.reply):
            close_reply()
        reply = (stored.model, stored.reply)
        if position is not None:
            in_reply.append(position)
        blocks += content
    close_reply()
    return Reopened(makers, shown_in)


def last_reply_blocks(saved: SavedSession) -> list[str]:
    """The text blocks of the newest reply with text, as Claude wrote them (what copying takes)."""
    blocks: list[str] = []
    for stored in reversed(saved.messages):
        content = stored.message["content"]
        if stored.message["role"] == "assistant":
            blocks[:0] = [b["text"] for b in content if b.get("type") == "text" and b["text"]]
        elif blocks and any(b.get("type") == "text" for b in content):
            break  # the writer's message that reply answered
    return blocks


def _reply(
    model_name: str,
    blocks: list[dict[str, Any]],
    results: dict[str, dict[str, Any]],
    touched: dict[str, TouchedDraft],
    cost: LedgerEntry | None,
    how: str,
) -> AssistantMessage:
    parts: list[Static | Collapsible] = []
    for block in blocks:
        if block.get("type") == "text" and block["text"].strip():
            parts.append(settled_text(block["text"]))
        elif block.get("type") == "tool_use":
            result = results.get(block["id"], {})
            entry = ToolEntry(
                block["name"], block.get("input"), _result_text(result), bool(result.get("is_error"))
            )
            draft = touched.get(block["id"])  # none for calls kept before drafts were recorded
            if draft is not None and draft.kind == "saved":  # titled as the live ToolEntry is
                entry.title += visible(f": drafts/{draft.name}")
            parts.append(entry)
    message = AssistantMessage(model_name, parts)
    message.set_meta(reply_meta(cost, how) if cost is not None else how)
    return message
