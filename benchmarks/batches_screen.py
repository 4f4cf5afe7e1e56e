"""F6 with many jobs: does the studio stay responsive?

A store with N batch jobs of M items (2 KB each) is opened in the real app (headless, 140x44). It
times F6 to the list on screen, then keeps the screen open for a while (it re-reads the store every
2 s, in a thread) while a probe measures how late a 10 ms sleep on the app's loop wakes up: the
writer's keys wait exactly that long. Beside it, the same probe with F6 closed, in the same run.

    python benchmarks/batches_screen.py [--jobs 200] [--items 20] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_KEY = "sk-ant-bench-FAKE-key"


def fill(jobs: int, items: int) -> None:
    """N finished jobs in the store the app will open, as `studio batch` leaves them."""
    from studio import locations
    from studio.core.batch_store import BatchStore, NewItem
    from studio.core.store import Store

    store = BatchStore(Store(locations.data_dir() / "studio.db"))
    text = "A paragraph of a document, about two kilobytes long when repeated. " * 30
    for n in range(jobs):
        new = [NewItem(f"doc-{i:06d}", 0, f"notes/n{i}.md", f"n{i}.md", "h", text) for i in range(items)]
        job = store.create_job(
            name=f"Proofread batch {n}", model="claude-haiku-4-5-20251001", instruction="Proofread",
            max_tokens=200, out_dir="/tmp/out", items=new, chunks=1,
        )  # fmt: skip
        store.job_status(job.id, "fetched")


async def lateness(seconds: float) -> list[float]:
    """How late (ms) a 10 ms sleep wakes up, sampled for `seconds`."""
    samples = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        await asyncio.sleep(0.01)
        samples.append((time.perf_counter() - start - 0.01) * 1000)
    return samples


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95)]
    return f"p50 {statistics.median(ordered):6.1f}   p95 {p95:6.1f}   max {ordered[-1]:6.1f} ms"


async def measure(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from studio.config import Settings
    from studio.loopback import LoopbackServer
    from studio.ui.app import StudioApp
    from studio.ui.batches_screen import BatchesScreen

    with LoopbackServer(api_key=BENCH_KEY) as server:
        settings = Settings(api_key=BENCH_KEY, base_url=server.base_url, drafts_dir=Path("drafts"))
        app = StudioApp(settings)
        async with app.run_test(size=(140, 44)) as pilot:
            while app.session.engine is None:
                await pilot.pause(0.05)
            closed = await lateness(args.seconds)
            start = time.perf_counter()
            await pilot.press("f6")
            while not (isinstance(app.screen, BatchesScreen) and app.screen._jobs):
                await pilot.pause(0.01)
            shown = (time.perf_counter() - start) * 1000
            opened = await lateness(args.seconds)
    print(f"{args.jobs} jobs of {args.items} items: F6 to the list on screen {shown:.0f} ms")
    print(f"  loop lateness, F6 closed   {summary(closed)}")
    print(f"  loop lateness, F6 open     {summary(opened)}   (re-reads the store every 2 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
            os.environ[name] = str(Path(home) / name.lower())
        os.chdir(home)
        started = time.perf_counter()
        fill(args.jobs, args.items)
        print(f"store filled in {time.perf_counter() - started:.1f} s")
        asyncio.run(measure(args))


if __name__ == "__main__":
    main()
