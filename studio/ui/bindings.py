"""The studio's keys, each with an id (the config's [keymap] rebinds by id, and keymap.py checks
those entries against this list) and a tooltip (which F1 shows), and `key_label`: the words for the
key a binding has now, for anything that tells the writer which key to press, so a rebound key is
never named by its old key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.keys import format_key

if TYPE_CHECKING:
    from textual.dom import DOMNode

# The app's own: they work over any dialog too.
APP_BINDINGS = [
    Binding("f1", "help", "Help", id="help", tooltip="Show every key"),
    Binding("ctrl+q", "quit", "Quit", id="quit", priority=True, tooltip="Quit studio"),
    # Priority: checked as the key arrives, so words typed right after Tab land in the field it
    # moved to, not the one it left. The writing screen's own Tab (two boxes) is further down.
    Binding(
        "tab",
        "dialog_focus(1)",
        "Next field",
        id="dialog.focus_next",
        show=False,
        priority=True,
        tooltip="In a dialog: the next field",
    ),
    Binding(
        "shift+tab",
        "dialog_focus(-1)",
        "Previous field",
        id="dialog.focus_previous",
        show=False,
        priority=True,
        tooltip="In a dialog: the previous field",
    ),
]

# The writing screen's: a dialog on top keeps its own keys.
SCREEN_BINDINGS = [
    Binding("f2", "pick_model", "Model", id="pick_model", tooltip="Choose the model for the next message"),
    Binding(
        "escape", "stop_reply", "Stop", id="stop_reply", tooltip="Stop the reply; the text so far is kept"
    ),
    Binding("ctrl+r", "retry", "Retry", id="retry", tooltip="Retry the failed reply, or continue a cut one"),
    # Not in the footer (needed once; F1 and Ctrl+P list it): at 80 columns, F1 Help must fit.
    Binding("f4", "api_key", "Key", id="api_key", show=False, tooltip="Enter or change the API key"),
    Binding(
        "f5",
        "conversations",
        "Chats",
        id="conversations",
        tooltip="Start a new conversation or reopen a kept one",
    ),
    # Priority: the text boxes bind F6 to "select line"; batch jobs matter more here.
    Binding(
        "f6",
        "batches",
        "Batches",
        id="batches",
        priority=True,
        tooltip="Batch jobs: many drafts at half price",
    ),
    Binding(
        "ctrl+s",
        "save_draft",
        "Save",
        id="save_draft",
        tooltip="Save the draft (asks for a name the first time)",
    ),
    Binding("ctrl+o", "open_draft", "Open", id="open_draft", tooltip="Open a draft"),
    Binding("ctrl+n", "new_draft", "New", id="new_draft", show=False, tooltip="Start a new, empty draft"),
    Binding(
        "f3",
        "save_draft_as",
        "Save as",
        id="save_draft_as",
        show=False,
        tooltip="Save the draft under a new name",
    ),
    Binding(
        "f8",
        "restore_replaced",
        "Bring back",
        id="restore_replaced",
        show=False,
        tooltip="Bring back the draft Claude's save_draft replaced (again: swap back)",
    ),
    # Copy as written, through the terminal (OSC 52), so it works over SSH. F-keys reach every
    # terminal and pass through SSH; Ctrl+Shift+C never arrives (terminals keep it for their own
    # copy), Alt keys type letters on macOS, F7 is the text boxes' select-all, F10 opens GNOME
    # Terminal's menu and F11 is full screen in most terminals.
    Binding(
        "f9",
        "copy_reply",
        "Copy reply",
        id="copy_reply",
        show=False,
        tooltip="Copy the last reply as written (its Markdown, not the wrapped lines); works over SSH",
    ),
    Binding(
        "f12",
        "copy_draft",
        "Copy draft",
        id="copy_draft",
        show=False,
        tooltip="Copy the whole draft as written; works over SSH",
    ),
    # Priority: checked as the key arrives, before the next keys are handed to the focused box, so
    # words typed right after Tab land where Tab moved to.
    Binding(
        "tab",
        "focus_next",
        "Next box",
        id="focus_next",
        show=False,
        priority=True,
        tooltip="Go between the message box and the draft",
    ),
    Binding(
        "shift+tab",
        "focus_previous",
        "Previous box",
        id="focus_previous",
        show=False,
        priority=True,
        tooltip="Go between the message box and the draft",
    ),
]

STUDIO_BINDINGS = [*APP_BINDINGS, *SCREEN_BINDINGS]

# Ctrl+P's commands beyond Textual's own: (title, help, action). Retry is added only when it can run.
PALETTE_COMMANDS = [
    ("Choose model", "Pick the model for the next message", "pick_model"),
    ("API key", "Enter or change the Anthropic API key", "api_key"),
    ("Save draft as…", "Save the draft under a new name", "save_draft_as"),
    ("New draft", "Start an empty draft", "new_draft"),
    ("Conversations", "Start a new conversation or reopen a kept one", "conversations"),
    ("Batch jobs", "Many drafts at half price: start one, follow it, take its results", "batches"),
    ("Copy last reply", "Copy the last reply as written (Markdown), also over SSH", "copy_reply"),
    ("Copy draft", "Copy the whole draft as written, also over SSH", "copy_draft"),
    ("Keys", "Every key studio answers to", "help"),
]


def bound_keys(node: DOMNode, binding_id: str) -> list[str]:
    """The keys binding `binding_id` (the studio's, or `node`'s own) has now: where the app's
    keymap (the config's [keymap], given to `App.set_keymap`) moved it, else its own. Not read
    from the active bindings, so the answer does not depend on focus, on an open dialog, or on
    the action being possible now. Textual keeps the keymap in `App._keymap`, with no getter."""
    moved = node.app._keymap.get(binding_id)
    if moved:
        return [key.strip() for key in moved.split(",")]
    own = [key for key, binding in node._bindings if binding.id == binding_id]
    return own or [b.key for b in STUDIO_BINDINGS if b.id == binding_id]


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
