"""The cost sidebar: the model and its prices, what the next message will cost, session totals with
what caching saved, a chart of cost per reply, and every reply's tokens and dollars (and what the
conversation's title cost, a row of its own)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Sparkline, Static

from studio.core.catalog import ModelInfo
from studio.core.ledger import CostLedger, LedgerEntry
from studio.core.sizing import NextRequest
from studio.core.usage import format_tokens, format_usd
from studio.core.visible import visible
from studio.ui.cost_words import entry_cost


@dataclass(frozen=True)
class Budget:
    session_usd: float
    daily_usd: float
    session_limit: float | None
    daily_limit: float | None


# The newest replies listed: laying out a 1,000-reply conversation's 3,000 lines took seconds.
LISTED_REPLIES = 50


def _entry_text(entry: LedgerEntry, name: str) -> Text:
    u = entry.usage
    text = Text()
    text.append(f"#{entry.number} ", style="bold")
    text.append(visible(name.removeprefix("Claude ")[:14]))
    text.append(f"  {entry_cost(entry)}\n", style="bold")
    text.append(f"  in {format_tokens(u.input)} · out {format_tokens(u.output)}\n", style="dim")
    written = (
        f"{format_tokens(u.cache_write_5m)}+{format_tokens(u.cache_write_1h)}h"
        if u.cache_write_1h
        else format_tokens(u.cache_write)
    )
    text.append(f"  cache r {format_tokens(u.cache_read)} · w {written}", style="dim")
    if entry.saved_usd:
        text.append(f"\n  {_cache_effect(entry.saved_usd)}", style="dim")
    return text


def _title_text(entry: LedgerEntry, name: str) -> Text:
    """The title's row: made from the first exchange, it sits with #1 at the bottom."""
    text = Text()
    text.append("title ", style="bold")
    text.append(visible(name.removeprefix("Claude ")[:14]))
    text.append(f"  {entry_cost(entry)}\n", style="bold")
    u = entry.usage
    text.append(f"  in {format_tokens(u.input)} · out {format_tokens(u.output)}", style="dim")
    return text


def _cache_effect(saved_usd: float, why: str = "") -> str:
    """Savings; before any read pays the write premium back, what caching has cost so far."""
    return (
        f"cache saved {format_usd(saved_usd)}"
        if saved_usd >= 0
        else f"cache extra {format_usd(-saved_usd)}{why}"
    )


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


class CostSidebar(VerticalScroll):
    """The model, the next message's size and the session's costs, as the screen tells them."""

    _model_id: str | None = None  # the model the next message goes to
    _ledger: CostLedger | None = None
    _budget: Budget | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="model-card")
        yield Static(id="next")
        yield Static(id="totals")
        yield Static(Text("Cost per reply", style="bold underline"), id="chart-title")
        yield Sparkline([], id="chart")  # both shown from the second reply on
        yield Static(id="replies")

    def on_mount(self) -> None:
        self.show_next(NextRequest())
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self._ledger is not None and self._ledger.cache_touched_at is not None:
            self._show_totals()

    def show_model(self, model: ModelInfo) -> None:
        self._model_id = model.id
        text = Text()
        text.append("Model\n", style="bold underline")
        text.append(f"{visible(model.name)}\n", style="bold")  # names come from the API or config
        if model.price is None:
            text.append("price unknown", style="italic")
        else:
            p = model.price
            text.append("per million tokens\n", style="dim")
            text.append(
                f"input  ${p.input:>6.2f}\noutput ${p.output:>6.2f}\n"
                f"cache read  ${p.cache_read:.2f}\ncache write ${p.cache_write_5m:.2f}"
            )
        if model.context_window:
            text.append(f"\ncontext {format_tokens(model.context_window)} tokens", style="dim")
        self.query_one("#model-card", Static).update(text)

    def show_next(self, next_request: NextRequest) -> None:
        text = Text()
        text.append("Next message\n", style="bold underline")
        if next_request.estimate is None:
            text.append("type to see an estimate", style="dim italic")
        else:
            error = f" ±{next_request.error:.0%}" if next_request.error is not None else ""
            text.append(f"≈{format_tokens(next_request.estimate)} tokens{error}\n")
            exact = (
                f"exact {format_tokens(next_request.exact)}"
                if next_request.exact is not None
                else "exact: after a pause"
            )
            text.append(f"{exact}\n", style="" if next_request.exact is not None else "dim")
            text.append(f"input cost ≤ {format_usd(next_request.usd)}", style="dim")
            size = next_request.exact or next_request.estimate
            if next_request.limit and size > next_request.limit:
                text.append(f"\nover the {format_tokens(next_request.limit)} limit", style="bold red")
        self.query_one("#next", Static).update(text)

    def show_ledger(
        self, ledger: CostLedger, names: Callable[[str], str], budget: Budget | None = None
    ) -> None:
        """`names` turns a model id into its display name."""
        self._ledger, self._budget, self._names = ledger, budget, names
        self._show_totals()
        chart = self.query_one("#chart", Sparkline)
        chart.data = [e.usd or 0.0 for e in ledger.entries]
        chart.display = self.query_one("#chart-title").display = len(ledger.entries) >= 2
        replies = Text()
        replies.append("Replies\n", style="bold underline")
        if not ledger.entries:
            replies.append("none yet", style="dim italic")
        for entry in reversed(ledger.entries[-LISTED_REPLIES:]):
            replies.append_text(_entry_text(entry, names(entry.model)))
            replies.append("\n")
        if (earlier := len(ledger.entries) - LISTED_REPLIES) > 0:
            replies.append(f"… {earlier:,} earlier (in the total above)\n", style="dim italic")
        if ledger.title is not None:
            replies.append_text(_title_text(ledger.title, names(ledger.title.model)))
        self.query_one("#replies", Static).update(replies)

    def _show_totals(self) -> None:
        ledger = self._ledger
        assert ledger is not None
        u = ledger.usage
        totals = Text()
        totals.append("Session\n", style="bold underline")
        total = format_usd(ledger.usd) + (" + unknown" if ledger.partial else "")
        totals.append(f"{total}\n", style="bold")
        totals.append(f"in {format_tokens(u.input)} · out {format_tokens(u.output)}\n")
        totals.append(f"cache read {format_tokens(u.cache_read)}\n")
        if u.cache_write_1h:
            totals.append(
                f"cache write {format_tokens(u.cache_write_5m)} 5m + {format_tokens(u.cache_write_1h)} 1h\n"
            )
        else:
            totals.append(f"cache write {format_tokens(u.cache_write)}\n")
        totals.append(_cache_effect(ledger.saved_usd, "\n(repaid when it is read)"))
        left = ledger.cache_seconds_left(time.time())
        if left is not None and ledger.cache_model is not None:
            state = f"cache warm {_clock(left)}" if left else "cache expired"
            if ledger.cache_model != self._model_id:  # each model has a cache of its own
                state += f"\n(for {visible(self._names(ledger.cache_model))})"
            totals.append(f"\n{state}", style="dim")
        if self._budget is not None:
            b = self._budget
            for label, spent, limit in (
                ("session", b.session_usd, b.session_limit),
                ("today", b.daily_usd, b.daily_limit),
            ):
                if limit:
                    share = spent / limit
                    style = "bold red" if share >= 1 else "yellow" if share >= 0.8 else "dim"
                    totals.append(f"\n{label} {format_usd(spent)} of {format_usd(limit)}", style=style)
        self.query_one("#totals", Static).update(totals)
