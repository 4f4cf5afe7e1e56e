"""Streaming a long reply into the chat: does the event loop stay free, and does the screen keep up?

Drives the real app headless (Textual's run_test, 120x40) against the loopback Messages API through
the real SDK, as the Pilot tests do. While a reply streams, a probe task sleeps 10 ms in a loop on
the app's event loop and records how late each wake-up is: that lateness is how long a key press or
a repaint would have waited. Frames are counted where the screen hands its update to the driver
(headless: composed, not written to a terminal). The clock starts at the Enter press; "first text"
is the first frame whose chat pane shows the reply's first word, "on screen" the first frame that
shows its last words with the turn finished.

Scenarios: a long reply as fast as the server can send it, one at a realistic pace, and a long
session (earlier replies already in the chat, grown through real turns) with one more reply on top.

    python benchmarks/stream_render.py [--fast-kb 70] [--paced-kb 15] [--checkpoints 20,50,100]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studio.loopback import LoopbackServer
    from studio.ui.app import StudioApp
    from studio.ui.chat import AssistantMessage

BENCH_KEY = "sk-ant-bench-0123456789abcdefghij"
SIZE = (120, 40)
FIRST_WORD = "Zephyrine"  # the reply's first heading; nothing else on screen says it
FINAL_WORDS = "That is the whole reply, signed Marlowe."
TICK = 0.010  # seconds the responsiveness probe sleeps between wake-ups
TIMEOUT = 120.0  # seconds one reply may take before the run is called stuck


# -- the text Claude "writes" ---------------------------------------------------------------------

SECTION = """\
## Section {n}: the harbour survey

The survey boats left at dawn and came back with **{n} soundings** per mile, more than the old \
charts ever held. Every reading was logged twice, once by hand and once by the `depth-logger`, \
and the two agreed to within a hand's breadth. *Nothing here is surprising*, but it is all new.

- The north channel is deeper than charted by about two metres.
- The breakwater's footing has shifted; see [the diver's notes](https://example.org/notes/{n}).
- Buoy {n} drifted forty metres east and was reset on the second day.

1. Re-survey the outer bar before the spring tides.
2. Replace the chain on buoys {n} and {n}a.
3. Publish the corrected chart to the harbour office.

```python
def sounding(depth_m: float, tide_m: float) -> float:
    \"\"\"Chart datum depth: what the lead line read, less the tide at that minute.\"\"\"
    return round(depth_m - tide_m, 1)  # section {n}
```

> The sea does not read the chart. Keep sounding.

"""


def long_reply(size: int) -> str:
    """Markdown of about `size` characters: a heading, then whole sections, then the final words."""
    head = f"# {FIRST_WORD} harbour report\n\nWhat the survey found, section by section.\n\n"
    parts, total, n = [head], len(head), 0
    while True:
        n += 1
        section = SECTION.format(n=n)
        if total + len(section) + len(FINAL_WORDS) > size and n > 1:
            break
        parts.append(section)
        total += len(section)
    parts.append(FINAL_WORDS)
    return "".join(parts)


def short_reply(n: int) -> str:
    """An earlier, ordinary reply (~500 characters) for the long-session history."""
    return (f"### Note {n}\n\nHere is a tighter version of paragraph {n}. It keeps the *claim* and "
            f"drops the hedging, so it reads faster:\n\n- first, the finding\n- then, the **number**"
            f"\n- last, what to do about it\n\nThe tide tables for week {n} are attached below, "
            "and the `sounding()` helper is unchanged. Ask if you want the longer cut back; the "
            "cost of keeping both is one more page in the appendix.")


# -- measuring ------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class LagProbe:
    """Sleeps TICK on the event loop, again and again, and records how late each wake-up is."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + TICK
            await asyncio.sleep(TICK)
            self.lags.append(loop.time() - expected)

    @contextmanager
    def running(self) -> Iterator[LagProbe]:
        """Measure while the block runs; keep the lags gathered before."""
        self._task = asyncio.get_running_loop().create_task(self._run())
        try:
            yield self
        finally:
            self._task.cancel()

    def summary(self) -> tuple[float, float, float]:
        """Median, p99 and worst lag, in milliseconds."""
        ms = [lag * 1000 for lag in self.lags]
        return (statistics.median(ms) if ms else 0.0, percentile(ms, 0.99), max(ms, default=0.0))


@dataclass
class Reply:
    """One reply being watched: when its text reached the screen and the turn ended."""

    sent: float
    widget: AssistantMessage | None = None
    mounted: float | None = None
    last_delta: float | None = None
    first_text: float | None = None
    on_screen: float | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Watch:
    """Hooks into one app: counts frames, times mounts, notices a watched reply reaching the screen.

    Only the app instance's _display and two class methods are wrapped, and only to record times;
    the app's own code runs unchanged. Screen text is read only until the condition it waits for
    holds, so the watching itself costs little.
    """

    def __init__(self, app: StudioApp) -> None:
        from ui_helpers import chat_text

        from studio.ui.chat import AssistantMessage, ChatView

        self.app = app
        self.frames = 0
        self.replies_added = 0
        self.mount_seconds: list[float] = []
        self.reply: Reply | None = None
        self._chat_text = chat_text
        display = app._display

        def counting_display(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is not None and not app._batch_count:
                self.frames += 1
                self._check(time.perf_counter())

        app._display = counting_display  # type: ignore[method-assign]
        watch = self
        add, append = ChatView.add, AssistantMessage.append

        async def timed_add(view: ChatView, widget: Any) -> None:
            started = time.perf_counter()
            await add(view, widget)
            if isinstance(widget, AssistantMessage):
                watch.mount_seconds.append(time.perf_counter() - started)
                watch.replies_added += 1
                if watch.reply is not None and watch.reply.widget is None:
                    watch.reply.widget, watch.reply.mounted = widget, time.perf_counter()

        async def timed_append(message: AssistantMessage, fragment: str) -> None:
            await append(message, fragment)
            if watch.reply is not None and message is watch.reply.widget:
                watch.reply.last_delta = time.perf_counter()

        ChatView.add = timed_add  # type: ignore[method-assign]
        AssistantMessage.append = timed_append  # type: ignore[method-assign]

    def _check(self, now: float) -> None:
        reply = self.reply
        if reply is None or reply.widget is None or reply.done.is_set():
            return
        text = reply.widget.text
        if reply.first_text is None and text and self._text_shown(reply.widget):
            reply.first_text = now
        finished = text.endswith(FINAL_WORDS) and not self.app.chat_pane.turn_running
        if reply.on_screen is None and finished and FINAL_WORDS in self._chat_text(self.app):
            reply.on_screen = now
            reply.done.set()


    def _text_shown(self, widget: AssistantMessage) -> bool:
        """Whether some of the reply's text is on screen: a fast stream can scroll the first
        heading out of view before the first frame, so any rendered Markdown block counts."""
        if FIRST_WORD in self._chat_text(self.app):
            return True
        chat = self.app.query_one("#chat").region
        blocks = widget.query("MarkdownBlock")
        return any(block.region.overlaps(chat) and block.region.height for block in blocks)


@dataclass
class Result:
    """The figures for one streamed reply."""

    label: str
    chars: int
    chunk: str
    first_text: float
    on_screen: float
    backlog: float  # last text delta handed to the widget -> final words on screen
    lag: tuple[float, float, float]
    frames: int
    mount: float

    @property
    def rate(self) -> float:
        return self.chars / self.on_screen


async def stream_one(pilot: Any, app: StudioApp, watch: Watch, server: LoopbackServer, label: str,
                     text: str, chunk_size: int, chunk_delay: float) -> Result:
    """Send one message, let `text` stream back, and time it with the lag probe running."""
    from ui_helpers import send

    from studio.loopback import TextReply

    server.queue(TextReply(text, chunk_size=chunk_size, chunk_delay=chunk_delay))
    probe = LagProbe()
    frames_before = watch.frames
    with probe.running():
        reply = watch.reply = Reply(sent=time.perf_counter())
        await send(pilot, "Write the whole harbour report, please.")
        try:
            await asyncio.wait_for(reply.done.wait(), TIMEOUT)
        except TimeoutError:
            raise RuntimeError(f"{label}: the reply was not on screen after {TIMEOUT:.0f} s") from None
    watch.reply = None
    if not (reply.first_text and reply.on_screen and reply.last_delta and reply.mounted):
        raise RuntimeError(f"{label}: a moment was not seen: {reply}")
    if reply.widget is None or reply.widget.text != text:
        raise RuntimeError(f"{label}: the reply's text differs from what the server sent")
    return Result(label, len(text), f"{chunk_size}/{chunk_delay * 1000:g}ms",
                  reply.first_text - reply.sent, reply.on_screen - reply.sent,
                  reply.on_screen - reply.last_delta, probe.summary(), watch.frames - frames_before,
                  watch.mount_seconds[-1])


async def short_turn(pilot: Any, app: StudioApp, watch: Watch, server: LoopbackServer, n: int) -> float:
    """One ordinary exchange through the app; seconds from Enter to the turn's end."""
    from ui_helpers import send

    from studio.loopback import TextReply

    server.queue(TextReply(short_reply(n), chunk_size=40))
    before = watch.replies_added
    started = time.perf_counter()
    await send(pilot, f"Tighten paragraph {n}.")
    deadline = started + TIMEOUT
    while watch.replies_added == before or app.chat_pane.turn_running:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"short turn {n} did not finish")
        await asyncio.sleep(0.002)
    return time.perf_counter() - started


# -- the scenarios --------------------------------------------------------------------------------

@dataclass
class SessionRow:
    """The long-session figures at one history size."""

    replies: int
    turn_ms: float
    mount_ms: float
    growth_lag_max: float
    result: Result


async def run_app(server: LoopbackServer, tmp: Path,
                  body: Callable[[Any, StudioApp, Watch], Awaitable[None]]) -> None:
    """A fresh app in a 120x40 headless terminal, ready to send (engine loaded)."""
    from ui_helpers import make_app

    app = make_app(server, BENCH_KEY, tmp)
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.engine_ready.wait(), 30)
        await pilot.pause(0.2)
        watch = Watch(app)
        await body(pilot, app, watch)


async def bench(args: argparse.Namespace, tmp: Path) -> None:
    from studio.loopback import LoopbackServer

    results: list[Result] = []
    session: list[SessionRow] = []
    idle = LagProbe()

    async def single(pilot: Any, app: StudioApp, watch: Watch) -> None:
        with idle.running():
            await asyncio.sleep(1.0)
        results.append(await stream_one(pilot, app, watch, server, "fast", long_reply(args.fast_kb * 1024),
                                        args.fast_chunk, args.fast_delay))
        results.append(await stream_one(pilot, app, watch, server, "paced",
                                        long_reply(args.paced_kb * 1024), args.paced_chunk,
                                        args.paced_delay))

    async def long_session(pilot: Any, app: StudioApp, watch: Watch) -> None:
        n = 0
        for checkpoint in args.checkpoints:
            turns: list[float] = []
            first_mount = len(watch.mount_seconds)
            probe = LagProbe()
            with probe.running():
                while watch.replies_added < checkpoint:
                    n += 1
                    turns.append(await short_turn(pilot, app, watch, server, n))
            recent = turns[-10:] or [0.0]
            mounts = watch.mount_seconds[first_mount:][-10:] or [0.0]
            replies = watch.replies_added
            result = await stream_one(pilot, app, watch, server, f"+1 at {replies}",
                                      long_reply(args.session_kb * 1024), args.fast_chunk,
                                      args.fast_delay)
            session.append(SessionRow(replies, statistics.median(recent) * 1000,
                                      statistics.median(mounts) * 1000, probe.summary()[2], result))
            print(f"  ... {replies} replies in the chat", file=sys.stderr, flush=True)

    started = time.perf_counter()
    with LoopbackServer(api_key=BENCH_KEY) as server:
        await run_app(server, tmp / "one", single)
        if args.checkpoints:
            await run_app(server, tmp / "session", long_session)
    report(results, session, idle, time.perf_counter() - started)


def report(results: list[Result], session: list[SessionRow], idle: LagProbe, wall: float) -> None:
    """The tables: one row per streamed reply, then the long session."""
    print(f"\nstream_render: {SIZE[0]}x{SIZE[1]} headless, lag probe ticks every {TICK * 1000:g} ms; "
          f"idle lag median/p99/max {idle.summary()[0]:.1f}/{idle.summary()[1]:.1f}/"
          f"{idle.summary()[2]:.1f} ms\n")
    head = (f"{'reply':<12} {'chars':>7} {'chunk/delay':>11} {'first':>7} {'on scr':>8} "
            f"{'backlog':>8} {'chars/s':>8} {'lag p50':>8} {'p99':>7} {'max':>7} {'frames':>7} "
            f"{'fps':>5}")
    print(head)
    print("-" * len(head))
    for r in results + [row.result for row in session]:
        print(f"{r.label:<12} {r.chars:>7,} {r.chunk:>11} {r.first_text * 1000:>5.0f}ms "
              f"{r.on_screen:>7.2f}s {r.backlog * 1000:>6.0f}ms {r.rate:>8,.0f} {r.lag[0]:>6.1f}ms "
              f"{r.lag[1]:>5.0f}ms {r.lag[2]:>5.0f}ms {r.frames:>7} {r.frames / r.on_screen:>5.1f}")
    if session:
        print(f"\nlong session: ordinary turns (~{len(short_reply(0))} chars each) through the app")
        head = (f"{'replies':>8} {'turn (med, last 10)':>20} {'mount reply':>12} "
                f"{'max lag while growing':>22} {'+1 reply: lag p99/max':>22}")
        print(head)
        print("-" * len(head))
        for row in session:
            print(f"{row.replies:>8} {row.turn_ms:>18.0f}ms {row.mount_ms:>10.1f}ms "
                  f"{row.growth_lag_max:>20.0f}ms {row.result.lag[1]:>13.0f}/{row.result.lag[2]:.0f}ms")
    print("\nfirst: Enter -> first word on screen; on scr: Enter -> last words on screen, turn over; "
          "backlog: last text delta -> on screen.")
    print(f"total wall time {wall:.0f} s")


# -- running --------------------------------------------------------------------------------------

def isolate(tmp: Path) -> None:
    """XDG dirs, cwd and credentials as the tests have them: nothing real is read or written."""
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[name] = str(tmp / name.lower())
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        os.environ.pop(name, None)
    os.chdir(tmp)
    tests = Path(__file__).resolve().parents[1] / "tests"
    sys.path.insert(0, str(tests))
    # ui_helpers (the Pilot helpers the UI tests use) is imported inside the functions: it imports
    # studio, which must only happen now that the environment is set.


def checkpoints(text: str) -> list[int]:
    """'20,50,100' -> [20, 50, 100]; '' -> no long-session scenario."""
    values = [int(part) for part in text.split(",") if part.strip()]
    if values != sorted(values) or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("checkpoints must be positive and increasing")
    return values


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fast-kb", type=int, default=70, help="fast reply size (default 70 KB)")
    parser.add_argument("--fast-chunk", type=int, default=40, help="fast chars per delta (default 40)")
    parser.add_argument("--fast-delay", type=float, default=0.0,
                        help="fast seconds between deltas (default 0: as fast as the server sends)")
    parser.add_argument("--paced-kb", type=int, default=15, help="paced reply size (default 15 KB)")
    parser.add_argument("--paced-chunk", type=int, default=12, help="paced chars per delta (default 12)")
    parser.add_argument("--paced-delay", type=float, default=0.01,
                        help="paced seconds between deltas (default 0.01)")
    parser.add_argument("--checkpoints", type=checkpoints, default=[20, 50, 100],
                        help="history sizes for the long session, e.g. 20,50,100 ('' to skip)")
    parser.add_argument("--session-kb", type=int, default=15,
                        help="the reply streamed on top of the history, sent like the fast one "
                             "(default 15 KB)")
    args = parser.parse_args()
    if min(args.fast_kb, args.paced_kb, args.session_kb, args.fast_chunk, args.paced_chunk) < 1:
        parser.error("sizes and chunks must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="studio-stream-render-") as tmp:
        isolate(Path(tmp))
        asyncio.run(bench(args, Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
