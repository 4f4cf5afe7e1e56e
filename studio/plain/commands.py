"""The line mode's slash commands: numbered choices and plain answers instead of keys and dialogs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from studio.core.catalog import ModelInfo
from studio.core.session import Session
from studio.core.usage import cost_line, format_usd
from studio.plain import draft_commands
from studio.plain.line_input import LineInput
from studio.plain.output import Output

MODELS_WAIT = 5.0  # seconds /model waits for the API's model list before using the built-in one

HELP = (
    ("/model", "choose the model for the next message (numbered, with prices)"),
    ("/save NAME", "save the open draft as NAME in the drafts folder (/save alone: under its name)"),
    ("/draft", "the open draft: name, words, saved or not; /draft show prints it"),
    ("/cost", "what this conversation cost, and today's spend"),
    ("/retry", "send a failed message again, or continue a reply cut at the output limit"),
    ("/help", "this list"),
    ("/quit", "quit (Ctrl+D too); the conversation is kept"),
)
NAMES = [usage.split()[0] for usage, _ in HELP]


def price_words(model: ModelInfo) -> str:
    if model.price is None:
        return "price unknown"
    return f"${model.price.input:g} in / ${model.price.output:g} out per million tokens"


class Commands:
    def __init__(
        self,
        session: Session,
        out: Output,
        lines: LineInput,
        wait: Callable[[Coroutine[Any, Any, Any]], Any],
        retry: Callable[[], None],
    ) -> None:
        self.session, self.out, self.lines = session, out, lines
        self.wait = wait  # runs a coroutine on the conversation's loop
        self.retry = retry
        self._models_asked = False

    def run(self, line: str) -> bool:
        """Carry out one command line; False when it was /quit."""
        name, _, rest = line.strip().partition(" ")
        rest = rest.strip()
        out, workspace = self.out, self.session.workspace
        match name:
            case "/quit" | "/exit":
                return False
            case "/help":
                for usage, what in HELP:
                    out.say("studio", f"{usage}: {what}")
                out.say("studio", "Anything else is sent to Claude (start it with // to send a leading /).")
                out.say("studio", "Ctrl+C stops a reply and keeps its text; a line ending in \\ goes on.")
            case "/model":
                self.model()
            case "/save":
                draft_commands.save(workspace, rest or None, self.lines, out)
            case "/draft" if rest == "show":
                draft_commands.show(workspace, out)
            case "/draft":
                out.say("draft", draft_commands.describe(workspace))
            case "/cost":
                self.cost()
            case "/retry":
                self.retry()
            case _:
                out.say("studio", f"Unknown command {name}. Commands: {', '.join(NAMES)}.")
        return True

    def model(self) -> None:
        session = self.session
        if not self._models_asked:
            # The models the key can use join the built-in list, asked once (quietly, if the API
            # is slow or unreachable: the built-in list stands).
            self._models_asked = True
            with contextlib.suppress(TimeoutError):
                self.wait(asyncio.wait_for(self._refresh(), MODELS_WAIT))
        models = session.catalog.models
        options = [
            f"{m.name} · {price_words(m)}" + (" (current)" if m.id == session.model else "") for m in models
        ]
        question = f"Choose the model for the next message (now {session.model_name}):"
        picked = self.lines.choose(question, options)
        if picked is None or models[picked].id == session.model:
            self.out.say("studio", f"Next message goes to {session.model_name}, as before.")
            return
        session.use_model(models[picked].id)
        self.out.say("studio", f"Next message goes to {session.model_name}.")

    async def _refresh(self) -> None:
        session = self.session
        if session.engine is None:
            await session.start()
        await session.refresh_models()

    def cost(self) -> None:
        spending, out = self.session.spending, self.out
        ledger = spending.ledger
        replies = len(ledger.entries)
        floor = " (at least: some prices are unknown)" if ledger.partial else ""
        out.say(
            "cost",
            f"this conversation: {cost_line(ledger.usd, ledger.usage)} over {replies} "
            f"repl{'y' if replies == 1 else 'ies'}{floor}",
        )
        out.say("cost", f"today: {format_usd(spending.daily_usd)} across all conversations")
        for what, spent, limit in (
            ("session", spending.session_usd, spending.session_limit),
            ("daily", spending.daily_usd, spending.daily_limit),
        ):
            if limit:
                out.say("cost", f"{what} budget: {format_usd(spent)} of {format_usd(limit)}")
