"""Typing while a reply streams: how long a key takes to show in the message box.

A key is handed to the app as its terminal driver would (a Key event posted to the app), and the
clock stops at the first frame the screen hands to the driver with that key in the message box. Keys
come about 8 a second, a touch irregular, as a writer types. Three apps, each round in a fresh child
process, interleaved round by round:

- studio while a long reply streams at about 1,000 tokens a second (40-char deltas every 10 ms);
- the same studio idle (nothing streaming);
- a bare Textual app with one TextArea (the floor).

Target: p95 within one frame (16.7 ms), never later than 50 ms. Headless (Textual's run_test,
120x40), not a pty: the terminal's own write and read are left out of all three alike.

    python benchmarks/key_echo.py [--rounds 2] [--keys 80] [--gc freeze]

--gc freeze is a what-if: the objects made at start-up (Textual, the SDK) moved out of the garbage
collector's reach once the studio is ready (gc.freeze), as the app could do; each full collection
otherwise stops the loop for 80-190 ms on this machine while a reply streams.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common
from common import Row, ServerProcess, isolate, percentile

RESULT_MARK = "key_echo-result: "
SIZE = (120, 40)
WHO = ("streaming", "idle", "bare")


class Typist:
    """Posts keys to an app one at a time and times each to the frame that shows it."""

    def __init__(self, app: Any, box: Any) -> None:
        self.app, self.box = app, box
        self.latencies: list[float] = []
        self._sent_at: float | None = None
        self._want = 0
        self._shown = asyncio.Event()
        display = app._display

        def timing_display(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if self._sent_at is not None and renderable is not None and len(box.text) >= self._want:
                self.latencies.append(time.perf_counter() - self._sent_at)
                self._sent_at = None
                self._shown.set()

        app._display = timing_display

    async def type(self, keys: int, still: Any = None) -> None:
        """Type `keys` letters, about 8 a second, while `still()` holds (if given)."""
        from textual import events

        rng = random.Random(12)
        for n in range(keys):
            if still is not None and not still():
                break
            await asyncio.sleep(0.09 + rng.random() * 0.07)
            self._want = len(self.box.text) + 1
            self._shown.clear()
            letter = "abcdefghij"[n % 10]
            self._sent_at = time.perf_counter()
            self.app.post_message(events.Key(letter, letter))
            await asyncio.wait_for(self._shown.wait(), 10)

    def close(self) -> None:
        del self.app._display


async def studio(tmp: Path, keys: int, streaming: bool) -> list[float]:
    from stream_render import long_reply
    from ui_helpers import make_app, send

    from studio.ui.prompt import PromptArea

    with ServerProcess() as server:
        app = make_app(server, common.BENCH_KEY, tmp)
        async with app.run_test(size=SIZE) as pilot:
            await asyncio.wait_for(app.session.engine_ready.wait(), 30)
            if os.environ.get("KEY_ECHO_GC") == "freeze":  # what-if: start-up objects out of reach
                gc.collect()
                gc.freeze()
            await pilot.pause(0.3)
            box = app.query_one(PromptArea)
            box.focus()
            still = None
            if streaming:
                # ~30 s at 4,000 chars/s: typing stops if the reply ends first (the keys timed
                # are counted in the report)
                server.queue_text(long_reply(120 * 1024), 40, 0.010)
                await send(pilot, "Write the whole harbour report, please.")
                await pilot.pause(1.0)
                still = lambda: app.session.running  # noqa: E731
            typist = Typist(app, box)
            try:
                await typist.type(keys, still)
            finally:
                typist.close()
            app.exit()
    return typist.latencies


async def bare(keys: int) -> list[float]:
    from textual.app import App, ComposeResult
    from textual.widgets import TextArea

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield TextArea(id="box")

    app = Bare()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        box = app.query_one(TextArea)
        box.focus()
        typist = Typist(app, box)
        try:
            await typist.type(keys)
        finally:
            typist.close()
    return typist.latencies


def child(who: str, keys: int) -> list[float]:
    if who == "bare":
        return asyncio.run(bare(keys))
    with tempfile.TemporaryDirectory(prefix=f"studio-key-echo-{who}-") as tmp:
        isolate(Path(tmp))
        return asyncio.run(studio(Path(tmp), keys, who == "streaming"))


def measure(who: str, keys: int) -> list[float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", who, "--keys", str(keys)],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if done.returncode or not lines:
        raise SystemExit(f"{who} failed with exit status {done.returncode}")
    return json.loads(lines[-1].removeprefix(RESULT_MARK))


def figures(latencies: list[float]) -> tuple[float, float, float]:
    ms = [s * 1000 for s in latencies]
    return statistics.median(ms), percentile(ms, 0.95), max(ms)


def words(values: tuple[float, float, float]) -> str:
    return f"p50 {values[0]:.1f} / p95 {values[1]:.1f} / max {values[2]:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each app (default 2)")
    parser.add_argument("--keys", type=int, default=80, help="keys typed a round (default 80)")
    parser.add_argument(
        "--gc", choices=["on", "freeze"], default="on", help="what-if: gc.freeze() once ready"
    )
    parser.add_argument("--child", choices=WHO, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.gc == "freeze":
        os.environ["KEY_ECHO_GC"] = "freeze"  # the child processes inherit it
    if args.child:
        print(RESULT_MARK + json.dumps(child(args.child, args.keys)), flush=True)
        return 0
    gathered: dict[str, list[float]] = {who: [] for who in WHO}
    for n in range(args.rounds):
        for who in WHO:
            gathered[who] += measure(who, args.keys)
            print(f"  round {n + 1} {who}: {words(figures(gathered[who]))}", file=sys.stderr, flush=True)
    streaming, idle, floor = (figures(gathered[who]) for who in WHO)
    common.report(
        "Key echo while a reply streams at ~1,000 tokens/s (benchmarks/key_echo.py, headless 120x40)",
        [
            Row(
                "key -> frame showing it, reply streaming",
                words(streaming),
                words(floor) + ", bare TextArea app",
                common.ratio(streaming[1], floor[1]) + " (p95)",
                "p95 ≤ 16.7 ms, max ≤ 50 ms",
                streaming[1] <= common.FRAME_MS and streaming[2] <= 50,
            ),
            Row(
                "key -> frame showing it, studio idle",
                words(idle),
                words(floor) + ", bare TextArea app",
                common.ratio(idle[1], floor[1]) + " (p95)",
                "p95 ≤ 16.7 ms",
                idle[1] <= common.FRAME_MS,
            ),
        ],
    )
    counts = ", ".join(f"{len(gathered[who])} {who}" for who in WHO)
    print(f"\nkeys timed: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
