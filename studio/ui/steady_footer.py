"""The writing screen's footer: Textual's, rebuilt only when the keys it shows change.

Textual's Footer rebuilds all of its keys (a widget each, mounted again) whenever the screen's
bindings may have changed: focus moving, any reactive with `bindings=True`. At start it rebuilt
three times for the same seven keys (about 11 ms each, and a frame to paint them), right after
the first frame, while the writer may already type. Here a rebuild that would show the same keys
is skipped; a turn's start and end still show and hide Escape's "Stop".
"""

from __future__ import annotations

from typing import Any

from textual.dom import NoScreen
from textual.widgets import Footer


class SteadyFooter(Footer):
    _shown: tuple[Any, ...] | None = None  # what the keys were last built from

    async def recompose(self) -> None:
        try:
            bindings = self.screen.active_bindings
        except NoScreen:  # gone while the rebuild waited for its frame (the app closing)
            return
        shown = (
            self.compact,
            self.show_command_palette,
            tuple(
                (name, binding.key, binding.action, binding.description, binding.show, enabled, tooltip)
                for name, (_node, binding, enabled, tooltip) in bindings.items()
            ),
        )
        if shown == self._shown:
            return
        self._shown = shown
        await super().recompose()
