"""The studio's Textual app: lays out the panes, owns the session's state, and maps keys to actions.

The engine (and with it the SDK) is imported after the first frame is painted.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import signal
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.filter import LineFilter
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer, Header, TextArea

from studio import locations
from studio.config import Settings
from studio.core.catalog import Catalog
from studio.core.conversation import Conversation
from studio.core.drafts import DraftStore
from studio.core.history import History
from studio.core.instances import Instances
from studio.core.keeper import Keeper
from studio.core.recovery import RecoveryStore, ReplacedVersions
from studio.core.spending import Spending
from studio.core.store import SavedSession, Store
from studio.core.visible import visible
from studio.core.workspace import Workspace
from studio.credentials import mask_key, save_key
from studio.ui.bindings import PALETTE_COMMANDS, STUDIO_BINDINGS
from studio.ui.chat import ChatView, Notice, settled_styles
from studio.ui.chat_pane import ChatPane
from studio.ui.dialogs import NEW_CONVERSATION, Choice, Conversations
from studio.ui.draft_pane import DraftPane
from studio.ui.editor import DraftEditor
from studio.ui.help import HelpScreen
from studio.ui.keymap import keymap_problems
from studio.ui.model_picker import ModelPicker
from studio.ui.onboarding import Onboarding
from studio.ui.prompt import PromptArea
from studio.ui.safe_lines import NoControls
from studio.ui.sidebar import Budget, CostSidebar

if TYPE_CHECKING:
    from studio.core.engine import Engine

WELCOME = ("Write to Claude below: Enter sends, Shift+Enter or Ctrl+J adds a line, Escape stops a "
           "reply, F2 picks the model. The draft is on the right.")
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}
CONTEXT_SECONDS = 2.0  # how often the unsent message and the open draft's name are kept
QUIT_WAIT = 5.0  # seconds Ctrl+Q waits for queued store writes before asking
UNMOUNT_WAIT = 2.0  # seconds any other exit waits for them


class StudioApp(App[None]):
    TITLE = "studio"
    AUTO_FOCUS = "#prompt"  # focus is set before the first frame, so an early Tab is never lost
    CSS_PATH = [Path(__file__).with_name("studio.tcss")]  # package data, beside this module
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [*STUDIO_BINDINGS]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.catalog = Catalog.builtin().overridden(settings.models)
        self.model = settings.model
        self.conversation = Conversation()
        state = locations.state_dir()
        self.workspace = Workspace(DraftStore(settings.drafts_dir, settings.max_draft_bytes),
                                   ReplacedVersions(state / "replaced"))
        self.recovery = RecoveryStore(state / "recovery", Instances(state / "instances"))
        self._store_problem: str | None = None
        # The demo's made-up replies and costs are kept apart from the writer's own.
        store = self._open_store("demo.db" if settings.demo else "studio.db")
        self._loop: asyncio.AbstractEventLoop | None = None
        self.keeper = Keeper(self._store_status)  # store writes: off the UI loop, in order
        self.spending = Spending(store, self.keeper, settings.session_budget,
                                 settings.daily_budget, TTL_SECONDS[settings.cache_ttl])
        self.history = History(store, self.keeper)
        self._unsent = ""  # the message box's text
        self._settled_theme = False
        self.engine: Engine | None = None
        self.engine_ready = asyncio.Event()
        self._no_controls = NoControls()
        self.crash_report: Path | None = None

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, then one that keeps control characters from the terminal."""
        return [*super().get_line_filters(), self._no_controls]

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every notification quotes names and messages from outside: never markup, never obeyed."""
        super().notify(visible(message), title=visible(title), severity=severity, timeout=timeout,
                       markup=False)

    def _open_store(self, name: str) -> Store | None:
        path = locations.data_dir() / name
        try:
            return Store(path)
        except Exception as exc:  # a read-only or full disk, a damaged file: say so at start
            self._store_problem = (f"{path} cannot be used ({type(exc).__name__}: {exc}). This "
                                   "conversation and its costs are counted, but will not be kept "
                                   "after you quit, and earlier spend is not in today's total.")
            return None

    def _store_status(self, problem: str | None) -> None:
        """From the Keeper's thread: keeping stalled (`problem`) or recovered (None)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._say_store_status, problem)

    def _say_store_status(self, problem: str | None) -> None:
        if self.is_running:
            self.run_worker(self.chat_pane.say(
                problem or "Conversations and costs are kept on disk again; nothing was lost.",
                "warn" if problem else "tip"), group="store-status")

    def compose(self) -> ComposeResult:
        yield Header(icon="✎")
        with Horizontal(id="workspace"):
            yield ChatPane(id="chat-pane")
            yield DraftPane(self.workspace, self.recovery, id="draft-pane")
            yield CostSidebar(id="sidebar")
        yield Footer()

    @property
    def chat_pane(self) -> ChatPane:
        return self.query_one(ChatPane)

    @property
    def draft_pane(self) -> DraftPane:
        return self.query_one(DraftPane)

    @property
    def sidebar(self) -> CostSidebar:
        return self.query_one(CostSidebar)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help_text, action in PALETTE_COMMANDS:
            yield SystemCommand(title, help_text, getattr(self, f"action_{action}"))
        if self.chat_pane.can_retry or self.chat_pane.can_continue:
            yield SystemCommand("Retry", "Retry the failed reply or continue a cut one (Ctrl+R)",
                                self.action_retry)

    def _match_settled_replies(self, *_: object) -> None:
        from rich.theme import Theme

        if self._settled_theme:
            self.console.pop_theme()
        self.console.push_theme(Theme(settled_styles(self.get_css_variables())))
        self._settled_theme = True

    async def on_mount(self) -> None:
        self._loop = loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, self._stop_on_signal, signum)
        self._match_settled_replies()
        self.theme_changed_signal.subscribe(self, self._match_settled_replies)
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        keymap_warnings = keymap_problems(self.settings.keymap, self.BINDINGS)
        if self.settings.demo:
            self.title = "studio · DEMO"
        self.show_model()
        self.show_ledger()
        chat = self.query_one(ChatView)
        await chat.add(Notice(WELCOME, "tip"))
        if self.settings.demo:
            await chat.add(Notice("Demo mode: replies come from studio's built-in offline server, "
                                  "not from Claude. Prices are real; the text is simulated.", "warn"))
        earlier = self.history.sessions_now()
        if self.settings.resume and earlier:
            await self._reopen(self.history.load_now(earlier[0].id),
                               keep_model=self.settings.model_chosen)
        elif earlier:
            await chat.add(Notice(f"F5 reopens one of your {len(earlier)} earlier "
                                  f"conversation{'s' if len(earlier) > 1 else ''}.", "tip"))
        elif self.settings.resume:
            await chat.add(Notice("No earlier conversation to continue: this one is new.", "warn"))
        if self._store_problem:
            await chat.add(Notice(self._store_problem, "warn"))
        if self.keeper.problem:  # it stalled before the screen could say so
            await chat.add(Notice(self.keeper.problem, "warn"))
        for warning in keymap_warnings:
            await chat.add(Notice(warning, "warn"))
        self.set_interval(CONTEXT_SECONDS, self._keep_context)
        if not self.settings.api_key:
            self.call_after_refresh(self.action_api_key)
        else:
            self.call_after_refresh(self.draft_pane.offer_recovery)
        # Paint first: the SDK takes most of a second to import.
        self.call_after_refresh(lambda: self.run_worker(self._load_engine(), group="engine"))

    def _handle_exception(self, error: Exception) -> None:
        """A bug of ours: keep a masked report, then let Textual close the app (exit status 1)."""
        if self.crash_report is None:
            from studio.crash import write_report

            try:
                self.crash_report = write_report(error, self.settings.api_key)
            except OSError as exc:
                self.log.error(f"crash report not written: {exc}")
        super()._handle_exception(error)
        self._exit_renderables.clear()  # cli says where the report is, in one line

    def _fatal_error(self) -> None:
        """Textual's version renders a traceback with local variables (an API key among them)."""
        self._close_messages_no_wait()

    def _stop_on_signal(self, signum: int) -> None:
        """SIGTERM/SIGHUP: close as Ctrl+Q does, without questions, keeping the unsaved draft (as
        its recovery copy) and the unsent message now, while the panes still exist."""
        for pane in self.query(DraftPane):
            pane.keep_recovery()
        self._keep_context()
        self.exit(return_code=128 + signum)

    async def on_unmount(self) -> None:
        for pane in self.query(DraftPane):  # gone already if the app never finished mounting
            pane.keep_recovery()
        self._keep_context()
        await asyncio.to_thread(self.keeper.close, UNMOUNT_WAIT)
        if self.engine is not None:
            await self.engine.aclose()

    async def _load_engine(self) -> None:
        module = await asyncio.to_thread(importlib.import_module, "studio.core.engine")
        self.engine = self._new_engine(module)
        self.engine_ready.set()
        if self._unsent.strip():  # a reopened conversation's unsent message: estimate it now
            self.chat_pane.watcher.changed()
        # What start-up built (Textual, the SDK) lives as long as the app: keep it out of every
        # later garbage collection, which would otherwise walk ~200,000 objects each time.
        gc.freeze()
        if self.settings.api_key:
            await self._refresh_models()

    def _new_engine(self, module: Any) -> Engine:
        s = self.settings
        config = module.EngineConfig(api_key=s.api_key, base_url=s.base_url,
                                     system_prompt=s.system_prompt, max_tokens=s.max_tokens,
                                     max_tool_rounds=s.max_tool_rounds, cache_ttl=s.cache_ttl)
        return module.Engine(config, self.catalog, self.workspace)

    async def _refresh_models(self) -> None:
        """Merge the API's model list into the catalogue; a failure here is not worth a notice."""
        assert self.engine is not None
        try:
            listed = await self.engine.list_models()
        except Exception as exc:
            self.log.warning(f"model list unavailable: {type(exc).__name__}")
            return
        self.catalog = self.catalog.merged_with_api(listed).overridden(self.settings.models)
        self.engine.catalog = self.catalog
        self.show_model()

    # -- what the writer sees -------------------------------------------------------------

    # Both can be reached from a worker that finishes while the app closes: then there is no screen.
    def show_model(self) -> None:
        if not self.is_running:
            return
        info = self.catalog.info(self.model)
        self.sub_title = visible(info.name)  # model names come from /v1/models or the config
        self.sidebar.show_model(info)
        prompt = self.query_one(PromptArea)
        prompt.border_title = Content(visible(f"to {info.name}"))  # a str is parsed as markup
        prompt.border_subtitle = "Enter sends"

    def show_ledger(self) -> None:
        if not self.is_running:
            return
        s = self.spending
        budget = (Budget(s.session_usd, s.daily_usd, s.session_limit, s.daily_limit)
                  if s.session_limit or s.daily_limit else None)
        self.sidebar.show_ledger(s.ledger, lambda m: self.catalog.info(m).name, budget)

    @on(TextArea.Changed)
    def _next_request_changed(self, event: TextArea.Changed) -> None:
        """The message or the draft changed: so does the next request's size."""
        if isinstance(event.text_area, PromptArea):
            self._unsent = event.text_area.text  # kept from here even after the screen is gone
        self.chat_pane.watcher.changed()

    # -- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        pane = self.chat_pane
        if action == "stop_reply":
            return pane.turn_running
        if action == "retry":
            return (pane.can_retry or pane.can_continue) and not pane.turn_running
        return True

    def action_focus_next(self) -> None:
        """On the main screen Tab goes between the message box and the draft, and nowhere else:
        the chat and sidebar scroll with the mouse, and a stop there would swallow typed keys."""
        if self.screen is not self.screen_stack[0]:
            super().action_focus_next()  # dialogs keep their own focus order
            return
        # set_focus at once, not focus() (deferred): keys typed right after Tab must follow it.
        target = DraftEditor if isinstance(self.focused, PromptArea) else PromptArea
        self.screen.set_focus(self.query_one(target))

    def action_focus_previous(self) -> None:
        if self.screen is not self.screen_stack[0]:
            super().action_focus_previous()
            return
        self.action_focus_next()  # two stops: back is the same as forward

    def action_stop_reply(self) -> None:
        self.chat_pane.stop()

    async def action_retry(self) -> None:
        await self.chat_pane.retry()

    def action_pick_model(self) -> None:
        def chosen(model_id: str | None) -> None:
            if model_id and model_id != self.model:
                self._use_model(model_id)

        self.push_screen(ModelPicker(self.catalog, self.model), chosen)

    def _use_model(self, model_id: str, why: str = "") -> None:
        self.model = model_id
        self.show_model()
        self.chat_pane.watcher.changed()
        self.notify(f"Next message goes to {self.catalog.info(model_id).name}{why}.")

    def action_save_draft(self) -> None:
        self.draft_pane.save()

    def action_save_draft_as(self) -> None:
        self.draft_pane.save(ask_name=True)

    def action_open_draft(self) -> None:
        self.draft_pane.open_draft()

    def action_new_draft(self) -> None:
        self.draft_pane.new_draft()

    def action_restore_replaced(self) -> None:
        self.draft_pane.bring_back()

    async def action_quit(self) -> None:
        self._quit()

    @work(exclusive=True, group="quit")
    async def _quit(self) -> None:
        """Quit; with unsaved changes, ask first (the recovery copy is kept until then)."""
        draft = self.workspace.draft
        if draft.dirty and draft.text.strip():
            answer = await self.push_screen_wait(Choice(
                f"{draft.title} has unsaved changes. Save before quitting?",
                [("save", "Save"), ("discard", "Quit without saving"), ("cancel", "Cancel")]))
            if answer == "cancel":
                return
            if answer == "save":
                worker = self.draft_pane.save()
                await worker.wait()
                if not worker.result:
                    return
            else:
                draft.saved_text = draft.text  # the writer chose: no recovery copy either
                self.recovery.clear(draft.name, drafts_root=self.workspace.store.root)
        self._keep_context()
        while not await asyncio.to_thread(self.keeper.flush, QUIT_WAIT):
            answer = await self.push_screen_wait(Choice(
                f"{self.keeper.pending} change(s) to the conversation or its costs are not on "
                f"disk yet ({self.keeper.problem or 'the database is busy'}). They are lost if "
                "you quit now.", [("wait", "Keep trying"), ("quit", "Quit anyway")]))
            if answer != "wait":
                break
        self.exit()

    def _keep_context(self) -> None:
        """The unsent message survives a crash or a quit; a reopened conversation brings it back."""
        self.history.keep_context(self.workspace.draft.name, self._unsent)

    @work(exclusive=True, group="conversations")
    async def action_conversations(self) -> None:
        if self.chat_pane.turn_running:
            self.notify("Claude is still replying; Escape stops it first.", severity="warning")
            return
        self._keep_context()
        choice = await self.push_screen_wait(Conversations(
            await self.history.sessions(), self.history.session_id, self.history.delete))
        if choice is None or choice == str(self.history.session_id):
            return
        if choice == NEW_CONVERSATION:
            self.history.start_new()
            await self.chat_pane.show_conversation(None)
        else:
            await self._reopen(await self.history.load(int(choice)))
        self.query_one(PromptArea).focus()

    async def _reopen(self, saved: SavedSession | None, keep_model: bool = False) -> None:
        """Show a kept conversation; it goes on with the model it last used (unless `--model`
        chose one for this start, or that model is not in the catalogue any more)."""
        if saved is None:
            self.notify("That conversation could not be read.", severity="error")
            return
        await self.chat_pane.show_conversation(saved)
        last = next((m.model for m in reversed(saved.messages) if m.model), None)
        if last and last != self.model and not keep_model and self.catalog.get(last):
            self._use_model(last, ", as this conversation did")
        if saved.draft and saved.draft != self.workspace.draft.name:
            self.draft_pane.reopen(saved.draft)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_api_key(self) -> None:
        path = locations.config_env_file()

        async def check(key: str) -> str | None:
            await self.engine_ready.wait()
            assert self.engine is not None
            failure = await self.engine.check_key(key)
            return None if failure is None else f"{failure.title}. {failure.detail}"

        async def done(key: str | None) -> None:
            self.draft_pane.offer_recovery()
            if key is None:
                if not self.settings.api_key:
                    await self.chat_pane.say("No API key yet: the editor works; press F4 when you "
                                             "have one.", "warn")
                return
            self.settings.api_key = key
            self.settings.api_key_source = str(path)
            if self.engine is not None:
                await self.engine.aclose()
            self.engine = self._new_engine(importlib.import_module("studio.core.engine"))
            await self.chat_pane.say(f"Key {mask_key(key)} works and is saved in {path}.", "tip")
            self.run_worker(self._refresh_models(), group="engine")

        self.push_screen(Onboarding(str(path), check, lambda key: save_key(key, path)), done)
