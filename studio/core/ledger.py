"""The running cost of a session: one entry per reply (all its tool rounds), the conversation's
title (made by a cheap model, counted in every total but never a reply), and the totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from studio.core.usage import ReplyCost, TokenUsage

# What a response paid for (the store's `responses.purpose`): a reply, or the conversation's title.
Purpose = Literal["reply", "title"]


@dataclass
class LedgerEntry:
    number: int
    model: str
    usage: TokenUsage = field(default_factory=TokenUsage)
    usd: float | None = 0.0
    saved_usd: float | None = 0.0
    responses: int = 0
    estimated: bool = False
    purpose: Purpose = "reply"

    def add(self, cost: ReplyCost) -> None:
        self.usage = self.usage + cost.usage
        self.usd = None if self.usd is None or cost.usd is None else self.usd + cost.usd
        self.saved_usd = (
            None if self.saved_usd is None or cost.saved_usd is None else self.saved_usd + cost.saved_usd
        )
        self.responses += 1
        self.estimated = self.estimated or cost.estimated


@dataclass
class CostLedger:
    entries: list[LedgerEntry] = field(default_factory=list)
    cache_ttl_seconds: float = 300.0
    cache_touched_at: float | None = None
    cache_model: str | None = None  # each model has a cache of its own
    numbered: int = 0  # the last reply number given out (never again: the store keeps marks by it)
    title: LedgerEntry | None = None  # what the conversation's title cost (number 0: not a reply)

    def note_cache(self, cost: ReplyCost, sent_at: float) -> None:
        """A request that read or wrote the cache (re)started the lifetime of what it read and
        wrote: the TTL counts from when it was sent, not from when its reply ended."""
        if cost.usage.cache_read or cost.usage.cache_write:
            self.cache_touched_at, self.cache_model = sent_at, cost.model

    def cache_seconds_left(self, now: float) -> float | None:
        """Seconds until the cached prefix expires; None if nothing was cached this session."""
        if self.cache_touched_at is None:
            return None
        return max(0.0, self.cache_touched_at + self.cache_ttl_seconds - now)

    def start_reply(self, model: str) -> LedgerEntry:
        """A new reply, numbered after every earlier one (even one dropped for costing nothing:
        the store keeps how it ended under its number)."""
        self.numbered = max(self.numbered, self.entries[-1].number if self.entries else 0) + 1
        entry = LedgerEntry(self.numbered, model)
        self.entries.append(entry)
        return entry

    def start_title(self, model: str) -> LedgerEntry:
        self.title = LedgerEntry(0, model, purpose="title")
        return self.title

    @property
    def counted(self) -> list[LedgerEntry]:
        """Everything the session paid for: the replies, and the title."""
        return [*self.entries, *([self.title] if self.title is not None else [])]

    @property
    def usage(self) -> TokenUsage:
        total = TokenUsage()
        for entry in self.counted:
            total = total + entry.usage
        return total

    @property
    def usd(self) -> float:
        """Sum of the replies (and the title) whose price is known; see `partial`."""
        return sum(e.usd for e in self.counted if e.usd is not None)

    @property
    def saved_usd(self) -> float:
        return sum(e.saved_usd for e in self.counted if e.saved_usd is not None)

    @property
    def partial(self) -> bool:
        """True when some reply came from a model without a known price: the total is a floor."""
        return any(e.usd is None for e in self.counted)
