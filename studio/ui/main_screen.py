"""The writing screen: it holds the session, runs its turns in a worker of its own, and routes each
event down to the pane that shows it. Panes post messages up; none calls another.

The panes fill in right after the first frame; the engine (and so the SDK) is loaded after that.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Header, TextArea
from textual.worker import Worker

from studio import locations
from studio.config import Settings
from studio.core.events import (
    CostReported,
    SessionEvent,
    ToolFinished,
    ToolInputDelta,
    TurnEnded,
    TurnStarted,
)
from studio.core.recovery import RecoveryStore
from studio.core.session import Session, SessionBusy
from studio.core.store import SavedSession
from studio.core.visible import visible, without_controls
from studio.credentials import mask_key, save_key
from studio.ui.asking import agree
from studio.ui.batch_follower import BatchFollower
from studio.ui.bindings import SCREEN_BINDINGS, key_label
from studio.ui.chat import NoticeLevel
from studio.ui.chat_pane import ChatPane
from studio.ui.collecting import started
from studio.ui.conversation_picker import ConversationPicker
from studio.ui.copying import copy_as_written
from studio.ui.draft_pane import DraftPane
from studio.ui.editor import DraftEditor
from studio.ui.frame_clock import FramedScreen
from studio.ui.next_request import NextRequestWatcher
from studio.ui.prompt import PromptArea
from studio.ui.sidebar import Budget, CostSidebar
from studio.ui.steady_footer import SteadyFooter
from studio.ui.welcome import earlier_notice, welcome

CONTEXT_SECONDS = 2.0  # how often the unsent message and the open draft's name are kept


class MainScreen(FramedScreen[None]):
    BINDINGS = [*SCREEN_BINDINGS]
    AUTO_FOCUS = "#prompt"  # focus is set before the first frame, so an early Tab is never lost

    # What the bindings depend on: Escape stops only a running reply, Ctrl+R only a failed one.
    # Drawn from nothing: repainted, the whole screen went with a reply's last words (15-30 ms).
    turn_running: reactive[bool] = reactive(False, repaint=False, bindings=True)
    can_retry: reactive[bool] = reactive(False, repaint=False, bindings=True)

    def __init__(
        self,
        settings: Settings,
        session: Session,
        recovery: RecoveryStore,
        notices: list[tuple[str, NoticeLevel]],
        typed: str = "",
        to_send: str = "",
    ) -> None:
        super().__init__()
        self.settings = settings
        self.session = session
        self.recovery = recovery
        self._notices = notices  # said once the chat is on screen: what start-up found wrong
        self._typed = typed  # into the first frame's message box (opening.py), before this was built
        self._to_send = to_send  # and sent there with Enter

    def compose(self) -> ComposeResult:
        yield Header(icon="✎")
        with Horizontal(id="workspace"):
            yield ChatPane(id="chat-pane")
            yield DraftPane(self.session.workspace, self.recovery, id="draft-pane")
            yield CostSidebar(id="sidebar")
        yield SteadyFooter()
        yield BatchFollower(self.session)
        yield ConversationPicker(self.session)

    @property
    def chat_pane(self) -> ChatPane:
        return self.query_one(ChatPane)

    @property
    def draft_pane(self) -> DraftPane:
        return self.query_one(DraftPane)

    @property
    def sidebar(self) -> CostSidebar:
        return self.query_one(CostSidebar)

    def key(self, binding_id: str) -> str:
        return key_label(self.app, binding_id)

    async def on_mount(self) -> None:
        session, chat = self.session, self.chat_pane
        chat.model_name = lambda model: session.catalog.info(model).name
        self.watcher = NextRequestWatcher(self, session, lambda: chat.prompt.text, self.sidebar.show_next)
        if self._typed:  # first: a reopened conversation's unsent message then waits
            chat.prompt.insert(self._typed)
        self.show_model()
        self.show_ledger()
        settings = self.settings
        for text, level in welcome(self.key, settings.demo):
            await chat.say(text, level)
        earlier = session.earlier_conversations()
        if settings.resume and earlier:
            await self._show_reopened(session.model, session.open_latest_now(settings.model_chosen))
        elif notice := earlier_notice(self.key, len(earlier), settings.resume):
            await chat.say(*notice)
        for text, level in self._notices:
            await chat.say(text, level)
        if session.keeping_problem:  # it stalled before the screen could say so
            await chat.say(session.keeping_problem, "warn")
        self.set_interval(CONTEXT_SECONDS, session.keep_context)
        if not settings.api_key:
            self.call_after_refresh(self.action_api_key)
        else:
            self.call_after_refresh(self.draft_pane.offer_recovery)
        # Paint first: the SDK takes most of a second to import.
        self.call_after_refresh(lambda: self.run_worker(self._start_engine(), group="engine"))
        if self._to_send:  # after a reopened conversation is shown: it goes into that one
            self._send(self._to_send)

    async def _start_engine(self) -> None:
        try:
            await self.session.start()
            await self.session.prepare()  # off the loop: the first reply then stalls it less
        finally:
            started()  # what start-up built is out of every later collection (collecting.py)
        if self.session.unsent.strip():  # a reopened conversation's unsent message: estimate it
            self.watcher.changed()
        self.follow_batches_soon()  # jobs left running last time, or started by `studio batch`
        if self.session.settings.api_key and await self.session.refresh_models():
            self.show_model()

    # -- what the writer sees -------------------------------------------------------------------

    @property
    def showing(self) -> bool:
        """False once the app is closing: a late worker (the model list, an estimate) then
        finds no panes, and must simply do nothing."""
        return self.is_attached and self.app.is_running

    def show_model(self) -> None:
        if not self.showing:
            return
        info = self.session.catalog.info(self.session.model)
        self.sub_title = visible(info.name)  # model names come from /v1/models or the config
        self.sidebar.show_model(info)
        prompt = self.chat_pane.prompt
        prompt.border_title = Content(visible(f"to {info.name}"))  # a str is parsed as markup
        prompt.border_subtitle = "Enter sends"

    def show_ledger(self) -> None:
        if not self.showing:
            return
        s = self.session.spending
        budget = (
            Budget(s.session_usd, s.daily_usd, s.session_limit, s.daily_limit)
            if s.session_limit or s.daily_limit
            else None
        )
        self.sidebar.show_ledger(s.ledger, self.chat_pane.model_name, budget)

    def _flags(self) -> None:
        self.turn_running = self.session.running
        self.can_retry = self.session.retry_kind is not None

    async def say(self, text: str, level: NoticeLevel = "info") -> None:
        await self.chat_pane.say(text, level)

    def keeping_changed(self, problem: str | None) -> None:
        """The store stalled (`problem`) or recovered (None): say so in the conversation."""
        self.run_worker(
            self.say(
                problem or "Conversations and costs are kept on disk again; nothing was lost.",
                "warn" if problem else "tip",
            ),
            group="store-status",
        )

    @on(DraftPane.Said)
    async def _draft_said(self, message: DraftPane.Said) -> None:
        await self.say(message.text, message.level)

    @on(TextArea.Changed)
    def _next_request_changed(self, event: TextArea.Changed) -> None:
        """The message or the draft changed: so does the next request's size."""
        if isinstance(event.text_area, PromptArea):
            self.session.unsent = event.text_area.text  # kept even after the screen is gone
        self.watcher.changed()

    # -- sending --------------------------------------------------------------------------------

    @on(PromptArea.Submitted)
    def _submitted(self, message: PromptArea.Submitted) -> None:
        self._send(message.text)

    @work(exclusive=True, group="send")
    async def _send(self, text: str) -> None:
        session = self.session
        if self.turn_running:
            self.notify(f"Claude is still replying; {self.key('stop_reply')} stops it.", severity="warning")
            return
        if not session.settings.api_key:
            await self.say(
                "No API key, so nothing was sent (your message is still in the box). "
                f"Press {self.key('api_key')} to paste a key, or set ANTHROPIC_API_KEY.",
                "error",
            )
            return
        budget = session.budget()
        if budget.level == "over" and not await agree(
            self.app, f"{budget.message} Send this message anyway?", "Send anyway"
        ):
            return
        size = await session.size_check(text)
        if size.too_big and not await agree(self.app, size.question(session.model_name), "Send anyway"):
            return
        await self.chat_pane.sent(text)
        try:
            events = session.send(text)
        except SessionBusy:
            return
        self.watcher.sent()
        self._run_turn(events)

    @work(group="turn", exclusive=True, exit_on_error=False)
    async def _run_turn(self, events: AsyncGenerator[SessionEvent, None]) -> None:
        self.turn_running, self.can_retry = True, False  # the bindings follow at once
        try:
            async with aclosing(events) as stream:
                async for event in stream:
                    await self._route(event)
        except Exception as exc:  # a bug of ours while showing it: say so, keep the conversation
            await self.chat_pane.broke(exc)
        finally:
            if self.showing:
                self.draft_pane.abandon_preview()
                self.show_ledger()
                self.watcher.changed()  # the next request now carries this reply
                self._make_title()
            self._flags()

    @work(group="title", exit_on_error=False)
    async def _make_title(self) -> None:
        """Haiku's title once the first reply is in, in the background: the next message never
        waits for it, and if it fails the first message stays the title, without a word."""
        made = await self.session.make_title()
        if made is not None and self.showing:
            self.show_title(made.title)
            self.show_ledger()

    def show_title(self, named: str) -> None:
        """The conversation's title (Haiku's) in the header, after the app's name."""
        self.title = visible(f"{self.app.title} · {named}") if named else None  # shown as text, not markup

    async def _route(self, event: SessionEvent) -> None:
        """Each event to the panes that show it."""
        match event:
            case ToolInputDelta(name="save_draft", partial=partial):
                self.draft_pane.preview(partial)
            case ToolFinished(name=name, change=change):
                if change is not None:
                    await self.draft_pane.apply(change)
                elif name == "save_draft":
                    self.draft_pane.abandon_preview()
            case TurnEnded(budget=budget) if budget is not None:
                await self.chat_pane.show(event)
                self.show_ledger()
                await self.say(
                    budget.message
                    + (" The next message will ask before sending." if budget.level == "over" else ""),
                    "warn",
                )
                return
        await self.chat_pane.show(event)
        if isinstance(event, CostReported | TurnStarted):
            self.show_ledger()

    # -- actions --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop_reply":
            return self.turn_running
        if action == "retry":
            return self.can_retry and not self.turn_running
        return True

    def action_focus_next(self) -> None:
        """Tab goes between the message box and the draft, and nowhere else: the chat and sidebar
        scroll with the mouse, and a stop there would swallow typed keys."""
        # set_focus at once, not focus() (deferred): keys typed right after Tab must follow it.
        target = DraftEditor if isinstance(self.focused, PromptArea) else PromptArea
        for widget in self.query(target):  # none yet if Tab was typed while the studio started
            self.set_focus(widget)

    def action_focus_previous(self) -> None:
        self.action_focus_next()  # two stops: back is the same as forward

    def action_stop_reply(self) -> None:
        self.session.stop()

    def action_retry(self) -> None:
        if self.session.retry_kind is None:
            return
        self._run_turn(self.session.retry())

    def action_pick_model(self) -> None:
        from studio.ui.model_picker import ModelPicker  # dialogs: imported when first asked for

        def chosen(model_id: str | None) -> None:
            if model_id and model_id != self.session.model:
                self.use_model(model_id)

        self.app.push_screen(ModelPicker(self.session.catalog, self.session.model), chosen)

    def use_model(self, model_id: str, why: str = "") -> None:
        self.session.use_model(model_id)
        self.show_model()
        self.watcher.changed()
        self.notify(f"Next message goes to {self.session.model_name}{why}.")

    def action_save_draft(self) -> Worker[bool]:
        return self.draft_pane.save()

    def action_save_draft_as(self) -> None:
        self.draft_pane.save(ask_name=True)

    def action_open_draft(self) -> None:
        self.draft_pane.open_draft()

    def action_new_draft(self) -> None:
        self.draft_pane.new_draft()

    def action_restore_replaced(self) -> None:
        self.draft_pane.bring_back()

    def action_copy_reply(self) -> None:
        # Not its control characters: pasted into a shell, an escape sequence could act.
        reply = without_controls(self.chat_pane.last_reply)
        copy_as_written(self.app, reply, "the last reply", "No reply to copy yet.")

    def action_copy_draft(self) -> None:
        text = self.draft_pane.editor.text  # exactly the writer's bytes
        copy_as_written(self.app, text, "the draft", "The draft is empty: nothing to copy.")

    def keep(self) -> None:
        """Closing: the unsaved draft (as its recovery copy) and the unsent message, kept now."""
        if self.is_attached:
            self.draft_pane.keep_recovery()
        self.session.keep_context()

    # -- conversations --------------------------------------------------------------------------

    def action_conversations(self) -> None:
        if self.turn_running:
            self.notify(
                f"Claude is still replying; {self.key('stop_reply')} stops it first.", severity="warning"
            )
            return
        self.query_one(ConversationPicker).pick()

    @on(ConversationPicker.Opened)
    async def _opened(self, message: ConversationPicker.Opened) -> None:
        if message.new:
            await self._show_conversation(None)
        else:
            await self._show_reopened(message.model_before, message.saved, message.reveal)
        self.chat_pane.prompt.focus()

    @on(ConversationPicker.DraftFound)
    def _draft_found(self, message: ConversationPicker.DraftFound) -> None:
        self.draft_pane.open_found(message.name, message.path)

    async def _show_reopened(
        self, model_before: str, saved: SavedSession | None, reveal: int | None = None
    ) -> None:
        """`model_before`: the session's before it reopened `saved` (read first: arguments go in
        order); `reveal`: a message to scroll to."""
        if saved is None:
            self.notify("That conversation could not be read.", severity="error")
            return
        await self._show_conversation(saved, reveal)
        if self.session.model != model_before:
            self.use_model(self.session.model, ", as this conversation did")
        elif saved.last_model and self.session.catalog.get(saved.last_model) is None:
            await self.chat_pane.model_gone(saved.last_model, self.session.model_name)
        if saved.draft and saved.draft != self.session.workspace.draft.name:
            self.draft_pane.reopen(saved.draft)

    async def _show_conversation(self, saved: SavedSession | None, reveal: int | None = None) -> None:
        await self.chat_pane.show_conversation(
            saved, self.session.spending.ledger.entries, self.session.conversation.pending_user_turn(), reveal
        )
        self.show_title(saved.named if saved is not None else "")
        self.show_ledger()
        self.watcher.changed()
        self._flags()

    # -- batch jobs -------------------------------------------------------------------------------

    @work(exclusive=True, group="batches")
    async def action_batches(self) -> None:
        from studio.ui.batches_screen import BatchesScreen

        accepted = await self.app.push_screen_wait(await BatchesScreen.of(self.session))
        self.follow_batches_soon()  # a job may have just started
        if accepted is not None:
            self.draft_pane.take(accepted.draft, accepted.text)

    def follow_batches_soon(self) -> None:
        for follower in self.query(BatchFollower):  # none once the screen is closing
            follower.soon()

    @on(BatchFollower.Ended)
    def _batch_ended(self, message: BatchFollower.Ended) -> None:
        job = message.job
        self.notify(f"Batch job {job.id} ({job.name}) has ended. {self.key('batches')} shows it.", timeout=10)

    # -- the key --------------------------------------------------------------------------------

    def action_api_key(self) -> None:
        from studio.ui.onboarding import Onboarding

        path = locations.config_env_file()
        session = self.session

        async def done(key: str | None) -> None:
            self.draft_pane.offer_recovery()
            if key is None:
                if not session.settings.api_key:
                    await self.say(
                        f"No API key yet: the editor works; press {self.key('api_key')} when you have one.",
                        "warn",
                    )
                return
            await session.use_key(key, str(path))
            await self.say(f"Key {mask_key(key)} works and is saved in {path}.", "tip")
            self.run_worker(self._models_changed(), group="engine")

        self.app.push_screen(Onboarding(str(path), session.check_key, lambda key: save_key(key, path)), done)

    async def _models_changed(self) -> None:
        if await self.session.refresh_models():
            self.show_model()
