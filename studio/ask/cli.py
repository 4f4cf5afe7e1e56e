"""`studio ask`: one question to Claude from the shell, the reply on standard output.

    studio ask [PROMPT] [--file F]... [--model ID] [--system TEXT] [--max-tokens N] [--draft F]
               [--json] [--demo]
    cat notes.md | studio ask "summarise"

Standard output gets the reply and nothing else (the cost line and any notice go to standard
error), so pipes stay clean. The first byte out should come from the network, not from imports:
nothing on this path imports Textual or the token estimate, and the SDK's import (most of a
second) starts while piped text is still being read.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import sys
import threading
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from studio.ask.message import InputError, compose, read_file, read_piped
from studio.ask.words import PROGRAM, one_line

if TYPE_CHECKING:
    from studio.config import Settings
    from studio.core.workspace import Draft


class Stop(Exception):
    """Ends the command with one line on standard error and an exit status."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Ask Claude once: the reply streams to standard output, the cost goes to standard "
        "error. Piped text follows the prompt: cat notes.md | studio ask 'summarise'.",
    )
    parser.add_argument("prompt", nargs="?", metavar="PROMPT", help="what to ask (else: the piped text)")
    parser.add_argument(
        "--file", action="append", type=Path, default=[], metavar="F", help="add a text file (repeatable)"
    )
    parser.add_argument("--model", metavar="ID", help="the model (default: the config's)")
    parser.add_argument("--system", metavar="TEXT", help="a system prompt instead of the studio's persona")
    parser.add_argument("--max-tokens", type=int, metavar="N", help="output limit of the reply")
    parser.add_argument(
        "--draft", type=Path, metavar="F", help="let Claude write and edit F (in F's folder, nowhere else)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end instead")
    parser.add_argument("--demo", action="store_true", help="run offline against the built-in demo server")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    # Importing the SDK makes hundreds of thousands of objects; the cyclic collector walking them
    # over and over on the way costs a fifth of that import. Off until the engine is loaded
    # (run.ask turns it back on, with everything built so far frozen out of its sight).
    gc.disable()
    args = parse_args(argv)
    server = None
    try:
        settings = _settings(args)
        message = _message(args)
        if args.demo:
            from studio.core.demo import start_demo

            server = start_demo(settings)
        if not settings.api_key:
            raise Stop("no API key: set ANTHROPIC_API_KEY (or start `studio`: it asks for one and keeps it)")
        draft = _draft(args.draft, settings) if args.draft is not None else None
        return _run(settings, message, draft, as_json=args.json)
    except Stop as stop:
        _say(f"{PROGRAM}: {stop}")
        return stop.code
    except KeyboardInterrupt:  # Ctrl+C before the reply began (reading input, importing)
        _say(f"{PROGRAM}: stopped.")
        return 130
    finally:
        if server is not None:
            server.stop()


def _settings(args: argparse.Namespace) -> Settings:
    """The studio's settings, with this command's options checked in the studio's words."""
    from studio.config import ConfigError, load_settings

    if args.system is not None and not args.system.strip():
        raise Stop("--system is empty: leave it out to use the studio's persona")
    overrides = {"model": args.model, "max_tokens": args.max_tokens, "system_prompt": args.system}
    try:
        return load_settings(overrides)
    except ConfigError as exc:
        raise Stop(one_line(str(exc))) from None


def _message(args: argparse.Namespace) -> str:
    """The prompt, then the piped text (when standard input is not a terminal), then the files."""
    piped_in = sys.stdin is not None and not sys.stdin.isatty()
    if piped_in:
        _load_engine_meanwhile()
    try:
        piped = read_piped(sys.stdin.buffer) if piped_in else None
        files = [(path, read_file(path)) for path in args.file]
    except InputError as exc:
        raise Stop(one_line(str(exc))) from None
    message = compose(args.prompt, piped, files)
    if not message.strip():
        raise Stop('nothing to ask: give a prompt (studio ask "...") or pipe text in')
    return message


def _load_engine_meanwhile() -> None:
    """Piped text can be slow to come (a build's log, a long `git log`): import the SDK meanwhile,
    so the request can leave as soon as the text is in (Session.start then finds it imported)."""
    threading.Thread(target=import_module, args=("studio.core.engine",), name="studio-ask-import").start()


# Without --draft there is no editor and no draft tools: the studio's persona would tell Claude of
# both, and Claude might say it saved what it cannot.
PLAIN_PERSONA = """\
You are a writing assistant inside studio, answering one request from the command line: your reply \
is printed as it is, often into a file or another program, so give the answer itself, without \
preamble or sign-off. Be concrete, keep the writer's voice, and prefer showing a revised passage to \
describing one. Use Markdown where it helps.

Tools: format_as_list makes a numbered list; get_word_count counts words."""


def _persona(settings: Settings, draft: Draft | None) -> None:
    """The studio's own persona, without the editor and the draft tools when there is no draft
    (a persona from --system or the config is the writer's, and stays as it is)."""
    from studio.config import DEFAULT_SYSTEM_PROMPT

    if draft is None and settings.system_prompt == DEFAULT_SYSTEM_PROMPT:
        settings.system_prompt = PLAIN_PERSONA


def _draft(path: Path, settings: Settings) -> Draft:
    """--draft F: F's folder is the run's drafts folder, and F the open draft."""
    from studio.ask.draft import DraftError, DraftStore, drafts_folder, read_draft

    try:
        settings.drafts_dir = drafts_folder(path)
        return read_draft(DraftStore(settings.drafts_dir, settings.max_draft_bytes), path)
    except DraftError as exc:
        raise Stop(f"--draft: {one_line(str(exc))}") from None


def _run(settings: Settings, message: str, draft: Draft | None, *, as_json: bool) -> int:
    from studio.ask.output import Output
    from studio.ask.run import as_json as json_of
    from studio.ask.run import ask
    from studio.core.session import Session

    _persona(settings, draft)
    session, problem = Session.open(settings)
    if problem:
        _say(f"{PROGRAM}: warning: {one_line(problem)}")
    session.draft_tools = draft is not None
    if draft is not None:
        session.workspace.draft = draft
    out = Output(None if as_json else sys.stdout.buffer)
    result = asyncio.run(ask(session, message, out, _say))
    if as_json and result.exit_status == 0:
        Output(sys.stdout.buffer).write(json.dumps(json_of(result, session, out.text)) + "\n")
    return result.exit_status


def _say(line: str) -> None:
    """One line to standard error; a closed standard error is no reason to fail."""
    with contextlib.suppress(BrokenPipeError, ValueError):
        print(line, file=sys.stderr, flush=True)
