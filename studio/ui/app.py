"""The studio's Textual app: lays out the panes and turns engine events into what the writer sees."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header

from studio import locations
from studio.config import Settings
from studio.core.catalog import Catalog
from studio.core.conversation import Conversation
from studio.core.drafts import DraftStore, RecoveryStore
from studio.core.events import (
    CostReported,
    Event,
    TextDelta,
    ToolFinished,
    ToolInputDelta,
    TurnDone,
    TurnFailed,
)
from studio.core.ledger import CostLedger, LedgerEntry
from studio.core.usage import format_tokens
from studio.core.workspace import Workspace
from studio.keys import mask_key, save_key
from studio.ui.chat import AssistantMessage, ChatView, Notice, ToolEntry, UserMessage
from studio.ui.dialogs import Choice
from studio.ui.draft_pane import DraftPane
from studio.ui.help import HelpScreen
from studio.ui.model_picker import ModelPicker
from studio.ui.onboarding import Onboarding
from studio.ui.prompt import PromptArea
from studio.ui.sidebar import CostSidebar, entry_cost

if TYPE_CHECKING:
    from studio.core.engine import Engine

WELCOME = ("Write to Claude below: Enter sends, Shift+Enter or Ctrl+J adds a line, Escape stops a "
           "reply, F2 picks the model. The draft is on the right.")


class StudioApp(App[None]):
    TITLE = "studio"
    CSS_PATH = [locations.styles_dir() / "studio.tcss"]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = [
        Binding("f1", "help", "Help", id="help", tooltip="Show every key"),
        Binding("f2", "pick_model", "Model", id="pick_model",
                tooltip="Choose the model for the next message"),
        Binding("escape", "stop_reply", "Stop", id="stop_reply",
                tooltip="Stop the reply; the text so far is kept"),
        Binding("ctrl+r", "retry", "Retry", id="retry",
                tooltip="Retry the failed reply, or continue a cut one"),
        Binding("f4", "api_key", "Key", id="api_key", tooltip="Enter or change the API key"),
        Binding("ctrl+s", "save_draft", "Save", id="save_draft", tooltip="Save the draft"),
        Binding("ctrl+o", "open_draft", "Open", id="open_draft", tooltip="Open a draft"),
        Binding("ctrl+n", "new_draft", "New", id="new_draft", show=False,
                tooltip="Start a new, empty draft"),
        Binding("f3", "save_draft_as", "Save as", id="save_draft_as", show=False,
                tooltip="Save the draft under a new name"),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True, tooltip="Quit studio"),
    ]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.catalog = Catalog.builtin()
        self.model = settings.model
        self.conversation = Conversation()
        self.ledger = CostLedger()
        self.workspace = Workspace(DraftStore(settings.drafts_dir, settings.max_draft_bytes))
        self.recovery = RecoveryStore(locations.state_dir() / "recovery")
        self.engine: Engine | None = None
        self._engine_ready = asyncio.Event()
        self._turn_running = False
        self._can_retry = False
        self._can_continue = False
        self._stop = asyncio.Event()

    def compose(self) -> ComposeResult:
        yield Header(icon="✎")
        with Horizontal(id="workspace"):
            with Vertical(id="chat-pane"):
                yield ChatView(id="chat")
                yield PromptArea(id="prompt", soft_wrap=True, compact=True)
            yield DraftPane(self.workspace, self.recovery, id="draft-pane")
            yield CostSidebar(id="sidebar")
        yield Footer()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Choose model", "Pick the model for the next message (F2)",
                            self.action_pick_model)
        yield SystemCommand("API key", "Enter or change the Anthropic API key (F4)",
                            self.action_api_key)
        yield SystemCommand("Keys", "Every key studio answers to (F1)", self.action_help)
        if self._can_retry or self._can_continue:
            yield SystemCommand("Retry", "Retry the failed reply or continue a cut one (Ctrl+R)",
                                self.action_retry)

    async def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        if self.settings.demo:
            self.title = "studio · DEMO"
        self._show_model()
        self._show_ledger()
        await self.query_one(ChatView).add(Notice(WELCOME, "tip"))
        if self.settings.demo:
            await self.query_one(ChatView).add(Notice(
                "Demo mode: replies come from studio's built-in offline server, not from Claude. "
                "Prices are real; the text is simulated.", "warn"))
        self.query_one(PromptArea).focus()
        if not self.settings.api_key:
            self.call_after_refresh(self.action_api_key)
        else:
            self.call_after_refresh(self._pane.offer_recovery)
        # Paint first: the SDK takes most of a second to import.
        self.call_after_refresh(self.run_worker, self._load_engine(), group="engine")

    async def on_unmount(self) -> None:
        if self.engine is not None:
            await self.engine.aclose()

    async def _load_engine(self) -> None:
        module = await asyncio.to_thread(importlib.import_module, "studio.core.engine")
        self.engine = module.Engine(self._engine_config(module), self.catalog, self.workspace)
        self._engine_ready.set()
        if self.settings.api_key:
            await self._refresh_models()

    def _engine_config(self, module: Any) -> Any:
        s = self.settings
        return module.EngineConfig(api_key=s.api_key, base_url=s.base_url,
                                   system_prompt=s.system_prompt, max_tokens=s.max_tokens,
                                   max_tool_rounds=s.max_tool_rounds)

    async def _refresh_models(self) -> None:
        """Merge the API's model list into the catalogue; a failure here is not worth a notice."""
        assert self.engine is not None
        try:
            listed = await self.engine.list_models()
        except Exception as exc:
            self.log.warning(f"model list unavailable: {type(exc).__name__}")
            return
        self.catalog = self.catalog.merged_with_api(listed)
        self.engine.catalog = self.catalog
        self._show_model()

    # -- what the writer sees -------------------------------------------------------------

    def _show_model(self) -> None:
        info = self.catalog.info(self.model)
        self.sub_title = info.name
        self.query_one(CostSidebar).show_model(info)
        prompt = self.query_one(PromptArea)
        prompt.border_title = f"to {info.name}"
        prompt.border_subtitle = "Enter sends"

    @property
    def _pane(self) -> DraftPane:
        return self.query_one(DraftPane)

    def _show_ledger(self) -> None:
        self.query_one(CostSidebar).show_ledger(self.ledger, lambda m: self.catalog.info(m).name)

    async def _say(self, text: str, level: str = "info") -> None:
        await self.query_one(ChatView).add(Notice(text, level))

    # -- sending ------------------------------------------------------------------------

    @on(PromptArea.Submitted)
    async def _send(self, message: PromptArea.Submitted) -> None:
        if self._turn_running:
            self.notify("Claude is still replying; Escape stops it.", severity="warning")
            return
        if not self.settings.api_key:
            await self._say("No API key, so nothing was sent (your message is still in the box). "
                            "Press F4 to paste a key, or set ANTHROPIC_API_KEY.", "error")
            return
        message.prompt.clear()
        await self.query_one(ChatView).add(UserMessage(message.text))
        self.conversation.add_user(message.text)
        self._start_turn()

    def _start_turn(self) -> None:
        self._stop = asyncio.Event()
        self._turn_running = True
        self._can_retry = self._can_continue = False
        self.refresh_bindings()
        self.run_worker(self._run_turn(), group="turn", exclusive=True, exit_on_error=False)

    async def _run_turn(self) -> None:
        await self._engine_ready.wait()
        assert self.engine is not None
        info = self.catalog.info(self.model)
        reply = AssistantMessage(info.name)
        await self.query_one(ChatView).add(reply)
        entry = self.ledger.start_reply(self.model)
        reply.set_meta("writing …")
        try:
            async for event in self.engine.run_turn(self.conversation, self.model, self._stop):
                await self._show_event(event, reply, entry)
        except asyncio.CancelledError:  # the app is closing
            await reply.finish()
            raise
        except Exception as exc:  # a bug of ours: say so plainly, keep the conversation
            await reply.finish()
            await reply.add_part(Notice(f"Unexpected error: {type(exc).__name__}: {exc}", "error"))
            self._can_retry = True
        finally:
            self._pane.abandon_preview()
            if entry.responses == 0:
                self.ledger.entries.remove(entry)
            self._show_ledger()
            self._turn_running = False
            self.refresh_bindings()

    async def _show_event(self, event: Event, reply: AssistantMessage, entry: LedgerEntry) -> None:
        match event:
            case TextDelta(text=text):
                await reply.append(text)
            case ToolInputDelta(name="save_draft", partial=partial):
                self._pane.preview(partial)
            case ToolFinished(name=name, input=args, result=result, is_error=is_error, change=change):
                if change is not None:
                    self._pane.apply(change)
                elif name == "save_draft":
                    self._pane.abandon_preview()
                await reply.add_part(ToolEntry(name, args, result, is_error, change))
            case CostReported(cost=cost):
                entry.add(cost)
                self._show_ledger()
                self._set_meta(reply, entry, "writing …")
            case TurnDone(stop_reason=stop, notice=notice, can_continue=can_continue):
                await reply.finish()
                if notice:
                    await reply.add_part(Notice(notice, "warn"))
                self._can_continue = can_continue
                self._set_meta(reply, entry, {"refusal": "declined", "stopped": "stopped"}.get(stop, ""))
            case TurnFailed(title=title, detail=detail):
                await reply.finish()
                await reply.add_part(Notice(f"{title}. {detail} Press Ctrl+R to retry.", "error"))
                self._can_retry = True
                self._set_meta(reply, entry, "failed")

    def _set_meta(self, reply: AssistantMessage, entry: LedgerEntry, status: str) -> None:
        u = entry.usage
        parts = [entry_cost(entry) if entry.responses else "",
                 f"in {format_tokens(u.input)} · out {format_tokens(u.output)}" if entry.responses
                 else "", status]
        reply.set_meta(" · ".join(p for p in parts if p))

    # -- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop_reply":
            return self._turn_running
        if action == "retry":
            return (self._can_retry or self._can_continue) and not self._turn_running
        return True

    def action_stop_reply(self) -> None:
        self._stop.set()

    async def action_retry(self) -> None:
        if self._turn_running:
            return
        if self._can_continue:
            self.conversation.add_user("Please continue exactly where you stopped.")
            await self._say("Continuing the cut reply …")
        elif self._can_retry and self.conversation.pending_user_turn():
            await self._say("Retrying …")
        else:
            return
        self._start_turn()

    def action_pick_model(self) -> None:
        def chosen(model_id: str | None) -> None:
            if model_id and model_id != self.model:
                self.model = model_id
                self._show_model()
                self.notify(f"Next message goes to {self.catalog.info(model_id).name}.")

        self.push_screen(ModelPicker(self.catalog, self.model), chosen)

    def action_save_draft(self) -> None:
        self._pane.save()

    def action_save_draft_as(self) -> None:
        self._pane.save(ask_name=True)

    def action_open_draft(self) -> None:
        self._pane.open_draft()

    def action_new_draft(self) -> None:
        self._pane.new_draft()

    @work(exclusive=True, group="quit")
    async def action_quit(self) -> None:
        """Quit; with unsaved changes, ask first (the recovery copy is kept until then)."""
        draft = self.workspace.draft
        if draft.dirty and draft.text.strip():
            answer = await self.push_screen_wait(Choice(
                f"{draft.title} has unsaved changes. Save before quitting?",
                [("save", "Save"), ("discard", "Quit without saving"), ("cancel", "Cancel")]))
            if answer == "cancel":
                return
            if answer == "save":
                worker = self._pane.save()
                await worker.wait()
                if not worker.result:
                    return
            else:
                self.recovery.clear(draft.name, drafts_root=self.workspace.store.root)
        self.exit()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_api_key(self) -> None:
        path = locations.config_env_file()

        async def check(key: str) -> str | None:
            await self._engine_ready.wait()
            assert self.engine is not None
            failure = await self.engine.check_key(key)
            return None if failure is None else f"{failure.title}. {failure.detail}"

        async def done(key: str | None) -> None:
            self._pane.offer_recovery()
            if key is None:
                if not self.settings.api_key:
                    await self._say("No API key yet: the editor works; press F4 when you have one.",
                                    "warn")
                return
            self.settings.api_key = key
            self.settings.api_key_source = str(path)
            module = importlib.import_module("studio.core.engine")
            assert self.engine is not None
            await self.engine.aclose()
            self.engine = module.Engine(self._engine_config(module), self.catalog, self.workspace)
            await self._say(f"Key {mask_key(key)} works and is saved in {path}.", "tip")
            self.run_worker(self._refresh_models(), group="engine")

        self.push_screen(Onboarding(str(path), check, lambda key: save_key(key, path)), done)
