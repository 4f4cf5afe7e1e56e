"""What the engine tells the UI while a turn runs. Plain data: the UI only reacts to these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from studio.core.budget import BudgetCheck
from studio.core.ledger import LedgerEntry
from studio.core.tools import DraftChange
from studio.core.usage import ReplyCost

# What the writer can do about a failure or a cut reply. The engine names the remedy; each front
# end says it in its own words (the studio names the key from the live keymap, the line mode a
# command), so a rebound key never leaves a stale "Press Ctrl+R" behind.
Remedy = Literal["new_key", "other_model", "lighter_model", "larger_model"]


@dataclass(frozen=True)
class ReplyStarted:
    """A request went out; one turn may hold several (one per tool round)."""

    model: str
    round: int


@dataclass(frozen=True)
class TextDelta:
    """A piece of reply text, in order."""

    text: str


@dataclass(frozen=True)
class ToolInputDelta:
    """Tool input as parsed so far: lets the UI show a tool's arguments while they stream."""

    tool_id: str
    name: str
    partial: dict[str, Any]


@dataclass(frozen=True)
class ToolFinished:
    """A tool call ran (or was refused). Every tool_use gets exactly one of these."""

    tool_id: str
    name: str
    input: dict[str, Any] | None
    result: str
    is_error: bool
    change: DraftChange | None = None


WaitKind = Literal["rate_limit", "overloaded", "server", "connection"]


@dataclass(frozen=True)
class Waiting:
    """A request failed before any reply; it goes again after `seconds` unless the writer stops it.

    The UI counts down so a long retry-after never looks like a reply that is still being written.
    """

    kind: WaitKind
    seconds: float
    attempt: int  # the retry about to be made: 1 for the first


@dataclass(frozen=True)
class CostReported:
    """Final usage of one API response, priced. Replaces nothing: one per response."""

    cost: ReplyCost


# Why a reply ended, as the API says (the SDK's StopReason, spelled out so this module stays free of
# the SDK), and "stopped": the writer stopped it.
ApiStopReason = Literal[
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
]
StopReason = ApiStopReason | Literal["stopped"]


@dataclass(frozen=True)
class TurnDone:
    """The turn ended normally. `notice` explains anything the writer should know (cut, refusal)."""

    stop_reason: StopReason
    notice: str | None = None
    can_continue: bool = False
    remedy: Remedy | None = None


# What kind of failure ended a turn, for a front end to act on (errors.describe_failure and the engine).
FailureKind = Literal[
    "auth",
    "model",
    "rate_limit",
    "overloaded",
    "stream_error",
    "bad_request",
    "server",
    "connection",
    "dropped",
    "truncated",
    "tool_loop",
    "unexpected",
    "error",
]


@dataclass(frozen=True)
class TurnFailed:
    """The turn failed; the user's message stays and `retry` runs it again."""

    title: str
    detail: str
    retry_after: float | None = None
    kind: FailureKind = "error"
    remedy: Remedy | None = None
    can_retry: bool = True


Event = (
    ReplyStarted | TextDelta | ToolInputDelta | ToolFinished | Waiting | CostReported | TurnDone | TurnFailed
)

TurnKind = Literal["send", "retry", "continue"]
TurnEnd = Literal["done", "failed", "stopped"]


@dataclass(frozen=True)
class TurnStarted:
    """From the Session, before anything is sent: the reply's model and its ledger entry."""

    kind: TurnKind
    model: str
    entry: LedgerEntry


@dataclass(frozen=True)
class TurnEnded:
    """From the Session, last: how the turn ended, and the budget if it just crossed a level."""

    how: TurnEnd
    budget: BudgetCheck | None = None


SessionEvent = Event | TurnStarted | TurnEnded
