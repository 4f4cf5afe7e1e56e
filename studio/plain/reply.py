"""One turn's events as labelled lines: the reply a line at a time as each line completes (a screen
reader announces each line once, never a word at a time), the draft tools' work, one line per retry
wait (never a countdown), how the turn ended and its cost."""

from __future__ import annotations

from studio.core.drafts import count_words
from studio.core.events import (
    Remedy,
    SessionEvent,
    TextDelta,
    ToolFinished,
    TurnDone,
    TurnEnded,
    TurnFailed,
    TurnStarted,
    Waiting,
    WaitKind,
)
from studio.core.ledger import LedgerEntry
from studio.core.usage import cost_line
from studio.plain.output import Label, Output

QUOTE_CHARS = 60
WAITING: dict[WaitKind, str] = {
    "rate_limit": "Rate limited",
    "overloaded": "Claude is overloaded",
    "server": "The API had an error",
    "connection": "Cannot reach the API",
}


def remedy_words(remedy: Remedy | None) -> str:
    """What the writer can do, in this mode's commands (the studio names its keys instead)."""
    match remedy:
        case "new_key":
            return "Set ANTHROPIC_API_KEY to a key that works, then start again."
        case "other_model":
            return "Type /model to choose another model."
        case "lighter_model":
            return "Or pick a lighter model with /model."
        case "larger_model":
            return (
                "Start a new conversation (quit, then start again without --continue), or choose a "
                "model with a larger window (/model)."
            )
        case None:
            return ""


def failure_words(failure: TurnFailed) -> str:
    parts = [f"{failure.title}.", failure.detail, remedy_words(failure.remedy)]
    if failure.can_retry:
        parts.append("/retry sends it again.")
    return " ".join(p for p in parts if p)


def ending_words(done: TurnDone) -> str:
    """The line after a reply that ended early (cut, refused, stopped); empty if it did not."""
    parts = [done.notice or "", remedy_words(done.remedy)]
    if done.can_continue:
        parts.append("/retry continues it.")
    return " ".join(p for p in parts if p)


def _quoted(passage: str, most: int = QUOTE_CHARS) -> str:
    """A passage on one line, cut if long: enough to find it in the draft."""
    flat = " ".join(passage.split())
    return f"“{flat[:most]}…”" if len(flat) > most else f"“{flat}”"


def tool_words(event: ToolFinished) -> tuple[Label, str]:
    """(label, line) for a finished tool call: what it did to the draft, or what it returned."""
    change = event.change
    if change is not None and change.kind == "saved":
        line = f"saved {change.name} ({count_words(change.text)} words)"
        if change.replaced_key is not None:
            line += f", replacing the earlier {change.name} ({change.replaced_words} words, kept aside)"
        return "draft", line
    if change is not None:
        return "draft", (
            f"edited {change.name or 'the untitled draft'}: {_quoted(change.old)} became "
            f"{_quoted(change.new)} (not saved yet: /save saves it)"
        )
    if event.name in ("save_draft", "edit_draft"):
        return "draft", f"{event.name} refused: {event.result}"
    outcome = "refused" if event.is_error else "returned"
    return "tool", f"{event.name} {outcome}: {event.result}"


class ReplyPrinter:
    """Feeds on a turn's events; holds the reply's unfinished line until it completes."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self._line = ""  # text of the reply's current line, not printed yet
        self._entry: LedgerEntry | None = None

    def show(self, event: SessionEvent) -> None:
        match event:
            case TurnStarted(kind=kind, entry=entry):
                self._entry = entry
                if kind != "send":
                    again = "Continuing the cut reply …" if kind == "continue" else "Retrying …"
                    self.out.say("studio", again)
            case TextDelta(text=text):
                *complete, self._line = (self._line + text).split("\n")
                for line in complete:
                    self.out.say("claude", line)
            case ToolFinished():
                self.flush()
                label, line = tool_words(event)
                self.out.say(label, line)
            case Waiting(kind=kind, seconds=seconds):
                self.flush()
                self.out.say("studio", f"{WAITING[kind]}: retrying in {seconds:.0f} s (Ctrl+C stops).")
            case TurnDone():
                self.flush()
                if words := ending_words(event):
                    self.out.say("studio", words)
            case TurnFailed():
                self.flush()
                self.out.say("studio", failure_words(event))
            case TurnEnded(budget=budget):
                self.flush()
                if self._entry is not None and self._entry.responses:
                    entry = self._entry
                    self.out.say("cost", cost_line(entry.usd, entry.usage, estimated=entry.estimated))
                if budget is not None:
                    over = " The next message will ask before sending." if budget.level == "over" else ""
                    self.out.say("studio", budget.message + over)

    def flush(self) -> None:
        """The reply's last, unfinished line (before a tool's line, or at the end)."""
        if self._line:
            self.out.say("claude", self._line)
            self._line = ""
