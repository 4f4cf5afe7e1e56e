"""The cost sidebar: the chosen model and its prices, session totals, and every reply's tokens and dollars."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from studio.core.catalog import ModelInfo
from studio.core.ledger import CostLedger, LedgerEntry
from studio.core.usage import format_tokens, format_usd


def entry_cost(entry: LedgerEntry) -> str:
    """A reply's dollars; '≈' when it was stopped before the API reported its output."""
    return ("≈" if entry.estimated else "") + format_usd(entry.usd)


def _entry_text(entry: LedgerEntry, name: str) -> Text:
    u = entry.usage
    text = Text()
    text.append(f"#{entry.number} ", style="bold")
    text.append(name.removeprefix("Claude ")[:14])
    text.append(f"  {entry_cost(entry)}\n", style="bold")
    text.append(f"  in {format_tokens(u.input)} · out {format_tokens(u.output)}\n", style="dim")
    text.append(f"  cache r {format_tokens(u.cache_read)} · w {format_tokens(u.cache_write)}",
                style="dim")
    return text


class CostSidebar(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Static(id="model-card")
        yield Static(id="totals")
        yield Static(id="replies")

    def show_model(self, model: ModelInfo) -> None:
        text = Text()
        text.append("Model\n", style="bold underline")
        text.append(f"{model.name}\n", style="bold")
        if model.price is None:
            text.append("price unknown", style="italic")
        else:
            p = model.price
            text.append("per million tokens\n", style="dim")
            text.append(f"input  ${p.input:>6.2f}\noutput ${p.output:>6.2f}\n"
                        f"cache read  ${p.cache_read:.2f}\ncache write ${p.cache_write_5m:.2f}")
        self.query_one("#model-card", Static).update(text)

    def show_ledger(self, ledger: CostLedger, names: Callable[[str], str]) -> None:
        """`names` turns a model id into its display name."""
        u = ledger.usage
        totals = Text()
        totals.append("Session\n", style="bold underline")
        total = format_usd(ledger.usd) + ("+ (partial)" if ledger.partial else "")
        totals.append(f"{total}\n", style="bold")
        totals.append(f"in {format_tokens(u.input)} · out {format_tokens(u.output)}\n")
        totals.append(f"cache read {format_tokens(u.cache_read)}\n")
        totals.append(f"cache write {format_tokens(u.cache_write)}\n")
        totals.append(f"cache saved {format_usd(ledger.saved_usd)}")
        self.query_one("#totals", Static).update(totals)
        replies = Text()
        replies.append("Replies\n", style="bold underline")
        if not ledger.entries:
            replies.append("none yet", style="dim italic")
        for entry in reversed(ledger.entries):
            replies.append_text(_entry_text(entry, names(entry.model)))
            replies.append("\n")
        self.query_one("#replies", Static).update(replies)
