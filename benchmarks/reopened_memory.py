"""Memory through a writer's first minute in a reopened conversation of 1,000 kept replies.

`long_history.py` measures reopening; this goes on from there, as a writer would, the studio
against the loopback server in a process of its own (so the next-request estimate, the exact
count and a reply all really happen). Memory (RSS) after each step, once its work is done:

1. reopened (F5) and settled: the estimate and the exact count have come and gone;
2. a short message typed (a line: estimated beside what the API reported, no tokenizer);
3. sent and answered (the whole conversation went out as one request of ~11 MB);
4. a long paragraph typed (3,500 characters: counted with the tokenizer, 27 MB once loaded).

Beside it, the floor: the studio idle (engine loaded, empty chat), each in a fresh process,
rounds interleaved.

    python benchmarks/reopened_memory.py [--turns 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common
import long_history
from common import BENCH_KEY, Row, ServerProcess, isolate, ratio, report, rss_mb, spread

TARGET_MB = 150.0
TIMERS = 2.0  # seconds after each step: the estimate starts at 0.3 s of quiet, the exact count at 1.5 s
SHORT = "One more question about the harbour survey, please."
LONG = " And a much longer paragraph that goes on about the draft." * 60
STEPS = {
    "settled": "reopened (F5), settled",
    "typed": "a short message typed",
    "answered": "sent and answered",
    "pasted": "a long paragraph typed (tokenizer loaded)",
}


async def until(done, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > deadline:
            raise SystemExit("timed out")
        await asyncio.sleep(0.05)


async def quiet(app) -> None:  # type: ignore[no-untyped-def]
    """Until the next-request figures are worked out: the estimate, the exact count and after it."""
    await asyncio.sleep(TIMERS)
    await until(lambda: not any(w.group in ("estimate", "count") and not w.is_finished for w in app.workers))
    await asyncio.sleep(0.2)


def app_for(base_url: str):  # type: ignore[no-untyped-def]
    from studio.config import Settings
    from studio.ui.app import StudioApp

    return StudioApp(Settings(api_key=BENCH_KEY, base_url=base_url, drafts_dir=Path("drafts"), titles=False))


async def child_minute(turns: int, base_url: str) -> dict[str, float]:
    from studio.ui.dialogs import Conversations
    from studio.ui.prompt import PromptArea

    app = app_for(base_url)
    got: dict[str, float] = {}
    async with app.run_test(size=long_history.SIZE) as pilot:
        await app.session.engine_ready.wait()
        await pilot.press("f5")
        await until(lambda: isinstance(app.screen, Conversations))
        await pilot.pause(0.3)
        await pilot.press("enter")
        await long_history.on_screen(app, long_history.last_words(turns - 1))
        await long_history.settled(app)
        await quiet(app)
        got["settled"] = rss_mb()
        prompt = app.query_one(PromptArea)
        prompt.focus()
        prompt.insert(SHORT)
        await quiet(app)
        got["typed"] = rss_mb()
        replies = len(app.session.spending.ledger.entries)
        await pilot.press("enter")
        while len(app.session.spending.ledger.entries) == replies or app.session.running:
            if type(app.screen).__name__ == "Choice":  # "over the model's limit: send anyway?"
                await pilot.press("enter")
            await asyncio.sleep(0.05)
        await quiet(app)
        got["answered"] = rss_mb()
        prompt.insert(LONG)
        await quiet(app)
        got["pasted"] = rss_mb()
    return got


async def child_idle(turns: int, base_url: str) -> dict[str, float]:
    app = app_for(base_url)
    async with app.run_test(size=long_history.SIZE) as pilot:
        await app.session.engine_ready.wait()
        await pilot.pause(0.5)
        return {"idle": rss_mb()}


CHILDREN = {"minute": child_minute, "idle": child_idle}


def run_child(kind: str, home: Path, turns: int) -> dict[str, float]:
    """One measurement in a fresh process, on a copy of the built store."""
    return common.run_child(__file__, kind, home, turns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1000)
    common.store_arguments(parser, CHILDREN)
    args = parser.parse_args()
    if args.child:
        isolate(args.home)
        with ServerProcess() as server:
            server.queue_text("Here is what the survey says next. " * 20, 40, 0.0)
            print(json.dumps(asyncio.run(CHILDREN[args.child](args.turns, server.base_url))))
        return
    got: dict[str, list[dict[str, float]]] = {kind: [] for kind in CHILDREN}
    with tempfile.TemporaryDirectory() as root:
        home = Path(root)
        long_history.build(home, args.turns)
        print(f"{args.turns} replies kept", flush=True)
        for round_ in range(args.rounds):
            for kind in CHILDREN if round_ % 2 == 0 else reversed(CHILDREN):
                got[kind].append(run_child(kind, home, args.turns))
            print(f"round {round_ + 1} of {args.rounds} done", flush=True)
    idle = [m["idle"] for m in got["idle"]]
    rows = []
    for step, words in STEPS.items():
        values = [m[step] for m in got["minute"]]
        limited = step != "pasted"  # the tokenizer is the same 27 MB in any conversation
        rows.append(
            Row(
                f"{args.turns} replies: {words}",
                spread(values, " MB"),
                f"{spread(idle, ' MB')} studio idle, empty chat",
                ratio(statistics.median(values), statistics.median(idle)),
                "< 150 MB" if limited else "-",
                not limited or statistics.median(values) < TARGET_MB,
            )
        )
    report("A writer's first minute in a reopened conversation: memory", rows)


if __name__ == "__main__":
    main()
