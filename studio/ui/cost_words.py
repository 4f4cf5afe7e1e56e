"""A reply's cost in words: the line under it in the chat, and its row in the sidebar."""

from __future__ import annotations

from studio.core.ledger import LedgerEntry
from studio.core.usage import format_tokens, format_usd


def entry_cost(entry: LedgerEntry) -> str:
    """A reply's dollars; '≈' when it was stopped before the API reported its output."""
    return ("≈" if entry.estimated else "") + format_usd(entry.usd)


def reply_meta(entry: LedgerEntry, status: str = "") -> str:
    """The line under a reply in the chat: its cost and tokens, and how it ended."""
    u = entry.usage
    parts = [
        entry_cost(entry) if entry.responses else "",
        f"in {format_tokens(u.input)} · out {format_tokens(u.output)}" if entry.responses else "",
        status,
    ]
    if entry.responses and u.cache_read:
        parts.insert(2, f"cache read {format_tokens(u.cache_read)}")
    return " · ".join(p for p in parts if p)
