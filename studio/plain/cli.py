"""`studio chat --plain`: the conversation as labelled lines, for pipes, slow links and screen readers.

    studio chat --plain [--model ID] [--continue] [--demo] [--drafts-dir DIR] [--max-tokens N]

The same session, store and drafts as the full-screen studio, so a conversation started in one
goes on in the other. No Textual is imported.
"""

from __future__ import annotations

import argparse
import queue
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from studio import __version__, locations

if TYPE_CHECKING:
    from studio.config import Settings

KEPT_AGAIN = "Conversations and costs are kept on disk again; nothing was lost."
NO_KEY = (
    "No API key: set ANTHROPIC_API_KEY (or save one with F4 in the full-screen studio); "
    "`studio chat --plain --demo` tries it offline."
)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="studio chat --plain",
        description="Chat with Claude line by line: every line labelled, no screen drawing.",
        epilog="Commands: /model /save NAME /draft /cost /retry /help /quit. Ctrl+C stops a reply, "
        "Ctrl+D quits. ACCESSIBLE=1 makes this mode the default for `studio`.",
    )
    parser.add_argument("--plain", action="store_true", help="the line mode (the default here)")
    parser.add_argument("--model", metavar="ID", help="model for the first message (/model changes it)")
    parser.add_argument("--drafts-dir", metavar="DIR", help="folder for drafts (default ./drafts)")
    parser.add_argument("--max-tokens", metavar="N", type=int, help="output limit per reply")
    parser.add_argument(
        "-c", "--continue", dest="resume", action="store_true", help="go on with the latest conversation"
    )
    parser.add_argument("--demo", action="store_true", help="run offline against the built-in demo server")
    parser.add_argument("--version", action="version", version=f"studio {__version__}")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    from studio.config import ConfigError, load_settings

    overrides = {"model": args.model, "drafts_dir": args.drafts_dir, "max_tokens": args.max_tokens}
    try:
        settings = load_settings(overrides)
    except ConfigError as exc:
        print("studio: " + " ".join(str(exc).split()), file=sys.stderr)  # one line, the studio's words
        return 2
    server = None
    if args.demo:
        from studio.core.demo import start_demo

        server = start_demo(settings)
    try:
        if not settings.api_key:
            print(f"studio: {NO_KEY}", file=sys.stderr)
            return 2
        return _run(settings, args.resume, args.model is not None)
    finally:
        if server is not None:
            server.stop()


def _run(settings: Settings, resume: bool, model_chosen: bool) -> int:
    from studio.core.instances import Instances
    from studio.core.recovery import RecoveryStore
    from studio.core.session import Session
    from studio.plain.chat import LineChat
    from studio.plain.commands import NAMES
    from studio.plain.line_input import LineInput
    from studio.plain.output import Output

    news: queue.SimpleQueue[str] = queue.SimpleQueue()
    session, problem = Session.open(
        settings,
        lambda stalled: news.put(stalled or KEPT_AGAIN),
    )
    if problem:
        news.put(problem)
    out = Output()
    lines = LineInput(out, locations.line_history_file(), NAMES)
    state = locations.state_dir()
    recovery = RecoveryStore(state / "recovery", Instances(state / "instances"))
    chat = LineChat(settings, session, recovery, out, lines, news)
    return chat.run(resume, model_chosen)
