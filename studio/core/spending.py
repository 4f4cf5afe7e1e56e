"""Money over time: the session's ledger, today's spend from the store, and the budget limits."""

from __future__ import annotations

import time
from datetime import date

from studio.core.budget import BudgetCheck, check_budget
from studio.core.ledger import CostLedger, LedgerEntry
from studio.core.store import Store
from studio.core.usage import ReplyCost


class Spending:
    """Records every priced response; a store that fails (read-only disk) only loses history."""

    def __init__(self, store: Store | None, session_limit: float | None = None,
                 daily_limit: float | None = None, cache_ttl_seconds: float = 300.0):
        self.store = store
        self.session_limit = session_limit
        self.daily_limit = daily_limit
        self.ledger = CostLedger(cache_ttl_seconds=cache_ttl_seconds)
        self._day = date.today()
        self._daily_before = self._load_daily()
        self.store_error: str | None = None

    def _load_daily(self) -> float:
        return self.store.spent_on(self._day) if self.store is not None else 0.0

    def record(self, entry: LedgerEntry, cost: ReplyCost) -> None:
        entry.add(cost)
        self.ledger.note_cache(cost, time.time())
        if self.store is None:
            return
        try:
            self.store.record(cost)
        except Exception as exc:  # sqlite3.Error or OSError: keep working, say it once
            self.store_error = f"{type(exc).__name__}: {exc}"
            self.store = None

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
