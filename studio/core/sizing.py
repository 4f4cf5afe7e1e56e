"""The next request's size and price, as a front end shows it before sending: the offline estimate
calibrated by what the API reported for earlier requests, the API's exact count when there is one,
and the model's context window."""

from __future__ import annotations

from dataclasses import dataclass

from studio.core.catalog import ModelInfo
from studio.core.tokens import Calibrator
from studio.core.usage import format_tokens

LARGE_REQUEST = 50_000  # tokens: above this, the size check before sending asks the API to count


@dataclass(frozen=True)
class NextRequest:
    """What is known about the request the next message would make."""

    estimate: int | None = None
    error: float | None = None  # typical relative error of the estimate, from earlier turns
    exact: int | None = None
    usd: float | None = None  # at the plain input price: the most it can cost to send
    limit: int | None = None  # the model's context window


@dataclass(frozen=True)
class SizeCheck:
    """The request a message would make, against what the model accepts."""

    tokens: int
    limit: int | None

    @property
    def too_big(self) -> bool:
        return bool(self.limit) and self.tokens > (self.limit or 0)

    def question(self, model_name: str) -> str:
        """What every front end asks before sending a request the model will refuse."""
        return (
            f"This message makes a request of about {format_tokens(self.tokens)} tokens, over the "
            f"{format_tokens(self.limit or 0)} that {model_name} accepts: the API will refuse it. "
            "Send anyway?"
        )


def priced(info: ModelInfo, calibrator: Calibrator, raw: int | None, exact: int | None) -> NextRequest:
    """`raw` (the offline estimate) calibrated, with the exact count if known, priced at the plain
    input rate (the most it can cost: cache reads are cheaper)."""
    if raw is None:
        return NextRequest(limit=info.context_window)
    estimate = calibrator.calibrated(raw)
    size = exact or estimate
    usd = size * info.price.input / 1_000_000 if info.price else None
    return NextRequest(estimate, calibrator.error, exact, usd, info.context_window)
