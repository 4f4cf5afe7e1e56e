"""save_draft latency: from the end of the tool block in the stream to the draft on disk.

Runs the real engine and SDK against the loopback server, which answers each turn with a save_draft
call (a ~4 KB and a ~200 KB draft) and then a short text. The clock starts when the client feeds
ReplyBuilder the tool_use block's content_block_stop, and stops when the engine yields ToolFinished
for that call (by then the file has been written, fsynced and renamed into place). DraftStore.save
is timed as well, to show how much of that is the atomic write itself.

    python benchmarks/save_latency.py [--runs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.catalog import Catalog
from studio.core.conversation import Conversation
from studio.core.drafts import DraftStore, SavedDraft
from studio.core.engine import Engine, EngineConfig
from studio.core.events import ToolFinished
from studio.core.reply import ReplyBuilder, ToolUse
from studio.core.workspace import Draft, Workspace
from studio.loopback import LoopbackServer, TextReply, ToolUseReply

BENCH_KEY = "sk-ant-bench-FAKE-key"
MODEL = "claude-sonnet-4-6"
SIZES = {"4 KB": 4 * 1024, "200 KB": 200 * 1024}


@dataclass
class Clock:
    """What the wrapped methods record during one run."""

    block_end: dict[str, float] = field(default_factory=dict)  # tool id -> perf_counter
    save_seconds: list[float] = field(default_factory=list)


CLOCK = Clock()


def install_timers() -> None:
    """Wrap ReplyBuilder.feed and DraftStore.save so they report into CLOCK."""
    feed, save = ReplyBuilder.feed, DraftStore.save

    def timed_feed(self: ReplyBuilder, event: Any) -> list[Any]:
        if event.type == "content_block_stop" and 0 <= event.index < len(self.blocks):
            block = self.blocks[event.index]
            if isinstance(block, ToolUse):  # before feed: parsing the input is part of the save
                CLOCK.block_end[block.id] = time.perf_counter()
        return feed(self, event)

    def timed_save(self: DraftStore, name: str, text: str, **kwargs: Any) -> SavedDraft:
        started = time.perf_counter()
        try:
            return save(self, name, text, **kwargs)
        finally:
            CLOCK.save_seconds.append(time.perf_counter() - started)

    ReplyBuilder.feed = timed_feed  # type: ignore[method-assign]
    DraftStore.save = timed_save  # type: ignore[method-assign]


def draft_text(size: int) -> str:
    """Deterministic Markdown of exactly `size` characters (ASCII, so also bytes)."""
    paragraph = (
        "The launch is on Tuesday. Every writer gets the new editor, the drafts folder and "
        "the cost sidebar; nothing to install, nothing to configure.\n\n"
    )
    parts, n = ["# Launch notes\n\n"], 0
    while sum(map(len, parts)) < size:
        n += 1
        parts.append(f"## Section {n}\n\n{paragraph * 3}")
    return "".join(parts)[:size]


async def one_save(
    engine: Engine, workspace: Workspace, server: LoopbackServer, content: str, filename: str, chunk_size: int
) -> tuple[float, float]:
    """One turn with one save_draft: (end of block -> ToolFinished, time inside DraftStore.save)."""
    CLOCK.block_end.clear()
    CLOCK.save_seconds.clear()
    workspace.draft = Draft()
    server.queue(
        ToolUseReply(
            "save_draft",
            {"filename": filename, "content": content},
            text="Saving.",
            json_chunk_size=chunk_size,
        ),
        TextReply("Saved."),
    )
    conversation = Conversation()
    conversation.add_user(f"Write the launch notes and save them as {filename}")
    latency: float | None = None
    async for event in engine.run_turn(conversation, MODEL):
        if isinstance(event, ToolFinished):
            finished = time.perf_counter()
            if event.is_error:
                raise RuntimeError(f"save_draft failed: {event.result}")
            latency = finished - CLOCK.block_end[event.tool_id]
    if latency is None or len(CLOCK.save_seconds) != 1:
        raise RuntimeError("the turn did not run exactly one save_draft")
    on_disk = (workspace.store.root / filename).read_text(encoding="utf-8")
    if on_disk != content:
        raise RuntimeError(f"{filename} on disk differs from the tool input")
    return latency, CLOCK.save_seconds[0]


def p90(values: list[float]) -> float:
    """Nearest-rank 90th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def row(label: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"  {label:<28} {statistics.median(ms):9.2f} {p90(ms):9.2f} {max(ms):9.2f}"


async def bench(runs: int, warmup: int, chunk_size: int) -> None:
    install_timers()
    with (
        tempfile.TemporaryDirectory(prefix="studio-save-latency-") as tmp,
        LoopbackServer(api_key=BENCH_KEY) as server,
    ):
        workspace = Workspace(DraftStore(Path(tmp) / "drafts"))
        config = EngineConfig(api_key=BENCH_KEY, base_url=server.base_url, max_retries=0)
        engine = Engine(config, Catalog.builtin(), workspace)
        print(
            f"save_draft: end of the tool block -> file on disk; {runs} runs per size, "
            f"input_json_delta chunks of {chunk_size} chars; drafts in {tmp}"
        )
        print(f"\n{'':<30} {'median':>9} {'p90':>9} {'max':>9}   (ms)")
        try:
            for label, size in SIZES.items():
                content = draft_text(size)
                totals: list[float] = []
                saves: list[float] = []
                for n in range(warmup + runs):
                    total, save = await one_save(
                        engine, workspace, server, content, f"draft-{size}-{n:03d}.md", chunk_size
                    )
                    if n >= warmup:
                        totals.append(total)
                        saves.append(save)
                shares = [s / t for s, t in zip(saves, totals, strict=True)]
                print(f"{label} ({len(content.encode()):,} bytes)")
                print(row("end of block -> on disk", totals))
                print(row("in DraftStore.save", saves))
                print(
                    f"  {'share in DraftStore.save':<28} {statistics.median(shares):9.0%} "
                    f"{p90(shares):9.0%} {max(shares):9.0%}"
                )
        finally:
            await engine.aclose()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs per size (default 30)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs per size first (default 2)")
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=20,
        help="characters per input_json_delta (default 20, as ToolUseReply)",
    )
    args = parser.parse_args()
    if args.runs < 1 or args.warmup < 0 or args.chunk_size < 1:
        parser.error("--runs and --chunk-size must be at least 1, --warmup not negative")
    return args


def main() -> int:
    args = parse_args()
    asyncio.run(bench(args.runs, args.warmup, args.chunk_size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
