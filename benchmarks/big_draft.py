"""Big drafts in the editor: opening 1 MB, typing in it, and a 900 KB save_draft streaming into it.

Two shapes of the same Markdown: in paragraphs (about 18,000 lines), and on one single line (the
newlines made spaces). Each measurement runs in a fresh process (so memory figures are its own),
rounds interleaved, each beside its floor measured in the same run:

- open: from asking for the draft (studio: DraftPane reads the file and loads it; floor: the same
  file read into a bare Textual TextArea without soft wrap, the least Textual does with that text)
  to the first screen that shows it; headless, 120x36.
- key press: characters typed in the middle of the draft, ten a second, each from the key event
  to the repainted screen (background work holding the interpreter counts); p50, p95, max; and
  the longest event-loop stall over the whole typing (autosave copies included).
- save_draft: the whole studio (real SDK, engine, UI) against the loopback server in its own
  process, sending a message answered by a save_draft of 900 KB; the longest event-loop stall
  (a key typed then would have waited that long), the time to the text in the editor and on disk,
  and the peak memory. Floor: the engine alone with the same reply.

    python benchmarks/big_draft.py [--rounds 3] [--only open|stream] [--keys 60]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH_KEY, FRAME_MS, LagProbe, Row, ServerProcess, isolate, percentile, report, rss_mb

OPEN_SIZE = 1_000_000
STREAM_SIZE = 900 * 1024
SIZE = (120, 36)
KEYS = "the quick brown fox jumps over the lazy dog and then some more "
KEY_GAP = 0.1  # seconds between key presses: a fast typist
MARK = "Launch notes"  # the draft's first words: on screen once it is shown
SHAPES = ("paragraphs", "one line")


def draft(size: int, shape: str) -> str:
    """Deterministic Markdown of exactly `size` characters, in paragraphs or on one line."""
    paragraph = (
        "The launch is on Tuesday. Every writer gets the new editor, the drafts folder and "
        "the cost sidebar; nothing to install, nothing to configure.\n\n"
    )
    parts, n, total = ["# Launch notes\n\n"], 0, 0
    while total < size:
        n += 1
        parts.append(f"## Section {n}\n\n{paragraph * 3}")
        total += len(parts[-1])
    text = "".join(parts)[:size]
    return text.replace("\n", " ") if shape == "one line" else text


# -- one measurement, in its own process ---------------------------------------------------------


async def open_and_type(kind: str, shape: str, tmp: Path, keys_typed: int) -> dict[str, Any]:
    """Open the draft, then type KEYS in its middle: milliseconds to the first screen showing it,
    and per key."""
    from textual.app import App, ComposeResult
    from textual.widgets import TextArea
    from ui_helpers import make_app, screen_text

    text = draft(OPEN_SIZE, shape)
    drafts = tmp / "drafts"
    drafts.mkdir(parents=True, exist_ok=True)
    (drafts / "big.md").write_text(text, encoding="utf-8")

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield TextArea(soft_wrap=False)

    app: Any = make_app(None, BENCH_KEY, tmp) if kind == "studio" else Bare()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        if kind == "studio":
            pane = app.main_screen.draft_pane
            area = pane.editor
            started = time.perf_counter()
            await pane._open("big.md")
        else:
            area = app.query_one(TextArea)
            started = time.perf_counter()
            area.load_text((drafts / "big.md").read_text(encoding="utf-8"))
        while MARK not in screen_text(app):
            await pilot.pause()
        opened = time.perf_counter() - started
        area.focus()
        row = area.document.line_count // 2
        area.move_cursor((row, len(area.document[row]) // 2), center=True)
        await asyncio.sleep(1.0)  # what opening started (the sidebar's estimate) is done
        await pilot.pause()
        keys, probe = [], LagProbe()
        with probe.running():
            for key in KEYS[:keys_typed]:
                keys.append(await echo(app, area, row, key))
                await asyncio.sleep(KEY_GAP)
        typed = area.text
        if KEYS[:keys_typed] not in typed or len(typed) != OPEN_SIZE + keys_typed:
            raise RuntimeError(f"{kind}: the keys did not land in the draft")
    return {"open_ms": opened * 1000, "key_ms": [k * 1000 for k in keys], "stall_ms": probe.summary()[2]}


async def echo(app: Any, area: Any, row: int, key: str) -> float:
    """Seconds from a key event (as the terminal driver sends it) to the screen repainted with the
    character in the document."""
    from textual import events

    length = len(area.document[row])
    event = events.Key("space" if key == " " else key, key)
    event.set_sender(app)
    started = time.perf_counter()
    app._driver.send_message(event)
    while len(area.document[row]) == length:
        await asyncio.sleep(0)
    app.screen._on_timer_update()  # the repaint the key caused, now
    return time.perf_counter() - started


class PeakMemory:
    """Samples this process's resident memory while the event loop runs."""

    def __init__(self) -> None:
        self.peak = rss_mb()

    async def run(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mb())
            await asyncio.sleep(0.05)


async def stream_studio(shape: str, tmp: Path, server: ServerProcess) -> dict[str, Any]:
    """The studio asked for a draft that Claude saves with save_draft: stalls, time, memory."""
    from ui_helpers import make_app, send

    text = draft(STREAM_SIZE, shape)
    queue_save(server, text)
    app = make_app(server, BENCH_KEY, tmp)
    async with app.run_test(size=SIZE) as pilot:
        await app.session.engine_ready.wait()  # the SDK is imported after the first paint
        await pilot.pause(0.5)
        memory, probe = PeakMemory(), LagProbe()
        sampler = asyncio.create_task(memory.run())
        on_disk = tmp / "drafts" / "big.md"
        with probe.running():
            started = time.perf_counter()
            await send(pilot, "Write the launch notes and save them as big.md")
            editor = app.main_screen.draft_pane.editor
            while not (on_disk.exists() and editor.text == text):
                await asyncio.sleep(0.02)
            elapsed = time.perf_counter() - started
        sampler.cancel()
        while app.session.running:  # the reply's last words, after the tool
            await asyncio.sleep(0.1)
        if on_disk.read_text(encoding="utf-8") != text:
            raise RuntimeError("the draft on disk differs from what Claude saved")
    return {"total_s": elapsed, "stall_ms": probe.summary()[2], "peak_mb": memory.peak}


async def stream_engine(shape: str, tmp: Path, server: ServerProcess) -> dict[str, Any]:
    """The engine alone, with the same reply: the floor of the save_draft figures."""
    from studio.core.catalog import Catalog
    from studio.core.conversation import Conversation
    from studio.core.drafts import DraftStore
    from studio.core.engine import Engine, EngineConfig
    from studio.core.workspace import Workspace

    text = draft(STREAM_SIZE, shape)
    queue_save(server, text)
    workspace = Workspace(DraftStore(tmp / "drafts"))
    engine = Engine(
        EngineConfig(api_key=BENCH_KEY, base_url=server.base_url, max_retries=0), Catalog.builtin(), workspace
    )
    await engine.list_models()  # as the studio does at start: the SDK and its client are ready
    memory, probe = PeakMemory(), LagProbe()
    sampler = asyncio.create_task(memory.run())
    conversation = Conversation()
    conversation.add_user("Write the launch notes and save them as big.md")
    with probe.running():
        started = time.perf_counter()
        async for _event in engine.run_turn(conversation, "claude-sonnet-4-6"):
            pass
        elapsed = time.perf_counter() - started
    sampler.cancel()
    await engine.aclose()
    if (tmp / "drafts" / "big.md").read_text(encoding="utf-8") != text:
        raise RuntimeError("the draft on disk differs from what Claude saved")
    return {"total_s": elapsed, "stall_ms": probe.summary()[2], "peak_mb": memory.peak}


def queue_save(server: ServerProcess, text: str) -> None:
    server.queue(
        {
            "kind": "tool",
            "name": "save_draft",
            "input": {"filename": "big.md", "content": text},
            "text": "Saving.",
        }
    )
    server.queue({"kind": "text", "text": "Saved."})


def one(case: str, kind: str, shape: str, keys_typed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="studio-big-draft-") as folder:
        tmp = Path(folder)
        isolate(tmp)
        if case == "open":
            return asyncio.run(open_and_type(kind, shape, tmp, keys_typed))
        with ServerProcess() as server:
            measure = stream_studio if kind == "studio" else stream_engine
            return asyncio.run(measure(shape, tmp, server))


# -- rounds, in fresh processes -----------------------------------------------------------------


def spawn(case: str, kind: str, shape: str, keys_typed: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--one", case, kind, shape, "--keys", str(keys_typed)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if done.returncode:
        raise RuntimeError(f"{case} {kind} {shape} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  {case:6} {kind:6} {shape:10} {compact(result)}", flush=True)
    return result


def compact(result: dict[str, Any]) -> str:
    if "key_ms" in result:
        keys = result["key_ms"]
        return (
            f"open {result['open_ms']:,.0f} ms, key p50 {percentile(keys, 0.5):.1f} ms "
            f"max {max(keys):.1f} ms, stall {result['stall_ms']:.0f} ms"
        )
    return f"{result['total_s']:.1f} s, stall {result['stall_ms']:,.0f} ms, peak {result['peak_mb']:,.0f} MB"


def med(results: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in results)


def keys_of(results: list[dict[str, Any]]) -> list[float]:
    return [k for r in results for k in r["key_ms"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=("open", "stream"))
    parser.add_argument("--keys", type=int, default=len(KEYS), help=f"keys typed (at most {len(KEYS)})")
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(*args.one, args.keys)))
        return 0
    cases = [c for c in ("open", "stream") if args.only in (None, c)]
    found: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for n in range(args.rounds):
        print(f"round {n + 1}", flush=True)
        for case in cases:
            for shape in SHAPES:
                kinds = ("studio", "floor") if case == "open" else ("studio", "engine")
                for kind in kinds if n % 2 == 0 else kinds[::-1]:
                    found.setdefault((case, kind, shape), []).append(spawn(case, kind, shape, args.keys))
    rows: list[Row] = []
    for shape in SHAPES:
        if "open" in cases:
            studio, floor = found[("open", "studio", shape)], found[("open", "floor", shape)]
            ms, floor_ms = med(studio, "open_ms"), med(floor, "open_ms")
            rows.append(
                Row(
                    f"open 1 MB ({shape}) to first paint",
                    f"{ms:,.0f} ms",
                    f"{floor_ms:,.0f} ms, bare TextArea without soft wrap",
                    f"{ms / floor_ms:.2f}x",
                    "< 500 ms",
                    ms < 500,
                )
            )
            keys, floor_keys = keys_of(studio), keys_of(floor)
            p95 = percentile(keys, 0.95)
            rows.append(
                Row(
                    f"key press in 1 MB ({shape}), p50 / p95 / max",
                    f"{percentile(keys, 0.5):.1f} / {p95:.1f} / {max(keys):.1f} ms",
                    f"{percentile(floor_keys, 0.5):.1f} / {percentile(floor_keys, 0.95):.1f} / "
                    f"{max(floor_keys):.1f} ms, same TextArea",
                    f"{p95 / percentile(floor_keys, 0.95):.2f}x (p95)",
                    f"< {FRAME_MS:.1f} ms (p95)",
                    p95 < FRAME_MS,
                )
            )
            stall, floor_stall = med(studio, "stall_ms"), med(floor, "stall_ms")
            rows.append(
                Row(
                    f"typing in 1 MB ({shape}): longest stall",
                    f"{stall:,.0f} ms",
                    f"{floor_stall:,.0f} ms, same TextArea",
                    f"{stall / floor_stall:.2f}x",
                    "< 50 ms",
                    stall < 50,
                )
            )
        if "stream" in cases:
            studio, engine = found[("stream", "studio", shape)], found[("stream", "engine", shape)]
            stall, floor_stall = med(studio, "stall_ms"), med(engine, "stall_ms")
            rows.append(
                Row(
                    f"900 KB save_draft ({shape}): longest stall",
                    f"{stall:,.0f} ms",
                    f"{floor_stall:,.0f} ms, the engine alone",
                    f"{stall / floor_stall:.2f}x",
                    "< 50 ms",
                    stall < 50,
                )
            )
            total, floor_total = med(studio, "total_s"), med(engine, "total_s")
            peak, floor_peak = med(studio, "peak_mb"), med(engine, "peak_mb")
            rows.append(
                Row(
                    f"900 KB save_draft ({shape}): total, peak memory",
                    f"{total:.1f} s, {peak:,.0f} MB",
                    f"{floor_total:.1f} s, {floor_peak:,.0f} MB, the engine alone",
                    f"{total / floor_total:.2f}x",
                    "-",
                    True,
                )
            )
    report(f"Big drafts ({args.rounds} rounds, medians; key presses pooled)", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
