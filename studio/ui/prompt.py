"""The multi-line message box: Enter sends, Shift+Enter or Ctrl+J starts a new line."""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import TextArea

from studio.ui.frame_clock import paint_at_once


class PromptArea(TextArea):
    class Submitted(Message):
        def __init__(self, prompt: PromptArea, text: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.text = text

    def take(self, text: str) -> None:
        """`text` was sent: out of the box, keeping what was typed after its Enter (the keys
        that came before the message about it was handled)."""
        if self.text.startswith(text):
            end = (text.count("\n"), len(text) - text.rfind("\n") - 1)  # (row, column) after it
            self.delete((0, 0), end)

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            if self.text.strip():
                self.post_message(self.Submitted(self, self.text))
            return
        if event.key in ("shift+enter", "ctrl+j"):
            event.stop()
            event.prevent_default()
            self.insert("\n")
            paint_at_once(self)
            return
        await super()._on_key(event)
        paint_at_once(self)
