"""`studio` on the command line: parse arguments, load settings, start the TUI (or say what is wrong)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from studio import __version__

if TYPE_CHECKING:
    from studio.config import Settings

DEMO_KEY = "studio-demo-key"

# Front ends of their own, each imported only when named: `studio ask` must not pay for Textual.
SUBCOMMANDS = {
    "batch": "studio.batch.cli",
    "ask": "studio.ask.cli",
}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="studio",
        description="A full-screen terminal writing studio built on Claude.",
        epilog="Keys: Enter send, Shift+Enter/Ctrl+J new line, Escape stop, F2 model, F1 help, "
        "Ctrl+Q quit. Environment: ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL.",
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
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] and argv[0] in SUBCOMMANDS:  # a front end of its own: no TUI imported
        from importlib import import_module

        front_end: int = import_module(SUBCOMMANDS[argv[0]]).main(argv[1:])
        return front_end
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
        from studio.loopback import LoopbackServer

        server = LoopbackServer().start()
        settings.base_url, settings.api_key, settings.demo = server.base_url, DEMO_KEY, True
        settings.api_key_source = "demo"

    try:
        return _run(settings)
    finally:
        if server is not None:
            server.stop()


def _run(settings: Settings) -> int:
    """Run the app; a crash exits non-zero with one line saying where its (masked) report is."""
    from studio.crash import write_report

    report = None
    try:
        from studio.ui.app import StudioApp

        app = StudioApp(settings)
        app.run()
        report, code = app.crash_report, app.return_code or 0
    except Exception as exc:  # a crash outside the app's loop (starting or closing it)
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
