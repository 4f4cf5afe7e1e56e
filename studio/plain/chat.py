"""The line mode's conversation: read a line, send it (or run a command), print the reply's lines.

One asyncio loop serves the whole session. Between turns the main thread waits in `input()`
(readline); each turn runs to its end with `run_until_complete`, while Ctrl+C stops the reply (the
text so far is kept) instead of killing the program. The SDK is imported in a thread at start, so
the first prompt shows at once and the first message rarely waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import queue
import signal
import threading
from collections.abc import AsyncGenerator, Coroutine
from contextlib import aclosing
from datetime import datetime
from typing import Any, TypeVar

from studio.core.drafts import DraftError
from studio.core.events import SessionEvent
from studio.core.recovery import RecoveryStore
from studio.core.session import Session
from studio.core.session_settings import SessionSettings
from studio.core.usage import format_usd
from studio.plain import draft_commands
from studio.plain.commands import Commands
from studio.plain.hangup import ENDING_SIGNALS, Hangup, HangupWatch
from studio.plain.line_input import LineInput, keys_quiet
from studio.plain.output import Output
from studio.plain.reply import ReplyPrinter

T = TypeVar("T")
QUIT_WAIT = 5.0  # seconds quitting waits for queued store writes
CLOSE_WAIT = 0.5  # then for the last one (the draft's name), as the connections close


class LineChat:
    def __init__(
        self,
        settings: SessionSettings,
        session: Session,
        recovery: RecoveryStore,
        out: Output,
        lines: LineInput,
        news: queue.SimpleQueue[str],
    ) -> None:
        self.settings = settings
        self.session = session
        self.recovery = recovery
        self.out = out
        self.lines = lines
        self.commands = Commands(session, out, lines, self.wait, self.retry)
        self.news = news  # what the store's writer thread reports (stalled, recovered)
        self._loop = asyncio.new_event_loop()
        self._ended_by: int | None = None  # SIGTERM or SIGHUP: quit after the current turn
        self._hangups = HangupWatch()

    # -- the session's life -------------------------------------------------------------------

    def run(self, resume: bool, model_chosen: bool) -> int:
        threading.Thread(target=importlib.import_module, args=("studio.core.engine",), daemon=True).start()
        self._hangups.arm()
        try:
            self._greet(resume, model_chosen)
            self._converse()
        except Hangup as hangup:  # between two turns: quit, keeping all
            self._ended_by = hangup.signum
        except KeyboardInterrupt:  # Ctrl+C between the handlers that catch it: quit, keeping all
            pass
        finally:
            self._close()
        return 0 if self._ended_by is None else 128 + self._ended_by

    def _greet(self, resume: bool, model_chosen: bool) -> None:
        out, session = self.out, self.session
        out.say(
            "studio",
            f"Line mode, writing to {session.model_name}. Type a message and press Enter; "
            "/help lists the commands, Ctrl+D quits.",
        )
        if self.settings.demo:
            out.say(
                "studio",
                "Demo mode: replies come from studio's built-in offline server, not from Claude. "
                "Prices are real; the text is simulated.",
            )
        if resume:
            self._continue(model_chosen)
        kept = self.recovery.pending(drafts_root=session.workspace.store.root)
        if kept:
            names = ", ".join(found.name or "an untitled draft" for found in kept)
            out.say("studio", f"Unsaved text kept from an earlier session ({names}): `studio` offers it.")

    def _continue(self, model_chosen: bool) -> None:
        session, out = self.session, self.out
        earlier = session.earlier_conversations()
        if not earlier:
            out.say("studio", "No earlier conversation to continue: this one is new.")
            return
        model_before, latest = session.model, earlier[0]
        saved = session.open_latest_now(model_chosen)
        if saved is None:
            out.say("studio", "The latest conversation could not be read: this one is new.")
            return
        when = datetime.fromtimestamp(latest.updated)
        out.say(
            "studio",
            f"Continuing “{latest.title}” ({latest.replies} repl{'y' if latest.replies == 1 else 'ies'}, "
            f"last {when:%Y-%m-%d %H:%M}); Claude sees all of it with your next message.",
        )
        if session.model != model_before:
            out.say("studio", f"Next message goes to {session.model_name}, as this conversation did.")
        elif saved.last_model and session.catalog.get(saved.last_model) is None:
            out.say(
                "studio",
                f"This conversation last used {saved.last_model}, which is not in the model list any "
                f"more: the next message goes to {session.model_name} (/model picks another).",
            )
        if session.conversation.pending_user_turn():
            out.say(
                "studio",
                "Your last message has no reply yet (it failed, or studio closed first). "
                "/retry sends it again.",
            )
        if saved.draft:
            self._reopen_draft(saved.draft)

    def _reopen_draft(self, name: str) -> None:
        workspace = self.session.workspace
        try:
            text, stamp = workspace.store.read(name)
        except DraftError:  # deleted or renamed since: the conversation goes on all the same
            return
        draft = workspace.draft
        draft.name, draft.text, draft.saved_text, draft.stamp = name, text, text, stamp
        self.out.say("draft", draft_commands.describe(workspace))

    def _converse(self) -> None:
        while self._ended_by is None and not self.out.closed:
            self._say_news()
            line = self.lines.read()
            try:
                if line is None or (line.startswith("/") and not line.startswith("//")):
                    if (line is None or not self.commands.run(line)) and self._may_quit():
                        return
                elif line.strip():
                    self.send(line.removeprefix("/"))
            except asyncio.CancelledError:  # Ctrl+C before the reply began
                self.out.say("studio", "Stopped.")

    def _may_quit(self) -> bool:
        return draft_commands.before_quitting(self.session.workspace, self.recovery, self.lines, self.out)

    def _say_news(self) -> None:
        while not self.news.empty():
            self.out.say("studio", self.news.get())

    def _close(self) -> None:
        session, out = self.session, self.out
        if self._ended_by is not None:  # no questions: unsaved text becomes a recovery copy
            draft_commands.keep_unsaved(session.workspace, self.recovery, out)
        session.keep_context()
        kept, unkept = session.flush(QUIT_WAIT), session.unkept
        with contextlib.suppress(asyncio.CancelledError):  # Ctrl+C while closing: close all the same
            self.wait(session.aclose(CLOSE_WAIT))
        if not kept:
            out.say(
                "studio",
                f"{unkept} change(s) to the conversation or its costs could not be written "
                f"({session.keeping_problem or 'the database is busy'}).",
            )
        elif session.conversation.messages:
            out.say("studio", "Conversation kept: `studio chat --plain --continue` goes on with it.")
        self.lines.close()
        self._loop.close()

    # -- turns ----------------------------------------------------------------------------------

    def send(self, text: str) -> None:
        session, lines = self.session, self.lines
        budget = session.budget()
        if budget.level == "over" and (
            lines.choose(f"{budget.message} Send this message anyway?", ["Send anyway"]) is None
        ):
            return
        if session.engine is None:
            self.wait(session.start())
        size = self.wait(session.size_check(text))
        if size.too_big and (lines.choose(size.question(session.model_name), ["Send anyway"]) is None):
            return
        self._turn(session.send(text))

    def retry(self) -> None:
        if self.session.retry_kind is None:
            self.out.say("studio", "Nothing to retry: no reply failed or was cut short.")
            return
        self._turn(self.session.retry())

    def _turn(self, events: AsyncGenerator[SessionEvent, None]) -> None:
        printer = ReplyPrinter(self.out)

        async def show() -> None:
            async with aclosing(events) as stream:
                async for event in stream:
                    printer.show(event)
                    if self.out.closed:  # stdout went away: stop, keeping the text so far
                        self.session.stop()
            await self._title()

        with keys_quiet():
            self.wait(show())

    async def _title(self) -> None:
        """After the first reply: Haiku's title for the conversation, said once with its cost
        (Ctrl+C while it is made leaves the first message as the title)."""
        made = await self.session.make_title()
        if made is not None:
            name = self.session.catalog.info(made.cost.model).name
            self.out.say("studio", f"Titled “{made.title}” by {name} ({format_usd(made.cost.usd)}).")

    def wait(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on the session's loop until it is done. Meanwhile Ctrl+C stops a running
        reply (its text is kept), or else cancels `work` (CancelledError); SIGTERM and SIGHUP do
        the same, and then the line mode quits."""
        loop = self._loop
        task = loop.create_task(work)

        def interrupt(signum: int) -> None:
            if signum != signal.SIGINT:
                self._ended_by = signum
            if self.session.running:
                self.session.stop()
            else:
                task.cancel()

        for signum in (signal.SIGINT, *ENDING_SIGNALS):
            loop.add_signal_handler(signum, interrupt, signum)
        try:
            return loop.run_until_complete(task)
        finally:
            for signum in (signal.SIGINT, *ENDING_SIGNALS):
                loop.remove_signal_handler(signum)
            self._hangups.arm()
