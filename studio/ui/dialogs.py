"""Small modal dialogs: a question with choices, a file name, a draft or a conversation to open."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from studio.core.drafts import DraftFile
from studio.core.store import SessionSummary
from studio.core.usage import format_usd
from studio.core.visible import visible
from studio.ui.bindings import key_label


class Choice(ModalScreen[str]):
    """A question and a row of buttons; returns the chosen button's id ("cancel" on Escape).
    Questions quote draft names and error messages: shown, never obeyed."""

    BINDINGS = [Binding("escape", "dismiss('cancel')", "Cancel", id="choice.cancel")]

    def __init__(self, question: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.question = visible(question)
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="question", markup=False)
            with Horizontal(classes="buttons"):
                for number, (choice_id, label) in enumerate(self.choices):
                    yield Button(label, id=choice_id, variant="primary" if number == 0 else "default")

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    @on(Button.Pressed)
    def _chosen(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")


class AskName(ModalScreen[str | None]):
    """A file name for Save as; None on Escape."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="ask_name.cancel")]

    def __init__(self, question: str, value: str = "") -> None:
        super().__init__()
        self.question = visible(question)
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="question", markup=False)
            yield Input(self.value, placeholder="launch.md", id="name-input")
            yield Static("Enter saves · Escape cancels", classes="hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())


class OpenDraft(ModalScreen[str | None]):
    """The drafts folder, newest first; returns the chosen draft's name."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="open.cancel")]

    def __init__(self, folder: str, files: list[DraftFile]) -> None:
        super().__init__()
        self.folder = visible(folder)
        self.files = files

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Open a draft from {self.folder}", classes="question", markup=False)
            if not self.files:
                yield Static(
                    f"No drafts yet. Ask Claude to save one, or press {key_label(self.app, 'save_draft')}.",
                    classes="hint",
                )
            else:
                yield OptionList(
                    *(Option(_describe(f), id=f.name) for f in self.files), id="open-list", markup=False
                )  # file names are not markup
            yield Static("↑↓ and Enter open · Escape cancels", classes="hint")

    def on_mount(self) -> None:
        if self.files:
            options = self.query_one(OptionList)
            options.highlighted = 0
            options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


def _describe(draft: DraftFile) -> str:
    when = datetime.fromtimestamp(draft.modified).strftime("%Y-%m-%d %H:%M")
    size = f"{draft.size:,} bytes" if draft.size < 10_000 else f"{draft.size / 1024:,.0f} KB"
    return f"{visible(draft.name)}  ·  {when}  ·  {size}"


NEW_CONVERSATION = "new"


class Conversations(ModalScreen[str | None]):
    """F5: start a new conversation or reopen a kept one; returns "new", a session id, or None.
    Delete forgets the highlighted one, after asking (`delete` does it and says if it worked)."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="conversations.cancel"),
        Binding("delete", "delete", "Delete", id="conversations.delete"),
    ]

    def __init__(
        self, sessions: list[SessionSummary], current: int | None, delete: Callable[[int], bool]
    ) -> None:
        super().__init__()
        self.sessions = sessions
        self.current = current
        self.delete = delete

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Conversations", classes="question")
            options = [Option("+ New conversation", id=NEW_CONVERSATION)]
            options += [
                Option(_describe_session(s, s.id == self.current), id=str(s.id)) for s in self.sessions
            ]
            yield OptionList(*options, id="conversation-list")
            yield Static(
                "Every conversation is kept as it happens. ↑↓ and Enter open · "
                "Delete forgets one · Escape cancels",
                classes="hint",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        # Most often F5 is for the latest conversation that is not the one on screen.
        others = [i for i, s in enumerate(self.sessions, start=1) if s.id != self.current]
        options.highlighted = others[0] if others else 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @work(exclusive=True)
    async def action_delete(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        option = options.get_option_at_index(options.highlighted)
        if option.id in (NEW_CONVERSATION, str(self.current)):
            self.notify("That one is open: start or open another conversation first.", severity="warning")
            return
        assert option.id is not None
        answer = await self.app.push_screen_wait(
            Choice(
                "Forget this conversation? Its messages are deleted; what it cost still counts "
                "towards today's spend.",
                [("delete", "Delete"), ("cancel", "Cancel")],
            )
        )
        if answer == "delete":
            if self.delete(int(option.id)):
                options.remove_option(option.id)
            else:
                self.notify("That conversation could not be deleted.", severity="error")


def _describe_session(session: SessionSummary, current: bool) -> Text:
    """Two lines: what the writer first said, then when, how many replies and what they cost."""
    when = datetime.fromtimestamp(session.updated).strftime("%Y-%m-%d %H:%M")
    replies = f"{session.replies} repl{'y' if session.replies == 1 else 'ies'}"
    text = Text(visible(session.title or "(nothing sent yet)"), overflow="ellipsis", no_wrap=True)
    text.append(
        f"\n  {when} · {replies} · {format_usd(session.usd)}" + (" · open now" if current else ""),
        style="dim",
    )
    return text
