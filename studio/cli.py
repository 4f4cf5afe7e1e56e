"""`studio` on the command line: parse arguments, load settings, start the TUI (or say what is wrong)."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from studio import __version__

if TYPE_CHECKING:
    from studio.config import Settings

# Front ends of their own, each imported only when named: `studio ask` must not pay for Textual.
SUBCOMMANDS = {
    "batch": "studio.batch.cli",
    "list": "studio.archive.list",
    "export": "studio.archive.export",
    "search": "studio.archive.search",
    "chat": "studio.plain.cli",  # `studio chat --plain`; without --plain (or ACCESSIBLE), the studio
    "ask": "studio.ask.cli",
}
LINE_MODE = SUBCOMMANDS["chat"]


def accessible() -> bool:
    """ACCESSIBLE (any value), a convention other terminal tools honour: the line mode by default."""
    return bool(os.environ.get("ACCESSIBLE"))


def front_end(argv: list[str]) -> tuple[str | None, list[str]]:
    """The module of the front end that runs, and its arguments; None: the full-screen studio.
    `studio chat` is the studio unless --plain or ACCESSIBLE asks for the line mode, which plain
    `studio` then starts too."""
    if argv[:1] == ["chat"]:
        rest = argv[1:]
        return (LINE_MODE if "--plain" in rest or accessible() else None), rest
    if argv[:1] and argv[0] in SUBCOMMANDS:
        return SUBCOMMANDS[argv[0]], argv[1:]
    return (LINE_MODE if accessible() else None), argv


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="studio",
        description="A full-screen terminal writing studio built on Claude.",
        epilog="Keys: Enter send, Shift+Enter/Ctrl+J new line, Escape stop, F2 model, F1 help, "
        "Ctrl+Q quit. Environment: ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL; ACCESSIBLE=1 starts the "
        "line mode. Other commands (each has --help): studio ask, studio chat --plain, studio list, "
        "studio export, studio search, studio batch.",
    )
    parser.add_argument(
        "--model",
        metavar="ID",
        help="model for the first message (default claude-sonnet-4-6; F2 changes it in the app)",
    )
    parser.add_argument("--drafts-dir", metavar="DIR", help="folder for drafts (default ./drafts)")
    parser.add_argument("--max-tokens", metavar="N", type=int, help="output limit per reply")
    parser.add_argument(
        "-c",
        "--continue",
        dest="resume",
        action="store_true",
        help="reopen the latest conversation (F5 lists them all)",
    )
    parser.add_argument(
        "--demo", action="store_true", help="run offline against the built-in demo server (no key needed)"
    )
    parser.add_argument("--version", action="version", version=f"studio {__version__}")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    module, argv = front_end(sys.argv[1:] if argv is None else list(argv))
    if module is not None:  # a front end of its own: no TUI imported
        from importlib import import_module

        status: int = import_module(module).main(argv)
        return status
    # Start-up (Textual, the app, then the SDK after the first frame) makes hundreds of thousands
    # of objects that live until exit; the cyclic collector walking them on the way costs a
    # quarter of the time to the first paint. Off until the engine is loaded: the writing screen
    # then freezes what was built and turns it back on.
    gc.disable()
    args = parse_args(argv)
    from studio.config import ConfigError, load_settings

    overrides = {"model": args.model, "drafts_dir": args.drafts_dir, "max_tokens": args.max_tokens}
    try:
        settings = load_settings(overrides)
    except ConfigError as exc:
        print("studio: " + " ".join(str(exc).split()), file=sys.stderr)  # one line, always
        return 2
    settings.resume, settings.model_chosen = args.resume, args.model is not None

    server = None
    if args.demo:
        from studio.core.demo import start_demo

        server = start_demo(settings)

    try:
        return _run(settings)
    finally:
        if server is not None:
            server.stop()


def _run(settings: Settings) -> int:
    """Run the app; a crash exits non-zero with one line saying where its (masked) report is."""
    report = None
    try:
        from studio.ui.app import StudioApp

        app = StudioApp(settings)
        app.run()
        report, code = app.crash_report, app.return_code or 0
    except Exception as exc:  # a crash outside the app's loop (starting or closing it)
        from studio.crash import write_report

        code = 1
        try:
            report = write_report(exc, settings.api_key)
        except OSError as why:
            print(
                f"studio: crashed ({type(exc).__name__}); no report could be written: {why}", file=sys.stderr
            )
    if report is not None:
        print(f"studio: crashed, sorry. The report (no key in it) is {report}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
