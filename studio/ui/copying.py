"""Copy as written: a reply's Markdown source or the draft's exact text, never the wrapped lines
the screen shows. Textual's `copy_to_clipboard` sends it to the terminal as an OSC 52 sequence,
which the terminal puts on the system clipboard, so it works over SSH too."""

from __future__ import annotations

from typing import Any

from textual.app import App


def copy_as_written(app: App[Any], text: str, what: str, nothing: str) -> None:
    """Copy `text` and say what was copied ("Copied the last reply (312 words)"); `nothing` is
    said instead when there is nothing to copy."""
    if not text.strip():
        app.notify(nothing, severity="warning")
        return
    app.copy_to_clipboard(text)
    words = len(text.split())
    app.notify(f"Copied {what} ({words:,} word{'' if words == 1 else 's'}).")
