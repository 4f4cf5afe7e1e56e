"""The studio's keys, each with an id (the config's [keymap] rebinds by id, and keymap.py checks
those entries against this list) and a tooltip. Words that name a key ask `key_label`, so a
rebound key is named as it is now."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.binding import Binding

# The app's own: they work over any dialog too.
APP_BINDINGS = [
    Binding("f1", "help", "Help", id="help", tooltip="Show every key"),
    Binding("ctrl+q", "quit", "Quit", id="quit", priority=True, tooltip="Quit studio"),
]

# The writing screen's: a dialog on top keeps its own keys.
SCREEN_BINDINGS = [
    Binding("f2", "pick_model", "Model", id="pick_model",
            tooltip="Choose the model for the next message"),
    Binding("escape", "stop_reply", "Stop", id="stop_reply",
            tooltip="Stop the reply; the text so far is kept"),
    Binding("ctrl+r", "retry", "Retry", id="retry",
            tooltip="Retry the failed reply, or continue a cut one"),
    Binding("f4", "api_key", "Key", id="api_key", tooltip="Enter or change the API key"),
    Binding("f5", "conversations", "Chats", id="conversations",
            tooltip="Start a new conversation or reopen a kept one"),
    Binding("ctrl+s", "save_draft", "Save", id="save_draft", tooltip="Save the draft"),
    Binding("ctrl+o", "open_draft", "Open", id="open_draft", tooltip="Open a draft"),
    Binding("ctrl+n", "new_draft", "New", id="new_draft", show=False,
            tooltip="Start a new, empty draft"),
    Binding("f3", "save_draft_as", "Save as", id="save_draft_as", show=False,
            tooltip="Save the draft under a new name"),
    Binding("f8", "restore_replaced", "Bring back", id="restore_replaced", show=False,
            tooltip="Bring back the draft Claude's save_draft replaced"),
    # Priority: checked as the key arrives, before the next keys are handed to the focused box, so
    # words typed right after Tab land where Tab moved to.
    Binding("tab", "focus_next", "Next box", id="focus_next", show=False, priority=True,
            tooltip="Go between the message box and the draft"),
    Binding("shift+tab", "focus_previous", "Previous box", id="focus_previous", show=False,
            priority=True, tooltip="Go between the message box and the draft"),
]

STUDIO_BINDINGS = [*APP_BINDINGS, *SCREEN_BINDINGS]

# Ctrl+P's commands beyond Textual's own: (title, help, action). Retry is added only when it can run.
PALETTE_COMMANDS = [
    ("Choose model", "Pick the model for the next message", "pick_model"),
    ("API key", "Enter or change the Anthropic API key", "api_key"),
    ("Save draft as…", "Save the draft under a new name", "save_draft_as"),
    ("New draft", "Start an empty draft", "new_draft"),
    ("Conversations", "Start a new conversation or reopen a kept one", "conversations"),
    ("Keys", "Every key studio answers to", "help"),
]


def key_label(app: App[Any], binding_id: str) -> str:
    """The key bound to `binding_id` now, as a writer reads it ("Ctrl+R", "F2"): the config's
    [keymap] may have moved it (Textual keeps the live keymap in `App._keymap`, with no getter)."""
    key = next((b.key for b in STUDIO_BINDINGS if b.id == binding_id), binding_id)
    key = app._keymap.get(binding_id, key).split(",")[0].strip()
    return "+".join(part.capitalize() for part in key.split("+"))
