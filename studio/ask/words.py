"""What `studio ask` says on standard error: the studio's words for a failure or a cut reply, with
the remedy named as an option or a variable (there are no keys to press in a pipe)."""

from __future__ import annotations

from studio.core.events import Remedy, TurnDone, TurnFailed, Waiting
from studio.core.visible import visible

PROGRAM = "studio ask"


def remedy_words(remedy: Remedy | None, known_models: str) -> str:
    match remedy:
        case "new_key":
            return "Check ANTHROPIC_API_KEY (or the .env file that sets it)."
        case "other_model":
            return f"Choose another model with --model ({known_models})."
        case "lighter_model":
            return "Or choose a lighter model with --model."
        case "larger_model":
            return "Start a new conversation, or choose a model with a larger window (--model)."
        case None:
            return ""


def failure_line(failure: TurnFailed, known_models: str) -> str:
    """The engine's title and detail (the studio's words), then what to do about it: one line."""
    parts = [f"{failure.title}.", failure.detail, remedy_words(failure.remedy, known_models)]
    return one_line(" ".join(p for p in parts if p))


def ending_line(done: TurnDone, known_models: str) -> str:
    """Why a reply ended early (cut, refused); empty when it ended as it should."""
    if done.stop_reason == "stopped":
        return "stopped: the text so far is kept in the conversation."
    parts = [done.notice or "", remedy_words(done.remedy, known_models)]
    if done.can_continue:
        parts.append("Raise --max-tokens for a longer reply.")
    return one_line(" ".join(p for p in parts if p))


def waiting_line(wait: Waiting) -> str:
    what = {"rate_limit": "rate limited", "overloaded": "Claude is overloaded", "server": "the API failed",
            "connection": "cannot reach the API"}[wait.kind]  # fmt: skip
    return f"{what}: trying again in {wait.seconds:.1f} s (retry {wait.attempt})"


def one_line(text: str) -> str:
    """Outside words (API messages, names) folded onto one line, control characters made visible."""
    return visible(" ".join(text.split()))
