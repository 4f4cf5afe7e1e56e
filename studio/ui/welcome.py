"""What the chat says as the studio opens, before anything is sent: how to write to Claude, that
the demo's replies are simulated, and whether there are earlier conversations to reopen."""

from __future__ import annotations

from collections.abc import Callable

from studio.ui.chat import NoticeLevel

Notice = tuple[str, NoticeLevel]
KeyLabel = Callable[[str], str]  # a binding's id -> the key it has now (the keymap may move it)


def welcome(key: KeyLabel, demo: bool) -> list[Notice]:
    notices: list[Notice] = [
        (
            f"Write to Claude below: Enter sends, Shift+Enter or Ctrl+J adds a line, {key('stop_reply')} "
            f"stops a reply, {key('pick_model')} picks the model. The draft is on the right.",
            "tip",
        )
    ]
    if demo:
        notices.append(
            (
                "Demo mode: replies come from studio's built-in offline server, not from Claude. "
                "Prices are real; the text is simulated.",
                "warn",
            )
        )
    return notices


def earlier_notice(key: KeyLabel, earlier: int, resume: bool) -> Notice | None:
    """Whether there is anything to reopen (unless the latest was reopened: it is on screen)."""
    if earlier == 1:
        return f"{key('conversations')} reopens your earlier conversation.", "tip"
    if earlier:
        return f"{key('conversations')} reopens one of your {earlier} earlier conversations.", "tip"
    if resume:
        return "No earlier conversation to continue: this one is new.", "warn"
    return None
