"""Run the loopback Messages API in the foreground, for trying the studio by hand.

    python -m studio.loopback [--port N] [--key KEY] [--batch-seconds S]

The first line printed is ``ANTHROPIC_BASE_URL=...``, ready to export in another shell.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .server import LoopbackServer


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl+C, logging one line per request."""
    parser = argparse.ArgumentParser(
        prog="python -m studio.loopback", description="Offline stand-in for the Claude Messages API."
    )
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: a free one)")
    parser.add_argument("--key", default=None, help="API key to require (default: accept any)")
    parser.add_argument(
        "--batch-seconds",
        type=float,
        default=None,
        help="how long a Message Batch takes to process (default: 3)",
    )
    args = parser.parse_args(argv)
    server = LoopbackServer(api_key=args.key, port=args.port, log=lambda line: print(line, flush=True))
    if args.batch_seconds is not None:
        server.batch_seconds = max(0.0, args.batch_seconds)
    try:
        server.start()
    except OSError as exc:
        print(f"cannot listen on port {args.port}: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    # A handler, not KeyboardInterrupt: the interrupt then can never land mid-cleanup.
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"ANTHROPIC_BASE_URL={server.base_url}", flush=True)
    try:
        while not stop.wait(0.2):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
