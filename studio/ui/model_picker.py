"""F2: choose the model for the next message, with its price and what it is good for."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from studio.core.catalog import Catalog, ModelInfo
from studio.core.visible import visible


def _label(number: int, model: ModelInfo, current: str, default: str) -> Text:
    """Names and notes come from /v1/models or the config: shown, never obeyed."""
    text = Text()
    text.append(f"{number} " if number <= 9 else "  ", style="bold")
    text.append("● " if model.id == current else "  ")
    text.append(visible(model.name), style="bold")
    if model.id == default:
        text.append("  (default)", style="dim")
    text.append(f"\n    {visible(model.price_label)}", style="italic" if model.price is None else "")
    if model.good_for:
        text.append(f"\n    {visible(model.good_for)}", style="dim")
    return text


class ModelPicker(ModalScreen[str | None]):
    CSS_PATH = "dialogs.tcss"  # beside this module; read when first shown
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="picker.cancel")]

    def __init__(self, catalog: Catalog, current: str) -> None:
        super().__init__()
        self.catalog = catalog
        self.current = current

    def compose(self) -> ComposeResult:
        options = [
            Option(_label(n, model, self.current, self.catalog.default), id=model.id)
            for n, model in enumerate(self.catalog.models, start=1)
        ]
        with Vertical(id="picker"):
            yield Static("Choose a model: ↑↓ and Enter, or its number. Esc cancels.", id="picker-help")
            yield OptionList(*options, id="picker-list")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        ids = [m.id for m in self.catalog.models]
        options.highlighted = ids.index(self.current) if self.current in ids else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def on_key(self, event: events.Key) -> None:
        if event.character and event.character.isdigit() and event.character != "0":
            index = int(event.character) - 1
            if index < len(self.catalog.models):
                event.stop()
                self.dismiss(self.catalog.models[index].id)
