"""Money over time: the session's ledger, today's spend from the store, and the budget limits."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date, datetime

from studio.core.budget import BudgetCheck, BudgetLevel, check_budget
from studio.core.catalog import Price
from studio.core.keeper import Keeper, SessionRef
from studio.core.ledger import CostLedger, LedgerEntry, Purpose
from studio.core.store import SavedResponse, Store
from studio.core.usage import ReplyCost, price_reply


class Spending:
    """Records every priced response; the write is queued on the Keeper (never on the UI loop)
    and retried there until it lands."""

    def __init__(
        self,
        store: Store | None,
        keeper: Keeper | None = None,
        session_limit: float | None = None,
        daily_limit: float | None = None,
        cache_ttl_seconds: float = 300.0,
    ):
        self.store = store
        self.keeper = keeper
        self.session_limit = session_limit
        self.daily_limit = daily_limit
        self.ledger = CostLedger(cache_ttl_seconds=cache_ttl_seconds)
        self._day = date.today()
        self._daily_before = self._load_daily()
        self._warned: BudgetLevel = "ok"

    def _load_daily(self) -> float:
        return self.store.spent_on(self._day) if self.store is not None else 0.0

    def record(
        self,
        entry: LedgerEntry,
        cost: ReplyCost,
        session: SessionRef | None = None,
        sent_at: float | None = None,
    ) -> None:
        """Count a response now; keep it on disk under `session` (resolved when the write runs,
        so a conversation whose row is still queued gets its costs). `sent_at`: when its request
        left, which is when the cache it used was refreshed."""
        entry.add(cost)
        at = time.time()
        self.ledger.note_cache(cost, sent_at or at)
        self._keep(cost, at, session, entry.number if entry.purpose == "reply" else None, entry.purpose)

    def record_apart(self, cost: ReplyCost, session: SessionRef) -> None:
        """A title that came back after the writer left its conversation: kept under it, and
        counted in today's spend (the ledger is another conversation's now)."""
        self._daily_before += cost.usd or 0.0
        self._keep(cost, time.time(), session, None, "title")

    def _keep(
        self, cost: ReplyCost, at: float, session: SessionRef | None, reply: int | None, purpose: Purpose
    ) -> None:
        store = self.store
        if store is None or self.keeper is None:
            return
        self.keeper.submit(
            lambda: store.record(
                cost, at, session=session.id if session else None, reply=reply, purpose=purpose
            )
        )

    def restart(
        self,
        responses: Sequence[SavedResponse] = (),
        prices: Callable[[str], Price | None] | None = None,
        numbered: int = 0,
    ) -> None:
        """A new conversation, or a reopened one: its replies come back into the ledger, priced
        at today's catalogue. Today's spend already counts them: they must not count twice.
        `numbered`: the highest reply number the conversation used; new replies go on from it.
        `responses` may hold the title's (purpose "title"): it comes back as the ledger's title."""
        self.ledger = CostLedger(cache_ttl_seconds=self.ledger.cache_ttl_seconds, numbered=numbered)
        self._warned = "ok"
        entries: dict[int, LedgerEntry] = {}
        spent_today = 0.0
        for response in responses:
            if response.purpose == "title":
                entry = self.ledger.title or self.ledger.start_title(response.model)
            else:
                entry = entries.setdefault(response.reply, LedgerEntry(response.reply, response.model))
            price = prices(response.model) if prices is not None else None
            cost = price_reply(response.model, response.usage, price, estimated=response.estimated)
            entry.add(cost)
            self.ledger.note_cache(cost, response.at)
            if cost.usd and datetime.fromtimestamp(response.at).date() == self._day:
                spent_today += cost.usd
        self.ledger.entries = sorted(entries.values(), key=lambda e: e.number)
        self._daily_before = self._load_daily() - spent_today

    @property
    def session_usd(self) -> float:
        return self.ledger.usd

    @property
    def daily_usd(self) -> float:
        """Spend today across sessions: what earlier sessions stored, plus this one since."""
        if date.today() != self._day:  # past midnight: a new day starts from the store
            self._day = date.today()
            self._daily_before = self._load_daily() - self.session_usd
        return self._daily_before + self.session_usd

    def check(self) -> BudgetCheck:
        return check_budget(self.session_usd, self.daily_usd, self.session_limit, self.daily_limit)

    def news(self) -> BudgetCheck | None:
        """The budget once spend crosses 80%, and again at 100%; None when nothing changed
        since the last time it was asked (a new or reopened conversation starts afresh)."""
        check = self.check()
        news = check if check.level != "ok" and check.level != self._warned else None
        self._warned = check.level
        return news
