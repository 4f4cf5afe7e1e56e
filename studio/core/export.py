"""A kept conversation brought back out: as Markdown to read or publish, as JSON for scripts, or
as the drafts it produced (`studio export`).

Costs are priced as the studio's sidebar prices them: each stored response at the catalogue's
price for its model, summed per reply. The draft versions the studio adds to the writer's messages
(documents, for Claude) are plumbing: one line says a version was sent, never its text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from studio.core.catalog import Catalog
from studio.core.conversation import CONTINUE_REQUEST
from studio.core.draft_sync import is_draft_block
from studio.core.drafts import DraftError, DraftStore
from studio.core.ledger import LedgerEntry
from studio.core.store import (
    PartialStatus,
    SavedMessage,
    SavedPartial,
    SavedResponse,
    SavedSession,
    SessionSummary,
    Store,
)
from studio.core.usage import TokenUsage, cost_line, format_usd, price_reply

Role = Literal["user", "assistant"]
ENDED: dict[PartialStatus, str] = {"streaming": "interrupted", "failed": "failed", "stopped": "stopped"}
_VERSION = re.compile(r"studio draft, version (\d+), ([a-z ]+):")


@dataclass(frozen=True)
class ToolCall:
    name: str
    draft: str | None  # the draft it saved or edited, if any
    kind: str | None  # "saved", "edited"
    failed: bool


@dataclass
class Turn:
    """What the writer said, or one reply of Claude's (all its tool rounds together)."""

    role: Role
    text: str = ""
    drafts_sent: list[str] = field(default_factory=list)  # "rain.md, version 2 (full text)"
    note: str = ""  # what a message sent by a key was ("continue the cut reply")
    reply: int | None = None
    model: str | None = None
    model_name: str | None = None
    at: float | None = None  # when the reply's first response came
    parts: list[str | ToolCall] = field(default_factory=list)  # a reply's text and calls, in order
    cost: LedgerEntry | None = None
    ended: str = ""  # "", or stopped, failed, interrupted

    @property
    def reply_text(self) -> str:
        return "\n\n".join(part for part in self.parts if isinstance(part, str))

    @property
    def tool_calls(self) -> list[ToolCall]:
        return [part for part in self.parts if isinstance(part, ToolCall)]


@dataclass(frozen=True)
class Transcript:
    id: int
    title: str
    updated: float
    turns: list[Turn]
    replies: list[LedgerEntry]  # every priced reply, in order
    title_cost: LedgerEntry | None = None  # what the model-made title cost, if one was asked for
    title_model_name: str = ""

    @property
    def paid(self) -> list[LedgerEntry]:
        """Everything the conversation paid for: its replies and its title."""
        return self.replies + ([self.title_cost] if self.title_cost is not None else [])

    @property
    def usd(self) -> float:
        return sum(e.usd for e in self.paid if e.usd is not None)

    @property
    def usage(self) -> TokenUsage:
        total = TokenUsage()
        for entry in self.paid:
            total = total + entry.usage
        return total

    @property
    def unknown_prices(self) -> bool:
        return any(e.usd is None for e in self.paid)


def priced_replies(saved: SavedSession, catalog: Catalog) -> dict[int, LedgerEntry]:
    """Each reply's cost, its responses priced at today's catalogue (as a reopened sidebar shows)."""
    entries: dict[int, LedgerEntry] = {}
    for response in saved.responses:
        entry = entries.setdefault(response.reply, LedgerEntry(response.reply, response.model))
        _add(entry, response, catalog)
    return entries


def priced_title(saved: SavedSession, catalog: Catalog) -> LedgerEntry | None:
    """What the conversation's title cost (None if none was asked for), priced the same way."""
    if not saved.title_responses:
        return None
    entry = LedgerEntry(0, saved.title_responses[0].model)
    for response in saved.title_responses:
        _add(entry, response, catalog)
    return entry


def _add(entry: LedgerEntry, response: SavedResponse, catalog: Catalog) -> None:
    price = catalog.info(response.model).price
    entry.add(price_reply(response.model, response.usage, price, estimated=response.estimated))


def transcript(summary: SessionSummary, saved: SavedSession, catalog: Catalog) -> Transcript:
    costs = priced_replies(saved, catalog)
    first_at: dict[int, float] = {}
    for response in saved.responses:
        first_at.setdefault(response.reply, response.at)
    failed = {
        block["tool_use_id"]
        for m in saved.messages
        for block in m.message["content"]
        if block.get("type") == "tool_result" and block.get("is_error")
    }
    ended = {p.reply: ENDED[p.status] for p in saved.partials}
    turns: list[Turn] = []
    reply: Turn | None = None
    for stored in _with_partials(saved):
        content = stored.message["content"]
        if stored.message["role"] == "user":
            text = "\n\n".join(b["text"] for b in content if b.get("type") == "text")
            sent = [_version(b) for b in content if is_draft_block(b)]
            if text or sent:
                reply = None
                if text == CONTINUE_REQUEST:
                    turns.append(Turn("user", note="continue the cut reply", drafts_sent=sent))
                else:
                    turns.append(Turn("user", text, sent))
            continue
        if reply is None or (reply.model, reply.reply) != (stored.model, stored.reply):
            number = stored.reply
            reply = Turn(
                "assistant",
                reply=number,
                model=stored.model,
                model_name=catalog.info(stored.model).name if stored.model else None,
                at=first_at.get(number) if number is not None else None,
                # A reply shown in two places (a failed round, then a retry) is costed once.
                cost=costs.pop(number, None) if number is not None else None,
                ended=ended.get(number, ""),
            )
            turns.append(reply)
        for block in content:
            if block.get("type") == "text" and block["text"].strip():
                reply.parts.append(block["text"])
            elif block.get("type") == "tool_use":
                touched = saved.touched.get(block["id"])
                reply.parts.append(
                    ToolCall(
                        block["name"],
                        touched.name if touched else None,
                        touched.kind if touched else None,
                        block["id"] in failed,
                    )
                )
    entries = sorted(priced_replies(saved, catalog).values(), key=lambda e: e.number)
    title_cost = priced_title(saved, catalog)
    name = catalog.info(title_cost.model).name if title_cost is not None else ""
    return Transcript(summary.id, summary.title, summary.updated, turns, entries, title_cost, name)


def _with_partials(saved: SavedSession) -> list[SavedMessage]:
    """The messages, with each round that did not finish (its text only in `partials`) where it
    stood: before the message at its position."""
    partials = sorted((p for p in saved.partials if p.text), key=lambda p: p.position)
    out: list[SavedMessage] = []
    for position, stored in enumerate(saved.messages):
        while partials and partials[0].position <= position:
            out.append(_as_message(partials.pop(0)))
        out.append(stored)
    return out + [_as_message(p) for p in partials]


def _as_message(partial: SavedPartial) -> SavedMessage:
    message = {"role": "assistant", "content": [{"type": "text", "text": partial.text}]}
    return SavedMessage(message, partial.model, partial.reply)


def _version(block: dict[str, Any]) -> str:
    found = _VERSION.match(block.get("context", ""))
    version = f", version {found[1]} ({found[2]})" if found else ""
    return f"{block.get('title') or 'the draft'}{version}"


def _when(at: float) -> str:
    return datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M")


def _cost(entry: LedgerEntry) -> str:
    return cost_line(entry.usd, entry.usage, estimated=entry.estimated)


# -- Markdown and JSON ----------------------------------------------------------------------------


def to_markdown(t: Transcript) -> str:
    replies = f"{len(t.replies)} repl{'y' if len(t.replies) == 1 else 'ies'}"
    total = ("at least " if t.unknown_prices else "") + format_usd(t.usd)
    lines = [
        f"# {t.title or f'Conversation {t.id}'}",
        "",
        f"Conversation {t.id} · {_when(t.updated)} · {replies} · {total}",
    ]
    for turn in t.turns:
        lines.append("")
        if turn.role == "user":
            lines += ["## You", ""]
            if turn.note:
                lines.append(f"_({turn.note})_")
            if turn.text:
                lines.append(turn.text)
            if turn.drafts_sent:
                lines += ["", "_Draft sent: " + "; ".join(turn.drafts_sent) + "_"]
            continue
        heading = f"## {turn.model_name} ({turn.model})" if turn.model else "## Claude"
        if turn.reply is not None:
            heading += f" · reply {turn.reply}"
        if turn.at is not None:
            heading += f" · {_when(turn.at)}"
        lines.append(heading)
        after_call = False  # tool calls in a row make one list
        for part in turn.parts:
            if isinstance(part, str):
                lines += ["", part]
            else:
                lines += [_tool_line(part)] if after_call else ["", _tool_line(part)]
            after_call = isinstance(part, ToolCall)
        meta = [_cost(turn.cost)] if turn.cost is not None else []
        meta += [turn.ended] if turn.ended else []
        if meta:
            lines += ["", f"_Cost: {' · '.join(meta)}_"]
    usage = t.usage
    lines += [
        "",
        "---",
        "",
        f"**Total: {total}** · in {usage.input:,} · out {usage.output:,} · cache read "
        f"{usage.cache_read:,} · {replies}" + _title_part(t),
    ]
    return "\n".join(lines) + "\n"


def _title_part(t: Transcript) -> str:
    """The title's cost, counted in the total as in the sidebar: say what it is."""
    if t.title_cost is None:
        return ""
    return f" and the title ({t.title_model_name}, {format_usd(t.title_cost.usd)})"


def _tool_line(call: ToolCall) -> str:
    line = f"- Tool `{call.name}`"
    if call.kind is not None:
        line += f": {call.kind} drafts/{call.draft or 'untitled'}"
    return line + (" (failed)" if call.failed else "")


def to_json(t: Transcript) -> str:
    return json.dumps(
        {
            "id": t.id,
            "title": t.title,
            "updated": datetime.fromtimestamp(t.updated).isoformat(timespec="seconds"),
            "messages": [_turn_json(turn) for turn in t.turns],
            "total": {
                "usd": t.usd,
                "unknown_prices": t.unknown_prices,
                "replies": len(t.replies),
                "usage": _usage_json(t.usage),
            },
            "title_cost": None
            if t.title_cost is None
            else {
                "model": t.title_cost.model,
                "usd": t.title_cost.usd,
                "usage": _usage_json(t.title_cost.usage),
            },
        },
        ensure_ascii=False,
        indent=2,
    )


def _turn_json(turn: Turn) -> dict[str, Any]:
    if turn.role == "user":
        return {"role": "user", "text": turn.text, "note": turn.note, "drafts_sent": turn.drafts_sent}
    cost = turn.cost
    return {
        "role": "assistant",
        "reply": turn.reply,
        "model": turn.model,
        "model_name": turn.model_name,
        "at": datetime.fromtimestamp(turn.at).isoformat(timespec="seconds") if turn.at else None,
        "text": turn.reply_text,
        "tool_calls": [
            {"name": c.name, "draft": c.draft, "kind": c.kind, "failed": c.failed} for c in turn.tool_calls
        ],
        "ended": turn.ended,
        "cost": None
        if cost is None
        else {"usd": cost.usd, "estimated": cost.estimated, "usage": _usage_json(cost.usage)},
    }


def _usage_json(u: TokenUsage) -> dict[str, int]:
    return {
        "input": u.input,
        "output": u.output,
        "cache_read": u.cache_read,
        "cache_write_5m": u.cache_write_5m,
        "cache_write_1h": u.cache_write_1h,
    }


# -- the drafts a conversation produced -----------------------------------------------------------


@dataclass(frozen=True)
class ManuscriptDraft:
    name: str
    text: str | None  # None: neither on disk nor kept
    source: Literal["file", "store", "missing"]


def manuscript_names(saved: SavedSession) -> list[str]:
    """The drafts the conversation's tool calls saved or edited, in the order first touched, then
    the draft open in it."""
    names: list[str] = []
    for stored in saved.messages:
        for block in stored.message["content"]:
            touched = saved.touched.get(block.get("id", "")) if block.get("type") == "tool_use" else None
            if touched is not None and touched.name:
                names.append(touched.name)
    if saved.draft:
        names.append(saved.draft)
    return list(dict.fromkeys(names))


def manuscript(saved: SavedSession, drafts: DraftStore, store: Store) -> list[ManuscriptDraft]:
    """Each draft's text from the drafts folder as it is now, else the text the store kept when
    it was last saved."""
    found = []
    for name in manuscript_names(saved):
        try:
            text, _ = drafts.read(name)
            found.append(ManuscriptDraft(name, text, "file"))
            continue
        except DraftError:
            pass
        try:
            path: str | None = str(drafts.resolve(name))
        except DraftError:
            path = None
        kept = store.kept_draft(name, saved.id, path)
        found.append(ManuscriptDraft(name, kept, "store" if kept is not None else "missing"))
    return found
