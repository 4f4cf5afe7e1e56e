"""`studio export`: a kept conversation as Markdown (title, date, each reply's model and cost, the
tool calls and the drafts they touched, the total) or JSON; `--manuscript`: the drafts it produced,
without the chat. To standard output, or atomically to `-o FILE`. The API key never appears.

    studio export [ID | --latest] [--format md|json] [--manuscript] [-o FILE] [--demo]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from studio.archive.common import Stop, masked, open_store, run, settings, shown

if TYPE_CHECKING:
    from studio.config import Settings
    from studio.core.store import SavedSession, SessionSummary, Store


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="studio export",
        description="A kept conversation as Markdown or JSON, or the drafts it produced.",
    )
    parser.add_argument("id", nargs="?", type=int, metavar="ID", help="the conversation (see studio list)")
    parser.add_argument("--latest", action="store_true", help="the most recently used conversation")
    parser.add_argument("--format", choices=("md", "json"), default="md", help="Markdown (default) or JSON")
    parser.add_argument("--manuscript", action="store_true", help="the drafts it produced, without the chat")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="write FILE atomically, not stdout")
    parser.add_argument("--demo", action="store_true", help="the demo's conversations (studio --demo)")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    return run("studio export", lambda: _export(args))


def _export(args: argparse.Namespace) -> int:
    if (args.id is None) == (not args.latest):
        raise Stop("name one conversation: an ID (studio list shows them) or --latest")
    config = settings()
    store = open_store(args.demo)
    summary, saved = _conversation(store, args.id)
    assert store is not None  # a conversation was found in it
    if args.manuscript:
        text = _manuscript(saved, store, config, args.format)
    else:
        from studio.core.catalog import Catalog
        from studio.core.export import to_json, to_markdown, transcript

        kept = transcript(summary, saved, Catalog.builtin().overridden(config.models))
        text = to_json(kept) + "\n" if args.format == "json" else to_markdown(kept)
    _write(text, args.output, config.api_key)
    return 0


def _conversation(store: Store | None, wanted: int | None) -> tuple[SessionSummary, SavedSession]:
    latest = store.sessions(1) if store is not None and wanted is None else []
    number = wanted if wanted is not None else (latest[0].id if latest else None)
    if number is None:
        raise Stop("no conversation is kept yet: `studio` starts one")
    summary = store.summary(number) if store is not None else None
    saved = store.load_session(number) if store is not None else None
    if summary is None or saved is None:
        raise Stop(f"no conversation {number} (studio list shows them)")
    return summary, saved


def _manuscript(saved: SavedSession, store: Store, config: Settings, form: str) -> str:
    from studio.core.drafts import DraftStore
    from studio.core.export import manuscript

    drafts = manuscript(saved, DraftStore(config.drafts_dir, config.max_draft_bytes), store)
    if not drafts:
        raise Stop(f"conversation {saved.id} produced no draft (no tool call saved one, none was open)", 1)
    found = [d for d in drafts if d.text is not None]
    for missing in (d for d in drafts if d.text is None):
        print(f"studio export: {missing.name} is neither in the drafts folder nor kept", file=sys.stderr)
    if not found:
        raise Stop("none of its drafts could be found", 1)
    if form == "json":
        listed = [{"name": d.name, "text": d.text, "source": d.source} for d in found]
        return json.dumps({"id": saved.id, "drafts": listed}, ensure_ascii=False, indent=2) + "\n"
    if len(found) == 1:
        return found[0].text or ""
    # Several: each begins with a comment naming it, invisible once the Markdown is rendered.
    return "\n\n".join(f"<!-- {d.name} -->\n{d.text}" for d in found)


def _write(text: str, output: Path | None, key: str | None) -> None:
    if output is None:
        sys.stdout.write(shown(text, key))
        sys.stdout.flush()
        return
    from studio.core.diskio import atomic_write, umask

    data = masked(text, key).encode("utf-8")
    try:
        atomic_write(output, data, 0o644 & ~umask())
    except OSError as exc:
        raise Stop(f"{output} could not be written ({exc.strerror or exc})", 1) from None
    print(f"Wrote {output} ({len(data):,} bytes).", file=sys.stderr)
