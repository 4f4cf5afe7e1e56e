"""Keeping and reopening conversations: what it costs the writer.

1. `History.save` as the chat pane calls it: once when a message is sent, once when the reply ends,
   rewriting only the current exchange. Timed at several history lengths, with replies of ~1.5 KB
   and a 100 KB `save_draft` every tenth turn, on the real SQLite file (with its fsyncs).
2. Reopening a kept conversation of N replies in the real app (headless, 120x40): from choosing it
   in F5's list to the first frame that shows its last reply's cost line, and the longest event-loop stall
   meanwhile (sampled every 10 ms).

    python benchmarks/reopen.py [--turns 10,50,200] [--runs 5]
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
REPLY = (
    "Here is a paragraph about the harbour survey, with **bold** words, a `code` span and a "
    "list:\n\n- one point\n- another point\n\n"
) * 8
DRAFT = "The harbour survey, line by line.\n" * 3000  # ~100 KB


def fake_turn(conversation, n: int) -> None:  # type: ignore[no-untyped-def]
    conversation.add_user(f"Question {n}: tell me more about the survey.")
    if n % 10 == 9:
        conversation.add_assistant(
            [
                {
                    "type": "tool_use",
                    "id": f"toolu_{n:04d}",
                    "name": "save_draft",
                    "input": {"filename": "survey.md", "content": DRAFT},
                }
            ]
        )
        conversation.add_tool_results(
            [
                {
                    "type": "tool_result",
                    "tool_use_id": f"toolu_{n:04d}",
                    "content": "Saved drafts/survey.md: 18000 words.",
                }
            ]
        )
    conversation.add_assistant([{"type": "text", "text": f"Reply {n}. " + REPLY}])


def build(store_path: Path, turns: int) -> tuple[int, list[float]]:
    """A kept conversation of `turns` replies, saved as the app saves it; the save times (ms)."""
    from studio.core.conversation import Conversation
    from studio.core.history import History
    from studio.core.keeper import Keeper
    from studio.core.store import Store
    from studio.core.usage import TokenUsage, price_reply

    keeper = Keeper()
    history = History(Store(store_path), keeper)
    conversation = Conversation()
    cost = price_reply("claude-sonnet-4-6", TokenUsage(input=2000, output=400), None)
    times = []
    for n in range(turns):
        start = len(conversation.messages)
        began = time.perf_counter()
        fake_turn(conversation, n)
        history.save(conversation, start)
        history.save(conversation, start, "claude-sonnet-4-6", n + 1)
        keeper.flush(60)  # time until the writes land, on the Keeper's thread
        times.append((time.perf_counter() - began) * 1000 / 2)
        assert history.store is not None and history.session_id is not None
        history.store.record(cost, session=history.session_id, reply=n + 1)
    assert history.session_id is not None
    return history.session_id, times


async def reopen(turns: int) -> tuple[float, float]:
    """Seconds from Enter in F5's list to the last reply on screen; the longest loop stall (ms)."""
    from studio.config import Settings
    from studio.ui.app import StudioApp
    from studio.ui.dialogs import Conversations

    settings = Settings(api_key=BENCH_KEY, base_url="http://127.0.0.1:9", drafts_dir=Path("drafts"))
    app = StudioApp(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        for _ in range(500):
            if isinstance(app.screen, Conversations):
                break
            await asyncio.sleep(0.01)
        else:
            raise SystemExit("F5 did not open the conversations list")
        await pilot.pause(0.2)
        lags: list[float] = []
        stop = False

        async def probe() -> None:
            while not stop:
                before = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append((time.perf_counter() - before - 0.01) * 1000)

        task = asyncio.create_task(probe())
        began = time.perf_counter()
        pressing = asyncio.create_task(pilot.press("enter"))  # press() waits for idle: don't
        last = "$0.012 · in 2,000 · out 400"  # the meta line of a reply, shown at the bottom
        deadline = time.perf_counter() + 60
        while True:
            if time.perf_counter() > deadline:
                raise SystemExit(
                    "the reopened conversation never showed its last reply:\n"
                    + "\n".join(s.text for s in app.screen._compositor.render_strips())
                )
            strips = app.screen._compositor.render_strips()
            if any(last in strip.text for strip in strips) and not isinstance(app.screen, Conversations):
                break
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - began
        await pressing
        stop = True
        await task
    return elapsed, max(lags, default=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", default="10,50,200")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for turns in (int(t) for t in args.turns.split(",")):
        shown, stalls, saves = [], [], []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as home:
                for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
                    os.environ[name] = str(Path(home) / name.lower())
                os.chdir(home)
                from studio import locations

                _, times = build(locations.data_dir() / "studio.db", turns)
                saves.append(statistics.median(times[-10:]))
                elapsed, stall = asyncio.run(reopen(turns))
                shown.append(elapsed * 1000)
                stalls.append(stall)
        print(
            f"{turns:>4} replies: save at the end {statistics.median(saves):6.1f} ms   "
            f"reopen to last reply on screen {statistics.median(shown):7.0f} ms "
            f"(max {max(shown):.0f})   longest stall {statistics.median(stalls):5.0f} ms",
            flush=True,
        )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
