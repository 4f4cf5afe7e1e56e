"""Spend limits: a warning at 80%, a question before sending at 100%."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from studio.core.usage import format_usd

WARN_AT = 0.8

BudgetLevel = Literal["ok", "warn", "over"]  # within budget, past WARN_AT, at or past the limit


@dataclass(frozen=True)
class BudgetCheck:
    level: BudgetLevel
    message: str = ""


def check_budget(
    session_usd: float, daily_usd: float, session_limit: float | None, daily_limit: float | None
) -> BudgetCheck:
    """The most pressing of the two limits, in words. No limit set means no check."""
    worst = BudgetCheck("ok")
    for label, spent, limit in (("session", session_usd, session_limit), ("daily", daily_usd, daily_limit)):
        if not limit:
            continue
        share = spent / limit
        words = f"{format_usd(spent)} of your {format_usd(limit)} {label} budget ({share:.0%})"
        if share >= 1:
            return BudgetCheck("over", f"You have spent {words}.")
        if share >= WARN_AT and worst.level == "ok":
            worst = BudgetCheck("warn", f"You have spent {words}.")
    return worst
