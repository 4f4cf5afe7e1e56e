"""A long reply on screen as fast as the stream: studio beside the engine alone, in one run.

Three figures, each measured in fresh child processes, studio and its floor interleaved round by
round (the machine is shared: trust the ratios):

- fast: a 70 KB Markdown reply sent as fast as the loopback server can (40-char deltas, no pause).
  Studio's time from Enter to its last words on screen (turn over) beside the engine reading the
  same reply with no UI. Target: at most 2x the engine.
- paced: 35 KB at about 1,000 tokens a second (40-char deltas every 10 ms, ~4,000 chars/s). The
  figure: the stream's end (its closing events in, the reply told it is complete) -> its last words
  on screen; 0 when a frame showed them before the stream ended. Target: on screen when the stream
  ends (within a frame). Also shown: the backlog from the last text delta, and the engine's read
  time beside studio's total.
- huge: a 2 MB reply, fast. Studio's time beside the engine's, and studio's memory growth (peak
  resident memory while it streams, less the app's idle memory just before sending). Targets:
  under 10 s, and under 150 MB more than idle.

The app runs headless (Textual's run_test, 120x40) through the real SDK against the loopback
Messages API in a process of its own; frames are counted where the screen hands its update to the
driver (benchmarks/stream_render.py's Watch, whose text generator and timing this reuses).

    python benchmarks/long_reply.py [--rounds 2] [--only fast,paced,huge]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common
from common import Row, ServerProcess, isolate, rss_mb

RESULT_MARK = "long_reply-result: "

# name: (size in bytes, characters a delta, seconds between deltas)
CASES = {
    "fast": (70 * 1024, 40, 0.0),
    "paced": (35 * 1024, 40, 0.010),
    "huge": (2 * 1024 * 1024, 40, 0.0),
}


async def studio_case(
    server: ServerProcess, tmp: Path, size: int, chunk: int, delay: float
) -> dict[str, float]:
    """One reply through the whole app: Enter -> last words on screen, the backlog, memory."""
    import gc

    import stream_render
    from stream_render import long_reply, run_app, stream_one

    stream_render.TIMEOUT = 900.0  # 2 MB took 148 s before issue 12
    figures: dict[str, float] = {}

    async def body(pilot: Any, app: Any, watch: Any) -> None:
        gc.collect()
        await asyncio.sleep(0.5)
        idle = rss_mb()
        peak = [idle]

        async def sample() -> None:
            while True:
                peak[0] = max(peak[0], rss_mb())
                await asyncio.sleep(0.05)

        sampler = asyncio.get_running_loop().create_task(sample())
        try:
            result = await stream_one(pilot, app, watch, server, "studio", long_reply(size), chunk, delay)
        finally:
            sampler.cancel()
        peak[0] = max(peak[0], rss_mb())
        figures.update(
            seconds=result.on_screen,
            backlog=result.backlog,
            after_end=result.after_end,
            grown_mb=peak[0] - idle,
            lag_max_ms=result.lag[2],
            frames=result.frames,
        )

    await run_app(server, tmp, body, "on")
    return figures


async def engine_case(
    server: ServerProcess, tmp: Path, size: int, chunk: int, delay: float
) -> dict[str, float]:
    """The same reply read by the engine with no UI: the pace the server, SDK and engine allow."""
    import gc

    from stream_render import engine_only, long_reply

    text = long_reply(size)
    gc.collect()
    idle = rss_mb()
    result = await engine_only(server, tmp, "engine", text, chunk, delay)  # type: ignore[arg-type]
    return {"seconds": result.on_screen, "grown_mb": rss_mb() - idle}


def child(case: str, who: str) -> dict[str, float]:
    size, chunk, delay = CASES[case]
    with tempfile.TemporaryDirectory(prefix=f"studio-long-reply-{case}-{who}-") as tmp:
        isolate(Path(tmp))
        with ServerProcess() as server:
            run = studio_case if who == "studio" else engine_case
            return asyncio.run(run(server, Path(tmp), size, chunk, delay))


def measure(case: str, who: str) -> dict[str, float]:
    """One round in a fresh process: a finished app's leftovers would slow the next one."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", f"{case}:{who}"], stdout=subprocess.PIPE, text=True, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if done.returncode or not lines:
        raise SystemExit(f"{case} ({who}) failed with exit status {done.returncode}")
    return json.loads(lines[-1].removeprefix(RESULT_MARK))


def rows(case: str, studio: list[dict[str, float]], engine: list[dict[str, float]]) -> list[Row]:
    s = [r["seconds"] for r in studio]
    e = [r["seconds"] for r in engine]
    ms, me = statistics.median(s), statistics.median(e)
    kb = CASES[case][0] // 1024
    if case == "fast":
        return [
            Row(
                f"{kb} KB fast: Enter -> last words on screen",
                common.spread(s, "s", 2),
                common.spread(e, "s", 2) + ", the engine alone",
                common.ratio(ms, me),
                "≤ 2x the engine",
                ms <= 2 * me,
            )
        ]
    if case == "paced":
        backlog = [r["backlog"] * 1000 for r in studio]
        after_end = [r["after_end"] * 1000 for r in studio]
        return [
            Row(
                f"{kb} KB at ~4,000 chars/s: stream end -> last words on screen",
                common.spread(after_end, "ms"),
                f"{common.FRAME_MS:.1f} ms, one frame",
                common.ratio(statistics.median(after_end), common.FRAME_MS),
                "on screen by the stream's end (≤ 1 frame)",
                max(after_end) <= common.FRAME_MS,
            ),
            Row(
                f"{kb} KB at ~4,000 chars/s: last text delta -> last words on screen",
                common.spread(backlog, "ms"),
                f"{common.FRAME_MS:.1f} ms, one frame",
                common.ratio(statistics.median(backlog), common.FRAME_MS),
                "-",
                None,
            ),
            Row(
                f"{kb} KB at ~4,000 chars/s: Enter -> last words on screen",
                common.spread(s, "s", 2),
                common.spread(e, "s", 2) + ", the engine alone",
                common.ratio(ms, me),
                "-",
                None,
            ),
        ]
    grown = [r["grown_mb"] for r in studio]
    return [
        Row(
            "2 MB fast: Enter -> last words on screen",
            common.spread(s, "s", 1),
            common.spread(e, "s", 1) + ", the engine alone",
            common.ratio(ms, me),
            "< 10 s",
            ms < 10,
        ),
        Row(
            "2 MB fast: peak memory over idle",
            common.spread(grown, "MB"),
            common.spread([r["grown_mb"] for r in engine], "MB") + ", the engine alone (at its end)",
            "-",
            "< 150 MB",
            statistics.median(grown) < 150,
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each case (default 2)")
    parser.add_argument("--only", default="fast,paced,huge", help="cases to run (default all)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        case, who = args.child.split(":")
        print(RESULT_MARK + json.dumps(child(case, who)), flush=True)
        return 0
    cases = [c for c in args.only.split(",") if c]
    if unknown := set(cases) - set(CASES):
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    started = time.perf_counter()
    table: list[Row] = []
    for case in cases:
        studio: list[dict[str, float]] = []
        engine: list[dict[str, float]] = []
        for n in range(args.rounds):
            studio.append(measure(case, "studio"))
            engine.append(measure(case, "engine"))
            print(
                f"  {case} round {n + 1}: studio {studio[-1]}, engine {engine[-1]}",
                file=sys.stderr,
                flush=True,
            )
        table += rows(case, studio, engine)
    common.report("A long reply (benchmarks/long_reply.py, headless 120x40)", table)
    print(f"\ntotal wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
