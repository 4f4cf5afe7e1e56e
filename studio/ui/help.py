"""F1: every key the studio answers to."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen

KEYS = """\
# Keys

| Key | What it does |
|---|---|
| Enter | send the message |
| Shift+Enter, Ctrl+J | new line in the message |
| Escape | stop the reply (the text so far is kept) |
| Ctrl+R | retry a failed reply, or continue a cut one |
| F2 | choose the model for the next message |
| F4 | enter or change the API key |
| F5 | conversations: start a new one, or reopen a kept one |
| Ctrl+S | save the draft (asks for a name the first time) |
| F3 | save the draft under a new name |
| Ctrl+O | open a draft from the drafts folder |
| Ctrl+N | start a new, empty draft |
| F8 | bring back the draft Claude's save_draft replaced (again: swap back) |
| Ctrl+Z / Ctrl+Y | in the draft: undo / redo (each change Claude makes is one step) |
| Tab / Shift+Tab | move between the message box and the draft |
| Ctrl+P | command palette |
| F1 | this help |
| Ctrl+Q | quit |

Press Escape or F1 to close.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("f1", "dismiss", "Close", show=False, id="help.close_f1"),
    ]

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown  # only when help is opened: keeps start-up light

        with VerticalScroll(id="help"):
            yield Markdown(KEYS)
