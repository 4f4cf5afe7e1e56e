"""Token usage as the API reports it, and what it costs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from studio.core.catalog import Price

# How long the API keeps a cached prompt prefix: the two lifetimes it offers, priced differently.
CacheTtl = Literal["5m", "1h"]

BATCH_DISCOUNT = 0.5
WEB_SEARCH_PER_REQUEST = 10.0 / 1000  # USD, server tool web search


@dataclass(frozen=True)
class TokenUsage:
    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    web_searches: int = 0

    @property
    def cache_write(self) -> int:
        return self.cache_write_5m + self.cache_write_1h

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(*(a + b for a, b in zip(_fields(self), _fields(other), strict=True)))

    @classmethod
    def from_api(cls, usage: dict[str, Any]) -> TokenUsage:
        """Build from the API's usage dict (message_start merged with message_delta).

        The 5m/1h split comes from `cache_creation`; when only the total is known (message_delta
        repeats the total but not always the split) the remainder is counted as 5-minute writes.
        """
        total_write = usage.get("cache_creation_input_tokens") or 0
        split = usage.get("cache_creation") or {}
        write_1h = min(split.get("ephemeral_1h_input_tokens") or 0, total_write)
        server_tools = usage.get("server_tool_use") or {}
        return cls(
            input=usage.get("input_tokens") or 0,
            output=usage.get("output_tokens") or 0,
            cache_read=usage.get("cache_read_input_tokens") or 0,
            cache_write_5m=total_write - write_1h,
            cache_write_1h=write_1h,
            web_searches=server_tools.get("web_search_requests") or 0,
        )


def _fields(u: TokenUsage) -> tuple[int, ...]:
    return (u.input, u.output, u.cache_read, u.cache_write_5m, u.cache_write_1h, u.web_searches)


def cost_usd(usage: TokenUsage, price: Price, *, batch: bool = False) -> float:
    """Dollars for one response. Batch halves every token price (not server tool fees)."""
    tokens = (
        usage.input * price.input
        + usage.output * price.output
        + usage.cache_read * price.cache_read
        + usage.cache_write_5m * price.cache_write_5m
        + usage.cache_write_1h * price.cache_write_1h
    ) / 1_000_000
    if batch:
        tokens *= BATCH_DISCOUNT
    return tokens + usage.web_searches * WEB_SEARCH_PER_REQUEST


def saved_by_cache_usd(usage: TokenUsage, price: Price) -> float:
    """What caching saved (or cost, if negative) against sending every cached token as plain input."""
    uncached = (usage.cache_read + usage.cache_write) * price.input
    cached = (
        usage.cache_read * price.cache_read
        + usage.cache_write_5m * price.cache_write_5m
        + usage.cache_write_1h * price.cache_write_1h
    )
    return (uncached - cached) / 1_000_000


@dataclass(frozen=True)
class ReplyCost:
    """One API response, priced. `usd` is None when the model's price is unknown.

    `estimated` marks a reply stopped before the API reported its output tokens.
    """

    model: str
    usage: TokenUsage
    usd: float | None
    saved_usd: float | None
    estimated: bool = False


def price_reply(model: str, usage: TokenUsage, price: Price | None, *, estimated: bool = False) -> ReplyCost:
    if price is None:
        return ReplyCost(model, usage, None, None, estimated)
    return ReplyCost(model, usage, cost_usd(usage, price), saved_by_cache_usd(usage, price), estimated)


def estimate_tokens(text: str) -> int:
    """A rough count (about four characters a token) for text the API has not counted for us."""
    return (len(text) + 3) // 4


def format_usd(amount: float | None) -> str:
    """Dollars that never round a real cost to $0.00: $0.0087, $0.00012, $0.540, $12.34."""
    if amount is None:
        return "unknown"
    if amount == 0:
        return "$0.00"
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 1:
        return f"{sign}${amount:,.2f}"
    if amount >= 0.01:
        return f"{sign}${amount:.3f}"
    decimals = 1 - math.floor(math.log10(amount))  # two significant digits
    return f"{sign}${amount:.{decimals}f}"


def format_tokens(count: int) -> str:
    """1234 -> 1,234; 1234567 -> 1.23M: keeps the sidebar narrow."""
    if count >= 1_000_000:
        return f"{count / 1_000_000:.2f}M"
    return f"{count:,}"


def cost_line(usd: float | None, usage: TokenUsage, *, estimated: bool = False) -> str:
    """A reply's cost as the line front ends print it: `$0.0042 · in 1,234 · out 567 · cache read 0`
    ('≈' before the dollars when the reply was stopped before the API reported its output)."""
    return (
        f"{'≈' if estimated else ''}{format_usd(usd)} · in {format_tokens(usage.input)} · "
        f"out {format_tokens(usage.output)} · cache read {format_tokens(usage.cache_read)}"
    )
