"""What the writer can do next, in the studio's words: the engine names a remedy, this names the key
that does it, from the live keymap."""

from __future__ import annotations

from collections.abc import Callable

from studio.core.events import Remedy, TurnDone, TurnFailed

KeyName = Callable[[str], str]  # binding id -> the key as a writer reads it


def remedy_words(remedy: Remedy | None, key: KeyName) -> str:
    match remedy:
        case "new_key":
            return f"Press {key('api_key')} to enter another."
        case "other_model":
            return f"Press {key('pick_model')} to choose another model."
        case "lighter_model":
            return f"Or pick a lighter model with {key('pick_model')}."
        case "larger_model":
            return (
                f"Start a new conversation ({key('conversations')}), or choose a model with a "
                f"larger window ({key('pick_model')})."
            )
        case None:
            return ""


def failure_words(failure: TurnFailed, key: KeyName) -> str:
    """The line under a failed reply: what happened, then what to do about it."""
    parts = [f"{failure.title}.", failure.detail, remedy_words(failure.remedy, key)]
    if failure.can_retry:
        parts.append(f"Press {key('retry')} to retry.")
    return " ".join(p for p in parts if p)


def ending_words(done: TurnDone, key: KeyName) -> str:
    """The line under a reply that ended early (cut, refused, stopped); empty if it did not."""
    parts = [done.notice or "", remedy_words(done.remedy, key)]
    if done.can_continue:
        parts.append(f"Press {key('retry')} to continue it.")
    return " ".join(p for p in parts if p)
