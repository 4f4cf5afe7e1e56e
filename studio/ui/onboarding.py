"""First run without a key: where a key comes from, paste one (checked, saved 0600), or go on without."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from studio.core.events import TurnFailed
from studio.core.visible import visible
from studio.credentials import looks_like_key, mask_key

# Checks a key: None when it works, else the reason in words.
KeyChecker = Callable[[str], Awaitable[TurnFailed | None]]  # None: the API accepts the key

EXPLANATION = """\
[b]Welcome to studio.[/b] To talk with Claude it needs an Anthropic API key.

studio looks for [b]ANTHROPIC_API_KEY[/b] in the environment, then in a [b].env[/b] file in this \
folder, then in [b]{config_env}[/b].

Create a key at console.anthropic.com (Settings → API keys) and paste it below. It is checked \
with one free API call, then saved to {config_env} (readable only by you). It is never shown back in full.

Without a key the editor still works; sending a message will tell you what is missing."""


class Onboarding(ModalScreen[str | None]):
    """Returns the checked key, or None to go on without one."""

    CSS_PATH = "dialogs.tcss"  # beside this module; read when first shown

    BINDINGS = [Binding("escape", "skip", "Continue without a key", id="onboarding.skip")]

    def __init__(self, config_env: str, check: KeyChecker, save: Callable[[str], None]) -> None:
        super().__init__()
        self.config_env = config_env
        self.check = check
        self.save = save

    def compose(self) -> ComposeResult:
        with Vertical(id="onboarding"):
            yield Static(
                EXPLANATION.format(config_env=escape(visible(self.config_env))), id="onboarding-text"
            )
            yield Input(placeholder="sk-ant-…", password=True, id="key-input")
            yield Static("", id="key-status", markup=False)  # it quotes what a server said
            with Horizontal(id="onboarding-buttons"):
                yield Button("Check and save", variant="primary", id="save-key")
                yield Button("Continue without a key", id="skip")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def _status(self, text: str, level: Literal["info", "error"]) -> None:
        status = self.query_one("#key-status", Static)
        status.set_classes(level)
        status.update(visible(text))

    def on_input_submitted(self) -> None:
        self._check_and_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "skip":
            self.action_skip()
        else:
            self._check_and_save()

    def action_skip(self) -> None:
        self.dismiss(None)

    @work(exclusive=True, group="key-check")
    async def _check_and_save(self) -> None:
        key = self.query_one(Input).value.strip()
        if not looks_like_key(key):
            self._status("That does not look like an API key (they start with sk-ant-).", "error")
            return
        self._status(f"Checking {mask_key(key)} …", "info")
        failure = await self.check(key)
        if failure is not None:
            problem = f"{failure.title}. {failure.detail}"
            # A gateway may echo the key it was sent: never show it back.
            self._status(f"{mask_key(key)}: {problem.replace(key, mask_key(key))}", "error")
            return
        try:
            self.save(key)
        except OSError as exc:
            self._status(f"The key works but could not be saved: {exc.strerror}", "error")
            return
        self.dismiss(key)
