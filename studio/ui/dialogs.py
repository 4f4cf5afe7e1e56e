"""Small modal dialogs: a question with choices, a file name, a draft or a conversation to open
(or to find, by searching every conversation and draft)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from studio.core.drafts import DraftFile
from studio.core.search import Hit, SearchSyntaxError
from studio.core.store import SessionSummary
from studio.core.usage import format_usd
from studio.core.visible import visible
from studio.ui.bindings import key_label


class Choice(ModalScreen[str]):
    """A question and a row of buttons; returns the chosen button's id ("cancel" on Escape).
    Questions quote draft names and error messages: shown, never obeyed."""

    CSS_PATH = "dialogs.tcss"  # beside this module; read when first shown

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

    CSS_PATH = "dialogs.tcss"  # beside this module; read when first shown

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

    CSS_PATH = "dialogs.tcss"  # beside this module; read when first shown

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
SEARCH_PAUSE = 0.25  # seconds of no typing before the search box searches
HIT_PREFIX = "hit-"


class Conversations(ModalScreen[str | Hit | None]):
    """F5: start a new conversation, reopen a kept one, or search them all; returns "new", a
    session id, a search Hit (a message to open the conversation at, or a draft), or None.
    Delete forgets the highlighted conversation, after asking (`delete` does it and says if it
    worked). `search` reads the store: it runs in a thread worker, after a pause in typing."""

    CSS_PATH = "dialogs.tcss"  # beside this module; read when first shown

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="conversations.cancel"),
        Binding("delete", "delete", "Delete", id="conversations.delete"),
    ]

    def __init__(
        self,
        sessions: list[SessionSummary],
        current: int | None,
        delete: Callable[[int], bool],
        search: Callable[[str], list[Hit]] | None = None,
    ) -> None:
        super().__init__()
        self.sessions = sessions
        self.current = current
        self.delete = delete
        self.search = search
        self.hits: list[Hit] = []
        self._pause: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Conversations", classes="question")
            if self.search is not None:
                yield Input(
                    placeholder="Search every conversation and draft",
                    id="conversation-search",
                    select_on_focus=False,  # the first letter typed in the list is already in it
                )
            yield OptionList(*self._listed(), id="conversation-list")
            yield Static(
                "Every conversation is kept as it happens. ↑↓ and Enter open · typing searches · "
                "Delete forgets one · Escape cancels",
                classes="hint",
            )

    def _listed(self) -> list[Option]:
        options = [Option("+ New conversation", id=NEW_CONVERSATION)]
        return options + [
            Option(_describe_session(s, s.id == self.current), id=str(s.id)) for s in self.sessions
        ]

    def on_mount(self) -> None:
        self._highlight_latest()
        self.query_one(OptionList).focus()

    def _highlight_latest(self) -> None:
        # Most often F5 is for the latest conversation that is not the one on screen.
        others = [i for i, s in enumerate(self.sessions, start=1) if s.id != self.current]
        self.query_one(OptionList).highlighted = others[0] if others else 0

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        chosen = event.option.id or ""
        if chosen.startswith(HIT_PREFIX):
            self.dismiss(self.hits[int(chosen.removeprefix(HIT_PREFIX))])
        else:
            self.dismiss(chosen)

    # -- the search box ---------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        """Typing in the list goes to the search box; Down in the box goes to the list."""
        boxes = self.query(Input)
        if not boxes:
            return
        box = boxes.first()
        if self.focused is box and event.key == "down":
            self.query_one(OptionList).focus()
            event.stop()
        elif self.focused is not box and event.is_printable and event.character:
            box.focus()
            box.insert_text_at_cursor(event.character)
            event.stop()

    @on(Input.Submitted, "#conversation-search")
    def _open_highlighted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            options.action_select()

    @on(Input.Changed, "#conversation-search")
    def _typed(self, event: Input.Changed) -> None:
        if self._pause is not None:
            self._pause.stop()
        words = event.value.strip()
        if not words:
            self.workers.cancel_group(self, "search")
            self.hits = []
            self.query_one(OptionList).set_options(self._listed())
            self._highlight_latest()
            return
        self._pause = self.set_timer(SEARCH_PAUSE, lambda: self._search(words))

    @work(thread=True, exclusive=True, group="search")
    def _search(self, words: str) -> None:
        assert self.search is not None
        # The word being typed is a prefix until a space ends it: results come as the writer types.
        query = words + "*" if words[-1].isalnum() else words
        try:
            hits, problem = self.search(query), None
        except (SearchSyntaxError, sqlite3.Error) as exc:
            hits, problem = [], str(exc)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_hits, words, hits, problem)

    def _show_hits(self, words: str, hits: list[Hit], problem: str | None) -> None:
        if self.query_one(Input).value.strip() != words:  # typed on since: a newer search comes
            return
        self.hits = hits
        options = self.query_one(OptionList)
        if problem is not None or not hits:
            said = visible(f"Nothing found for {words}." if problem is None else problem)
            options.set_options([Option(Text(said, style="dim"), disabled=True)])
            return
        options.set_options([Option(_describe_hit(hit), id=f"{HIT_PREFIX}{n}") for n, hit in enumerate(hits)])
        options.highlighted = 0

    @work(exclusive=True)
    async def action_delete(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        option = options.get_option_at_index(options.highlighted)
        if option.id is None or option.id.startswith(HIT_PREFIX):  # search results: nothing to forget
            self.notify("Empty the search box to see the conversations, then Delete forgets one.")
            return
        if option.id in (NEW_CONVERSATION, str(self.current)):
            self.notify("That one is open: start or open another conversation first.", severity="warning")
            return
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


def _describe_hit(hit: Hit) -> Text:
    """Two lines: the conversation (or draft) and when, then the snippet with its matches marked."""
    when = datetime.fromtimestamp(hit.at).strftime("%Y-%m-%d %H:%M")
    title = hit.title if len(hit.title) <= 36 else hit.title[:35] + "…"  # the head fits one line
    if hit.kind == "draft":
        head = f"draft {hit.name}" + (f" · saved in {title}" if title else "")
    else:
        head = f"{title or '(untitled)'} · {'you' if hit.role == 'user' else 'Claude'}"
    text = Text(visible(head), overflow="ellipsis", no_wrap=True)
    text.append(f" · {when}\n  ", style="dim")
    shown = visible(hit.snippet)
    if len(shown) == len(hit.snippet):  # marks still line up: style each match
        start = 0
        for begin, end in hit.marks:
            text.append(shown[start:begin], style="dim")
            text.append(shown[begin:end], style="bold reverse")
            start = end
        text.append(shown[start:], style="dim")
    else:
        text.append(shown, style="dim")
    return text
