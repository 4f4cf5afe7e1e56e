"""The next request's size and price, as a front end shows it before sending: the offline estimate
calibrated by what the API reported for earlier requests, the API's exact count when there is one,
and the model's context window.

Once the API has reported a reply whole, the conversation up to it needs no counting: the request
it answered (input, cache reads and writes) and the reply (output) are its size as the API counts
it. The next request is that plus what is new since (a typed message, the draft's change), and
only that is estimated: a reopened conversation of 1,000 replies is neither counted nor loads the
tokenizer (25 MB) until something new is long enough to need it (tokens.estimate_messages). The
figure stays an estimate (≈): a reply's output tokens may differ by a few from the same text read
back as input, and a system prompt changed since is not seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from studio.core.catalog import ModelInfo
from studio.core.conversation import Message
from studio.core.store import SavedSession
from studio.core.tokens import ModelCalibrators, estimate_messages, estimate_request
from studio.core.usage import ReplyCost, TokenUsage, format_tokens

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


@dataclass(frozen=True)
class Estimate:
    """The next request's size as known offline: `reported` tokens the API counted itself (the
    conversation up to its last reply) and `raw` tokens estimated here (all the rest; `rough`:
    from their bytes, not the tokenizer)."""

    raw: int
    reported: int = 0
    rough: bool = False


@dataclass(frozen=True)
class Reported:
    """A reply the API reported whole, with the request it answered: `tokens` is the size of the
    conversation's first `messages` messages as `model` counts them. `last` is the last of them
    (the reply): if it is no longer there, neither is the figure."""

    model: str
    tokens: int
    messages: int
    last: Message

    @classmethod
    def of(cls, model: str, usage: TokenUsage, messages: Sequence[Message]) -> Reported:
        tokens = usage.input + usage.cache_read + usage.cache_write + usage.output
        return cls(model, tokens, len(messages), messages[-1])

    def covers(self, messages: Sequence[Message], model: str) -> bool:
        n = self.messages
        return model == self.model and len(messages) >= n and messages[n - 1] is self.last


def reported_prefix(saved: SavedSession, messages: Sequence[Message]) -> Reported | None:
    """A reopened conversation's size from what the store kept: when it ends with a reply whose
    last response the API reported whole (not stopped, not cut off before its usage came)."""
    if not saved.responses or not saved.messages or not messages:
        return None
    last, response = saved.messages[-1], saved.responses[-1]
    if (
        last.message["role"] != "assistant"
        or (last.reply, last.model) != (response.reply, response.model)
        or response.estimated
    ):
        return None
    return Reported.of(response.model, response.usage, messages)


class Sizer:
    """The next request's size, for a session: the API's figure for what it reported (`anchor`),
    the offline estimate of the rest, calibrated per model by the requests sent."""

    def __init__(self) -> None:
        self.calibrators = ModelCalibrators()
        self.anchor: Reported | None = None
        self._sent: tuple[str, Estimate] | None = None  # the estimate of the request just sent

    def estimate(self, params: dict[str, Any], messages: Sequence[Message], model: str) -> Estimate:
        """`params`: the next request (Engine.count_params) for `messages`, the conversation. May
        load the tokenizer and count: call it off the UI's loop."""
        anchor = self.anchor
        if anchor is None or not anchor.covers(messages, model):
            return Estimate(estimate_request(params))
        raw, rough = estimate_messages(params["messages"][anchor.messages :])
        return Estimate(raw, anchor.tokens, rough)

    def size(self, model: str, estimate: Estimate) -> int:
        return estimate.reported + self.calibrators.for_model(model).calibrated(estimate.raw)

    def priced(
        self, info: ModelInfo, model: str, estimate: Estimate | None, exact: int | None
    ) -> NextRequest:
        """The estimate calibrated, with the exact count if known, priced at the plain input rate
        (the most it can cost: cache reads are cheaper)."""
        if estimate is None:
            return NextRequest(limit=info.context_window)
        size = self.size(model, estimate)
        error = self.calibrators.for_model(model).error  # of estimates counted whole
        if estimate.reported and error is not None:  # only the part after the API's figure errs
            error = None if estimate.rough else error * (size - estimate.reported) / max(size, 1)
        usd = (exact or size) * info.price.input / 1_000_000 if info.price else None
        return NextRequest(size, error, exact, usd, info.context_window)

    def sent(self, model: str, estimate: Estimate) -> None:
        """A request goes with this estimate: what the API reports for it calibrates the next."""
        self._sent = (model, estimate)

    def calibrate(self, reported_input: int) -> None:
        """The API's input figure (input, cache reads and writes) for the request just sent."""
        if self._sent is None:
            return
        (model, estimate), self._sent = self._sent, None
        if estimate.raw and not estimate.rough:  # the tokenizer's count: learn its ratio
            self.calibrators.observe(model, estimate.raw, reported_input - estimate.reported)

    def answered(self, model: str, cost: ReplyCost | None, messages: Sequence[Message]) -> None:
        """A turn ended with a reply (`messages` ends with it) and `cost` its last response's."""
        if cost is not None and not cost.estimated and messages and messages[-1]["role"] == "assistant":
            self.anchor = Reported.of(model, cost.usage, messages)
