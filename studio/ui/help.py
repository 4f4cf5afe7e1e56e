"""F1: every key the studio answers to, read from the live bindings (so a key the config's [keymap]
moved shows where it is now), then the few keys that belong to the text boxes and dialogs."""

from __future__ import annotations

import string
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen

from studio.ui.bindings import STUDIO_BINDINGS, key_label, key_name

# Not bindings of ours, so no keymap moves them: the message box's, the editor's, dialogs' and
# Textual's own keys, which a writer still needs to know.
OTHER_KEYS: tuple[tuple[str, str], ...] = (
    ("Enter", "Send the message"),
    ("Shift+Enter, Ctrl+J", "New line in the message"),
    ("Ctrl+Z / Ctrl+Y", "In the draft: undo / redo (each change Claude makes is one step)"),
    ("Escape", "In a dialog: close it"),
)


def _cell(text: str) -> str:
    """Table cell text taken literally: a key could be "|" or "*" (CommonMark escapes any ASCII
    punctuation with a backslash)."""
    return "".join(f"\\{c}" if c in string.punctuation else c for c in text)


def _table(rows: list[tuple[str, str]]) -> str:
    return "\n".join(
        ["| Key | What it does |", "|---|---|", *(f"| {_cell(key)} | {what} |" for key, what in rows)]
    )


def keys_markdown(app: App[Any], screen: DOMNode) -> str:
    """The help text: the studio's bindings with the keys the app has for them now (bindings that
    do one thing share a row: Tab / Shift+Tab), then OTHER_KEYS; `screen` says how to close it."""
    ours: list[tuple[str, str]] = []
    for binding in STUDIO_BINDINGS:
        key = key_label(app, binding.id) if binding.id else key_name(binding.key)
        what = binding.tooltip or binding.description
        if ours and ours[-1][1] == what:
            ours[-1] = (f"{ours[-1][0]} / {key}", what)
        else:
            ours.append((key, what))
    palette = (key_name(app.COMMAND_PALETTE_BINDING), "Command palette")
    close = " or ".join(key_label(screen, binding_id) for binding_id in ("help.close", "help.close_f1"))
    return "\n\n".join(
        ["# Keys", _table(ours), "## Other keys", _table([*OTHER_KEYS, palette]), f"Press {close} to close."]
    )


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "dialogs.tcss"  # beside this module; read when first shown
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("f1", "dismiss", "Close", show=False, id="help.close_f1"),
    ]

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown  # only when help is opened: keeps start-up light

        with VerticalScroll(id="help"):
            yield Markdown(keys_markdown(self.app, self))
