"""One question, one reply: the Session's turn, streamed to standard output as it arrives.

The conversation and its costs land in the store like any other (`studio -c` continues it).
Ctrl+C stops the reply and keeps the text so far; a reader that goes away (`| head -1`) stops it
too, quietly, and what was streamed is kept. Either way the store's writes land before exiting.
"""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from studio.ask.draft import DraftError, Touched, change_line, keep_change, problem_line
from studio.ask.output import Output
from studio.ask.words import PROGRAM, ending_line, failure_line, one_line, waiting_line
from studio.core.events import (
    ReplyStarted,
    SessionEvent,
    StopReason,
    TextDelta,
    ToolFinished,
    TurnDone,
    TurnFailed,
    TurnStarted,
    Waiting,
)
from studio.core.ledger import LedgerEntry
from studio.core.session import Session
from studio.core.usage import cost_line

KEEP_WAIT = 5.0  # seconds the store's queued writes may take to land before exiting
TITLE_WAIT = 10.0  # seconds Haiku may take to title the conversation, after the reply is out

Say = Callable[[str], None]  # one line to standard error


@dataclass
class Result:
    """How the turn went, for the exit status and --json."""

    entry: LedgerEntry | None = None
    stop_reason: StopReason | None = None
    failure: TurnFailed | None = None
    interrupted: bool = False  # Ctrl+C
    draft_problem: bool = False
    touched: list[Touched] = field(default_factory=list)
    conversation: int | None = None
    title: str | None = None  # Haiku's, for the store, F5 and --json

    @property
    def exit_status(self) -> int:
        if self.interrupted:
            return 130
        failed = self.failure or self.draft_problem or self.stop_reason == "refusal"
        return 1 if failed else 0


class Turn:
    """Renders one turn's events: text to `out`, tool calls and endings to `say`."""

    def __init__(self, session: Session, out: Output, say: Say, known_models: str) -> None:
        self.session, self.out, self._say, self.known_models = session, out, say, known_models
        self.result = Result()
        self._costed = False

    def say(self, line: str) -> None:
        self.out.end_line()  # on a terminal, not after the reply's last word
        self._say(line)

    def say_cost(self) -> None:
        """The reply's cost line, once (after a failure too, if a response was paid for)."""
        entry, said = self.result.entry, self._costed
        self._costed = True
        self.out.end_line()
        if entry is not None and entry.responses and not said:
            self._say(cost_line(entry.usd, entry.usage, estimated=entry.estimated))

    def show(self, event: SessionEvent) -> None:
        match event:
            case TurnStarted(entry=entry):
                self.result.entry = entry
            case ReplyStarted():
                self.out.new_block()
            case TextDelta(text=text):
                self.out.add(text)
                if self.out.gone:
                    self.session.stop()  # nobody reads on: end the reply, keep what was sent
            case ToolFinished() as finished:
                self._tool(finished)
            case Waiting() as wait:
                self.say(f"{PROGRAM}: {waiting_line(wait)}")
            case TurnDone() as done:
                self.result.stop_reason = done.stop_reason
                if done.stop_reason != "stopped" or self.result.interrupted:
                    line = ending_line(done, self.known_models)
                    if line:
                        self.say(f"{PROGRAM}: {line}")
            case TurnFailed() as failure:
                self.result.failure = failure
                self.say(f"{PROGRAM}: {failure_line(failure, self.known_models)}")

    def _tool(self, finished: ToolFinished) -> None:
        if finished.change is not None:
            try:
                touched = keep_change(self.session.workspace, finished.change)
            except DraftError as problem:
                self.result.draft_problem = True
                self.say(problem_line(problem))
                return
            self.result.touched.append(touched)
            self.say(change_line(touched))
        elif finished.is_error:
            self.say(f"tool: {one_line(finished.result)}")


async def ask(session: Session, message: str, out: Output, say: Say) -> Result:
    """Send `message` and stream the reply; Ctrl+C stops it (a second one stops waiting)."""
    known = ", ".join(m.id for m in session.catalog.models)
    turn = Turn(session, out, say, known)
    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    assert task is not None

    def interrupt() -> None:
        if session.running and not turn.result.interrupted:
            session.stop()
        else:  # nothing to stop yet, or stopping takes too long
            task.cancel()
        turn.result.interrupted = True

    loop.add_signal_handler(signal.SIGINT, interrupt)
    try:
        await session.start()
        gc.freeze()  # what start-up built lives until exit: keep it out of every collection
        gc.enable()
        async with aclosing(session.send(message)) as events:
            async for event in events:
                turn.show(event)
        turn.say_cost()  # before the title is asked for: the reply is all out
        if turn.result.exit_status == 0 and not out.gone:
            turn.result.title = await _title(session, out)
    except asyncio.CancelledError:  # Ctrl+C before the reply began, or a second one
        turn.result.interrupted = True
        if turn.result.stop_reason is None:
            turn.say(f"{PROGRAM}: stopped.")
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        turn.say_cost()
        await session.aclose(wait=KEEP_WAIT)
    if session.keeping_problem:  # the store refused a write: the conversation may not be kept
        say(f"{PROGRAM}: warning: {one_line(session.keeping_problem)}")
    turn.result.conversation = session.history.session_id
    return turn.result


async def _title(session: Session, out: Output) -> str | None:
    """Haiku's title for the conversation. The reply is all out by now: standard output is
    closed first (unless --json still has to print), so a pipe's reader never waits for it."""
    out.close()
    try:
        made = await asyncio.wait_for(session.make_title(), TITLE_WAIT)
    except TimeoutError:  # the first message stays the title
        return None
    return made.title if made is not None else None


def as_json(result: Result, session: Session, text: str) -> dict[str, Any]:
    """--json: the whole answer in one object, figures as the store keeps them."""
    entry = result.entry
    usage = entry.usage if entry is not None else None
    return {
        "text": text,
        "model": session.model,
        "stop_reason": result.stop_reason,
        "usage": {
            "input": usage.input if usage else 0,
            "output": usage.output if usage else 0,
            "cache_read": usage.cache_read if usage else 0,
            "cache_write": usage.cache_write if usage else 0,
        },
        "usd": entry.usd if entry is not None else 0.0,
        "estimated": bool(entry and entry.estimated),
        "conversation": result.conversation,
        "title": result.title,
        "drafts": [vars(t) for t in result.touched],
    }
