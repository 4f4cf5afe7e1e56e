"""`studio list`: the kept conversations, newest first, in plain columns (id, date, title,
replies, cost), so a pipe or a screen reader gets the same words as a terminal.

    studio list [--limit N] [--demo]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime

from studio.archive.common import Stop, columns, open_store, run, settings, shown


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="studio list", description="Kept conversations, newest first.")
    parser.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (default 50)")
    parser.add_argument("--demo", action="store_true", help="the demo's conversations (studio --demo)")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    return run("studio list", lambda: _list(args))


def _list(args: argparse.Namespace) -> int:
    from studio.core.usage import format_usd
    from studio.core.visible import visible

    if args.limit < 1:
        raise Stop("--limit must be at least 1")
    key = settings().api_key
    store = open_store(args.demo)
    found = store.sessions(args.limit) if store is not None else []
    if not found:
        print("No conversations kept yet: `studio` starts one.")
        return 0
    rows = [["id", "date", "title", "replies", "cost"]]
    for s in found:
        rows.append([
            str(s.id), f"{datetime.fromtimestamp(s.updated):%Y-%m-%d %H:%M}",
            visible(s.title or "(nothing sent yet)")[:60], str(s.replies), format_usd(s.usd),
        ])  # fmt: skip
    print(shown(columns(rows), key))
    return 0
