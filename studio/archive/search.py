"""`studio search`: full-text search across every kept message and every draft the studio saved,
best matches first, each with its conversation, date and a snippet (matches in [brackets]).

    studio search WORDS... [--limit N] [--demo]

Plain words are searched as words, all of them, in any order; `word*` is a prefix; a phrase in
double quotes, and AND, OR, NOT, NEAR in capitals, are FTS5's query syntax (core/search.py).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from studio.archive.common import Stop, columns, open_store, run, settings, shown
from studio.core.visible import visible

if TYPE_CHECKING:
    from studio.core.search import Hit


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="studio search",
        description="Full-text search of kept conversations and saved drafts, best matches first.",
        epilog='Plain words match as words, all of them, in any order; harb* is a prefix; "a phrase" '
        "in double quotes, and AND, OR, NOT, NEAR in capitals, are SQLite FTS5 query syntax.",
    )
    parser.add_argument("words", nargs="+", metavar="WORDS")
    parser.add_argument("--limit", type=int, default=20, metavar="N", help="at most N matches (default 20)")
    parser.add_argument("--demo", action="store_true", help="search the demo's store (studio --demo)")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    return run("studio search", lambda: _search(args))


def _search(args: argparse.Namespace) -> int:
    from studio.core.search import SearchSyntaxError, search

    words = " ".join(args.words)
    if args.limit < 1:
        raise Stop("--limit must be at least 1")
    if not words.strip():
        raise Stop("nothing to search for: give a word or two")
    key = settings().api_key
    store = open_store(args.demo)
    try:
        hits = search(store, words, args.limit) if store is not None else []
    except SearchSyntaxError as exc:
        raise Stop(str(exc)) from None
    if not hits:
        print(f"Nothing found for {words}.")
        return 0
    header, *rows = columns([["conversation", "date", "where", "title"], *map(_row, hits)]).split("\n")
    # Each snippet on a line of its own, indented: it is long, and in a column it would run off.
    lines = [header]
    for row, hit in zip(rows, hits, strict=True):
        lines += [row, "    " + visible(hit.marked())]
    print(shown("\n".join(lines), key))
    return 0


def _row(hit: Hit) -> list[str]:
    where = f"draft {hit.name}" if hit.kind == "draft" else _speaker(hit.role)
    conversation = str(hit.session) if hit.session is not None else "-"
    when = f"{datetime.fromtimestamp(hit.at):%Y-%m-%d %H:%M}"
    return [conversation, when, visible(where), visible(hit.title)[:60]]


def _speaker(role: str | None) -> str:
    return "you" if role == "user" else "Claude"
