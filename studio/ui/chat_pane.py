"""The conversation pane: the message box, sending (after the budget and size checks), and one
reply's life from the engine's events: streaming text, tool calls, cost, and how it ended."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical

from studio.core.conversation import CONTINUE_REQUEST
from studio.core.events import (
    CostReported,
    Event,
    ReplyStarted,
    TextDelta,
    ToolFinished,
    ToolInputDelta,
    TurnDone,
    TurnFailed,
    Waiting,
    WaitKind,
)
from studio.core.history import RoundCopy, RoundEnd
from studio.core.ledger import LedgerEntry
from studio.core.store import SavedSession
from studio.core.usage import format_tokens
from studio.ui.chat import AssistantMessage, ChatView, Notice, NoticeLevel, ToolEntry, UserMessage
from studio.ui.dialogs import Choice
from studio.ui.next_request import NextRequestWatcher
from studio.ui.prompt import PromptArea
from studio.ui.reopen import reopened_widgets
from studio.ui.sidebar import reply_meta

if TYPE_CHECKING:
    from studio.ui.app import StudioApp

WAITING: dict[WaitKind, str] = {"rate_limit": "Rate limited", "overloaded": "Claude is overloaded",
                                 "server": "The API had an error", "connection": "Cannot reach the API"}
LARGE_REQUEST = 50_000  # tokens: above this, ask the API for the exact count before sending


class ChatPane(Vertical):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.turn_running = False
        self.can_retry = False
        self.can_continue = False
        self._stop = asyncio.Event()
        self._warned_budget = "ok"
        self._turn_start = 0  # first message of the current exchange: history rewrites from there

    @property
    def studio(self) -> StudioApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield ChatView(id="chat")
        yield PromptArea(id="prompt", soft_wrap=True, compact=True)

    def on_mount(self) -> None:
        self.watcher = NextRequestWatcher(self.studio, self.query_one(PromptArea))

    async def say(self, text: str, level: NoticeLevel = "info") -> None:
        await self.query_one(ChatView).add(Notice(text, level))

    # -- sending ----------------------------------------------------------------------------

    @on(PromptArea.Submitted)
    def _submitted(self, message: PromptArea.Submitted) -> None:
        self._send(message.text)

    @work(exclusive=True, group="send")
    async def _send(self, text: str) -> None:
        studio = self.studio
        if self.turn_running:
            self.notify("Claude is still replying; Escape stops it.", severity="warning")
            return
        if not studio.settings.api_key:
            await self.say("No API key, so nothing was sent (your message is still in the box). "
                           "Press F4 to paste a key, or set ANTHROPIC_API_KEY.", "error")
            return
        budget = studio.spending.check()
        if budget.level == "over" and not await self._agree(
                f"{budget.message} Send this message anyway?", "Send anyway"):
            return
        if not await self._fits(text):
            return
        self.query_one(PromptArea).clear()
        await self.query_one(ChatView).add(UserMessage(text))
        self._begin_exchange()
        studio.conversation.add_user(text)
        studio.history.save(studio.conversation, self._turn_start)  # kept before Claude answers
        self.watcher.sent()
        self.start_turn()

    def _begin_exchange(self) -> None:
        # A new user message joins a last user message (tool results, a failed turn's message):
        # the history is rewritten from that one. An assistant message before it keeps its marks.
        messages = self.studio.conversation.messages
        self._turn_start = len(messages) - (1 if messages and messages[-1]["role"] == "user" else 0)

    async def _agree(self, question: str, action: str) -> bool:
        answer = await self.app.push_screen_wait(Choice(question, [("yes", action),
                                                                   ("cancel", "Cancel")]))
        return answer == "yes"

    async def _fits(self, text: str) -> bool:
        """Never send what the model cannot take without asking; count exactly when it is large."""
        limit = self.studio.catalog.info(self.studio.model).context_window
        size = await self.watcher.estimate_now(text)
        if size > LARGE_REQUEST:
            size = await self.watcher.exact_now(text) or size
        if limit and size > limit:
            return await self._agree(
                f"This message makes a request of about {format_tokens(size)} tokens, over the "
                f"{format_tokens(limit)} that {self.studio.catalog.info(self.studio.model).name} "
                "accepts: the API will refuse it. Send anyway?", "Send anyway")
        return True

    def start_turn(self) -> None:
        self._stop = asyncio.Event()
        self.turn_running = True
        self.can_retry = self.can_continue = False
        self.app.refresh_bindings()
        self.run_worker(self._run_turn(), group="turn", exclusive=True, exit_on_error=False)

    def stop(self) -> None:
        self._stop.set()

    async def retry(self) -> None:
        if self.turn_running:
            return
        self._begin_exchange()
        if self.can_continue:
            self.studio.conversation.add_user(CONTINUE_REQUEST)
            await self.say("Continuing the cut reply …")
        elif self.can_retry and self.studio.conversation.pending_user_turn():
            await self.say("Retrying …")
        else:
            return
        self.start_turn()

    # -- conversations --------------------------------------------------------------------------

    async def show_conversation(self, saved: SavedSession | None) -> None:
        """Replace the chat with a reopened conversation, or with a fresh one (None)."""
        studio = self.studio
        chat = self.query_one(ChatView)
        await chat.clear()
        if saved is None:
            studio.conversation.messages.clear()
            studio.spending.restart()
            await chat.add(Notice("A new conversation. F5 reopens earlier ones.", "tip"))
        else:
            studio.conversation.messages[:] = [m.message for m in saved.messages]
            studio.spending.restart(saved.responses, lambda model: studio.catalog.info(model).price)
            when = max((r.at for r in saved.responses), default=None)
            await chat.add(Notice("Reopened conversation" + (
                f" (last reply {datetime.fromtimestamp(when):%Y-%m-%d %H:%M})" if when else "")
                + ". Claude sees all of it with your next message.", "tip"))
            await chat.add_history(reopened_widgets(saved, lambda m: studio.catalog.info(m).name,
                                                    studio.spending.ledger.entries))
            if studio.conversation.pending_user_turn():
                await chat.add(Notice("Your last message has no reply yet (it failed, or studio "
                                      "closed first). Ctrl+R sends it again.", "warn"))
            prompt = self.query_one(PromptArea)
            if saved.unsent and not prompt.text.strip():
                prompt.load_text(saved.unsent)
        self.can_retry = self.studio.conversation.pending_user_turn()
        self.can_continue = False
        self._warned_budget = "ok"
        studio.show_ledger()
        self.watcher.changed()
        self.app.refresh_bindings()

    # -- one reply --------------------------------------------------------------------------

    async def _run_turn(self) -> None:
        studio = self.studio
        await studio.engine_ready.wait()
        assert studio.engine is not None
        model = studio.model
        reply = AssistantMessage(studio.catalog.info(model).name)
        await self.query_one(ChatView).add(reply)
        entry = studio.spending.ledger.start_reply(model)
        reply.set_meta("writing …")
        copy = RoundCopy(studio.history, model, entry.number)
        ended: RoundEnd = "failed"
        try:
            async for event in studio.engine.run_turn(studio.conversation, model, self._stop):
                if isinstance(event, ReplyStarted):
                    if event.round > 1:  # the rounds so far are complete: keep them
                        studio.history.save(studio.conversation, self._turn_start, model,
                                            entry.number)
                    copy.start(len(studio.conversation.messages))
                elif isinstance(event, TextDelta):
                    copy.add(event.text)
                elif isinstance(event, TurnDone):
                    ended = "stopped" if event.stop_reason == "stopped" else "done"
                await self._show(event, reply, entry)
        except asyncio.CancelledError:  # the app is closing: the engine kept the text so far
            ended = "stopped"
            await reply.finish()
            raise
        except Exception as exc:  # a bug of ours: say so plainly, keep the conversation
            ended = "failed"
            await reply.finish()
            await reply.add_part(Notice(f"Unexpected error: {type(exc).__name__}: {exc}", "error"))
            self._set_meta(reply, entry, "failed")
            self.can_retry = True
        finally:
            studio.history.save(studio.conversation, self._turn_start, model, entry.number)
            copy.end(ended)
            studio.draft_pane.abandon_preview()
            if entry.responses == 0:
                studio.spending.ledger.entries.remove(entry)
            studio.show_ledger()
            self.turn_running = False
            self.app.refresh_bindings()
            self.watcher.changed()  # the next request now carries this reply: estimate it again
        await self._warn_about_budget()

    async def _show(self, event: Event, reply: AssistantMessage, entry: LedgerEntry) -> None:
        studio = self.studio
        match event:
            case TextDelta(text=text):
                await reply.append(text)
            case ToolInputDelta(name="save_draft", partial=partial):
                studio.draft_pane.preview(partial)
            case ToolFinished(name=name, input=args, result=result, is_error=is_error, change=change):
                if change is not None:
                    studio.draft_pane.apply(change)
                elif name == "save_draft":
                    studio.draft_pane.abandon_preview()
                await reply.add_part(ToolEntry(name, args, result, is_error, change))
            case Waiting(kind=kind, seconds=seconds):
                reply.count_down(f"{WAITING[kind]}: retrying in {{}} s · Escape stops", seconds,
                                 "writing …")
            case CostReported(cost=cost):
                if entry.responses == 0:
                    self.watcher.reported(cost.usage)
                studio.spending.record(entry, cost, studio.history.session)
                studio.show_ledger()
                self._set_meta(reply, entry, "writing …")
            case TurnDone(stop_reason=stop, notice=notice, can_continue=can_continue):
                await reply.finish()
                if notice:
                    await reply.add_part(Notice(notice, "warn"))
                self.can_continue = can_continue
                self._set_meta(reply, entry, {"refusal": "declined", "stopped": "stopped"}.get(stop, ""))
            case TurnFailed(title=title, detail=detail):
                await reply.finish()
                await reply.add_part(Notice(f"{title}. {detail} Press Ctrl+R to retry.", "error"))
                self.can_retry = True
                self._set_meta(reply, entry, "failed")

    def _set_meta(self, reply: AssistantMessage, entry: LedgerEntry, status: str) -> None:
        reply.set_meta(reply_meta(entry, status))

    async def _warn_about_budget(self) -> None:
        """Say it once when spend crosses 80%, and again at 100%."""
        spending = self.studio.spending
        check = spending.check()
        if check.level != "ok" and check.level != self._warned_budget:
            await self.say(check.message + (" The next message will ask before sending."
                                            if check.level == "over" else ""), "warn")
        self._warned_budget = check.level
