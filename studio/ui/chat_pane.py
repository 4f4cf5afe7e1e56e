"""The conversation pane: the chat and the message box. It shows one reply's life from the session's
events (streaming text, tool calls, cost, how it ended), and keeps the newest reply's text as
Claude wrote it (for copying); sending and the session are the screen's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical

from studio.core.events import (
    CostReported,
    SessionEvent,
    TextDelta,
    ToolFinished,
    ToolInputDelta,
    TurnDone,
    TurnEnded,
    TurnFailed,
    TurnStarted,
    Waiting,
    WaitKind,
)
from studio.core.ledger import LedgerEntry
from studio.ui.advice import ending_words, failure_words
from studio.ui.bindings import key_label
from studio.ui.chat import ChatView, Notice, NoticeLevel, ToolEntry, UserMessage
from studio.ui.cost_words import reply_meta
from studio.ui.prompt import PromptArea
from studio.ui.reply_view import AssistantMessage

if TYPE_CHECKING:
    from studio.core.store import SavedSession

WAITING: dict[WaitKind, str] = {
    "rate_limit": "Rate limited",
    "overloaded": "Claude is overloaded",
    "server": "The API had an error",
    "connection": "Cannot reach the API",
}
ENDED = {"refusal": "declined", "stopped": "stopped"}


class ChatPane(Vertical):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._reply: AssistantMessage | None = None
        self._entry: LedgerEntry | None = None
        self.model_name: Callable[[str], str] = str  # model id -> display name, set by the screen
        # Text blocks (each a list of fragments) of the newest reply with text, and of the one
        # being written: a reply that fails before its first word leaves the last one copyable.
        self._said: list[list[str]] = []
        self._saying: list[list[str]] = []

    def compose(self) -> ComposeResult:
        yield ChatView(id="chat")
        yield PromptArea(id="prompt", soft_wrap=True, compact=True)

    @property
    def chat(self) -> ChatView:
        return self.query_one(ChatView)

    @property
    def prompt(self) -> PromptArea:
        return self.query_one(PromptArea)

    def key(self, binding_id: str) -> str:
        return key_label(self.app, binding_id)

    @property
    def last_reply(self) -> str:
        """The newest reply's text as Claude wrote it (its Markdown source, not the wrapped and
        drawn lines on screen); each tool round's text apart by a blank line."""
        return "\n\n".join("".join(block) for block in self._said if block)

    async def say(self, text: str, level: NoticeLevel = "info") -> None:
        await self.chat.add(Notice(text, level))

    async def sent(self, text: str) -> None:
        """The writer's message left the box for the chat; what was typed after its Enter stays
        (while the engine started or its size was checked)."""
        self.prompt.take(text)
        await self.chat.add(UserMessage(text))

    # -- one reply ----------------------------------------------------------------------------

    async def show(self, event: SessionEvent) -> None:
        if isinstance(event, TurnStarted):
            if event.kind != "send":
                await self.say("Continuing the cut reply …" if event.kind == "continue" else "Retrying …")
            self._reply, self._entry = AssistantMessage(self.model_name(event.model)), event.entry
            self._saying = [[]]
            await self.chat.add(self._reply)
            self._reply.set_meta("writing …")
            return
        reply, entry = self._reply, self._entry
        if reply is None or entry is None:
            return
        match event:
            case TextDelta(text=text):
                self._said = self._saying
                self._saying[-1].append(text)
                await reply.append(text)
            case ToolInputDelta():  # the text before a tool call is complete: settled now, not
                await reply.finish()  # left with room to grow while the call streams in
            case ToolFinished(name=name, input=args, result=result, is_error=is_error, change=change):
                self._saying.append([])
                await reply.add_part(ToolEntry(name, args, result, is_error, change))
            case Waiting(kind=kind, seconds=seconds):
                reply.count_down(
                    f"{WAITING[kind]}: retrying in {{}} s · {self.key('stop_reply')} stops",
                    seconds,
                    "writing …",
                )
            case CostReported():  # the text is complete: its last words go before the costs
                await reply.finish()
                reply.set_meta(reply_meta(entry, "writing …"))
            case TurnDone():
                await reply.finish()
                if words := ending_words(event, self.key):
                    await reply.add_part(Notice(words, "warn"))
                reply.set_meta(reply_meta(entry, ENDED.get(event.stop_reason, "")))
            case TurnFailed():
                await reply.finish()
                await reply.add_part(Notice(failure_words(event, self.key), "error"))
                reply.set_meta(reply_meta(entry, "failed"))
            case TurnEnded():
                self._reply = self._entry = None

    async def broke(self, exc: Exception) -> None:
        """A bug of ours while showing the reply: say so plainly; the conversation is kept."""
        reply, entry = self._reply, self._entry
        self._reply = self._entry = None
        if reply is None or entry is None:
            await self.say(f"Unexpected error: {type(exc).__name__}: {exc}", "error")
            return
        await reply.finish()
        await reply.add_part(Notice(f"Unexpected error: {type(exc).__name__}: {exc}", "error"))
        reply.set_meta(reply_meta(entry, "failed"))

    async def interrupted(self) -> None:
        """The app is closing mid-reply: the engine kept the text so far."""
        if self._reply is not None:
            await self._reply.finish()

    # -- conversations ------------------------------------------------------------------------

    async def show_conversation(
        self, saved: SavedSession | None, entries: list[LedgerEntry], pending: bool, reveal: int | None = None
    ) -> None:
        """Replace the chat with a reopened conversation, or with a fresh one (None); `reveal`:
        the position of a stored message to scroll to (a search hit)."""
        from studio.ui.reopen import last_reply_blocks, reopened_widgets  # not for the first frame

        await self.chat.clear()
        self._said = [[text] for text in last_reply_blocks(saved)] if saved is not None else []
        if saved is None:
            await self.say(f"A new conversation. {self.key('conversations')} reopens earlier ones.", "tip")
            return
        when = max((r.at for r in saved.responses), default=None)
        await self.say(
            "Reopened conversation"
            + (f" (last reply {datetime.fromtimestamp(when):%Y-%m-%d %H:%M})" if when else "")
            + ". Claude sees all of it with your next message.",
            "tip",
        )
        reopened = reopened_widgets(saved, self.model_name, entries)
        shown = reopened.shown_in.get(reveal) if reveal is not None else None
        await self.chat.add_history(reopened.makers, reveal=shown)
        if pending:
            await self.say(
                "Your last message has no reply yet (it failed, or studio closed "
                f"first). {self.key('retry')} sends it again.",
                "warn",
            )
        if saved.unsent and not self.prompt.text.strip():
            self.prompt.load_text(saved.unsent)

    async def model_gone(self, model: str, instead: str) -> None:
        """A reopened conversation's model is not in the catalogue any more (retired, or known only
        to a config file that lost it): say where the next message goes instead."""
        await self.say(
            f"This conversation last used {model}, which is not in the model list any more: the next "
            f"message goes to {instead} ({self.key('pick_model')} picks another).",
            "warn",
        )
