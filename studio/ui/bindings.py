"""The studio's keys, each with an id (the config's [keymap] rebinds by id, and keymap.py checks
those entries against this list) and a tooltip (which F1 shows), and `key_label`: the words for the
key a binding has now, for anything that tells the writer which key to press."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.keys import format_key

if TYPE_CHECKING:
    from textual.dom import DOMNode

STUDIO_BINDINGS = [
    Binding("f1", "help", "Help", id="help", tooltip="Show every key"),
    Binding("f2", "pick_model", "Model", id="pick_model",
            tooltip="Choose the model for the next message"),
    Binding("escape", "stop_reply", "Stop", id="stop_reply",
            tooltip="Stop the reply; the text so far is kept"),
    Binding("ctrl+r", "retry", "Retry", id="retry",
            tooltip="Retry the failed reply, or continue a cut one"),
    Binding("f4", "api_key", "Key", id="api_key", tooltip="Enter or change the API key"),
    Binding("f5", "conversations", "Chats", id="conversations",
            tooltip="Start a new conversation or reopen a kept one"),
    Binding("ctrl+s", "save_draft", "Save", id="save_draft",
            tooltip="Save the draft (asks for a name the first time)"),
    Binding("ctrl+o", "open_draft", "Open", id="open_draft", tooltip="Open a draft"),
    Binding("ctrl+n", "new_draft", "New", id="new_draft", show=False,
            tooltip="Start a new, empty draft"),
    Binding("f3", "save_draft_as", "Save as", id="save_draft_as", show=False,
            tooltip="Save the draft under a new name"),
    Binding("f8", "restore_replaced", "Bring back", id="restore_replaced", show=False,
            tooltip="Bring back the draft Claude's save_draft replaced (again: swap back)"),
    # Priority: checked as the key arrives, before the next keys are handed to the focused box, so
    # words typed right after Tab land where Tab moved to.
    Binding("tab", "focus_next", "Next box", id="focus_next", show=False, priority=True,
            tooltip="Go between the message box and the draft"),
    Binding("shift+tab", "focus_previous", "Previous box", id="focus_previous", show=False,
            priority=True, tooltip="Go between the message box and the draft"),
    Binding("ctrl+q", "quit", "Quit", id="quit", priority=True, tooltip="Quit studio"),
]

# Ctrl+P's commands beyond Textual's own: (title, help, action). Retry is added only when it can run.
PALETTE_COMMANDS = [
    ("Choose model", "Pick the model for the next message (F2)", "pick_model"),
    ("API key", "Enter or change the Anthropic API key (F4)", "api_key"),
    ("Save draft as…", "Save the draft under a new name (F3)", "save_draft_as"),
    ("New draft", "Start an empty draft (Ctrl+N)", "new_draft"),
    ("Conversations", "Start a new conversation or reopen a kept one (F5)", "conversations"),
    ("Keys", "Every key studio answers to (F1)", "help"),
]


def bound_keys(node: DOMNode, binding_id: str) -> list[str]:
    """The keys `node`'s binding `binding_id` has now: its own, or where the app's keymap (the
    config's [keymap], given to `App.set_keymap`) moved it. Read from the node's own bindings, so
    the answer does not depend on focus, on an open dialog, or on the action being possible now."""
    bindings = node._bindings.copy()
    keymap = node.app._keymap  # Textual applies it the same way, to a copy, on every key press
    if keymap:
        bindings.apply_keymap(keymap)
    return [key for key, binding in bindings if binding.id == binding_id]


def key_name(key: str) -> str:
    """A key as the writer reads it: "Ctrl+S", "F2", "Shift+Tab", "Ctrl+?"."""
    *modifiers, last = key.split("+")
    shown = format_key(last)  # Textual's names for printable keys: "question_mark" is "?"
    last = shown.upper() if len(shown) == 1 else last.capitalize()
    return "+".join([*(m.capitalize() for m in modifiers), last])


def key_label(node: DOMNode, binding_id: str) -> str:
    """The key(s) for a binding of `node` (usually the app) as the writer has them now, e.g.
    "Ctrl+S"; the binding id if it has none."""
    return ", ".join(key_name(key) for key in bound_keys(node, binding_id)) or binding_id
