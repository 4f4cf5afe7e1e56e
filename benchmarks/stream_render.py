"""Streaming a long reply into the chat: does the event loop stay free, and does the screen keep up?

Drives the real app headless (Textual's run_test, 120x40) against the loopback Messages API through
the real SDK, as the Pilot tests do. While a reply streams, a probe task sleeps 10 ms in a loop on
the app's event loop and records how late each wake-up is: that lateness is how long a key press or
a repaint would have waited. Frames are counted where the screen hands its update to the driver
(headless: composed, not written to a terminal). The clock starts at the Enter press; "first text"
is the first frame whose chat pane shows the reply's first word, "on screen" the first frame that
shows its last words with the turn finished.

Scenarios, each in a fresh app in a child process of its own: a long reply as fast as the server
can send it; one at a realistic pace (and, as its ceiling, the same reply read by the engine with no
UI); and a long session: earlier exchanges mounted (or, with --grow turns, sent as real turns), a
few real turns timed, then one more long reply streamed on top, at each history size. The loopback
server runs in a process of its own (--server thread puts it in the measured process, as in the
tests, where it shares the GIL).

    python benchmarks/stream_render.py [--fast-kb 70] [--paced-kb 15] [--checkpoints 20,50,100]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # shared with the other benchmarks; puts tests/ on the path
    BENCH_KEY,
    TICK,
    LagProbe,
    ServerProcess,
    ServerThread,
    isolate,
)

if TYPE_CHECKING:
    from studio.ui.app import StudioApp
    from studio.ui.reply_view import AssistantMessage

SIZE = (120, 40)
FIRST_WORD = "Zephyrine"  # the reply's first heading; nothing else on screen says it
FINAL_WORDS = "That is the whole reply, signed Marlowe."
TIMEOUT = 120.0  # seconds one reply may take before the run is called stuck
RESULT_MARK = "stream_render-result: "  # how a scenario's child process hands back its figures


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
    """An earlier, ordinary reply (~380 characters) for the long-session history."""
    return (
        f"### Note {n}\n\nHere is a tighter version of paragraph {n}. It keeps the *claim* and "
        f"drops the hedging, so it reads faster:\n\n- first, the finding\n- then, the **number**"
        f"\n- last, what to do about it\n\nThe tide tables for week {n} are attached below, "
        "and the `sounding()` helper is unchanged. Ask if you want the longer cut back; the "
        "cost of keeping both is one more page in the appendix."
    )


# -- measuring ------------------------------------------------------------------------------------


@dataclass
class Reply:
    """One reply being watched: when its text reached the screen and the turn ended."""

    sent: float
    widget: AssistantMessage | None = None
    mounted: float | None = None
    last_delta: float | None = None
    ended: float | None = None  # the stream's end: the reply told its text is complete
    first_text: float | None = None
    on_screen: float | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Watch:
    """Hooks into one app: counts frames, times mounts, notices a watched reply reaching the screen.

    Only the app instance's _display and three methods are wrapped, and only to record times; the
    app's own code runs unchanged, and close() puts the methods back (else the wrappers would keep
    this app alive, and whatever runs next in the process would collect garbage around it). Screen text is
    read only until the condition it waits for holds, so the watching itself costs little.
    """

    def __init__(self, app: StudioApp) -> None:
        from textual.screen import Screen
        from ui_helpers import chat_text

        from studio.ui.chat import ChatView
        from studio.ui.reply_view import AssistantMessage

        self.app = app
        self.frames = 0
        self.replies_added = 0
        self.mount_seconds: list[float] = []
        self.layout_seconds: list[float] = []  # Screen._refresh_layout: arranging every widget
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
        add, append, finish = ChatView.add, AssistantMessage.append, AssistantMessage.finish
        refresh_layout = Screen._refresh_layout

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

        async def timed_finish(message: AssistantMessage) -> None:
            if watch.reply is not None and message is watch.reply.widget and watch.reply.ended is None:
                watch.reply.ended = time.perf_counter()
            await finish(message)

        def timed_refresh_layout(screen: Screen[Any], *args: Any, **kwargs: Any) -> None:
            started = time.perf_counter()
            refresh_layout(screen, *args, **kwargs)
            watch.layout_seconds.append(time.perf_counter() - started)

        ChatView.add = timed_add  # type: ignore[method-assign]
        Screen._refresh_layout = timed_refresh_layout  # type: ignore[method-assign]
        AssistantMessage.append = timed_append  # type: ignore[method-assign]
        AssistantMessage.finish = timed_finish  # type: ignore[method-assign]
        self._originals: list[tuple[type, str, Any]] = [
            (ChatView, "add", add),
            (AssistantMessage, "append", append),
            (AssistantMessage, "finish", finish),
            (Screen, "_refresh_layout", refresh_layout),
        ]

    def close(self) -> None:
        """Put the wrapped methods back and let go of the app."""
        for owner, name, original in self._originals:
            setattr(owner, name, original)
        del self.app._display
        self.reply = None

    def _check(self, now: float) -> None:
        reply = self.reply
        if reply is None or reply.widget is None or reply.done.is_set():
            return
        text = reply.widget.text
        if reply.first_text is None and text and self._text_shown(reply.widget):
            reply.first_text = now
        # The last words are on screen whether or not the turn has ended: a frame may show them
        # before the stream's closing events arrive (stream_one waits for the turn's end too).
        last_in = text.endswith(FINAL_WORDS)
        if reply.on_screen is None and last_in and FINAL_WORDS in self._chat_text(self.app):
            reply.on_screen = now
            reply.done.set()

    def _text_shown(self, widget: AssistantMessage) -> bool:
        """Whether some of the reply's text is on screen: a fast stream can scroll the first
        heading out of view before the first frame, so any of the reply's text widgets counts."""
        if FIRST_WORD in self._chat_text(self.app):
            return True
        chat = self.app.query_one("#chat").region
        texts = [child for child in widget.children if not child.has_class("meta")]
        return any(child.region.overlaps(chat) and child.region.height for child in texts)


@dataclass
class Result:
    """The figures for one streamed reply."""

    label: str
    chars: int
    chunk: str
    first_text: float
    on_screen: float
    backlog: float  # last text delta handed to the widget -> final words on screen
    after_end: float  # the stream's end -> final words on screen (0: shown by then)
    lag: tuple[float, float, float]
    frames: int
    layout_max: float  # the slowest full layout pass while it streamed
    layout_share: float  # of the time from Enter to on screen, how much went to layout passes
    widgets: int  # widgets on the screen once the reply is in
    full_gcs: list[float]  # generation-2 collections while it streamed, seconds each

    @property
    def rate(self) -> float:
        return self.chars / self.on_screen


async def stream_one(
    pilot: Any,
    app: StudioApp,
    watch: Watch,
    server: ServerThread,
    label: str,
    text: str,
    chunk_size: int,
    chunk_delay: float,
) -> Result:
    """Send one message, let `text` stream back, and time it with the lag probe running."""
    from ui_helpers import send

    server.queue_text(text, chunk_size, chunk_delay)
    probe = LagProbe()
    frames_before, layouts_before = watch.frames, len(watch.layout_seconds)
    with probe.running():
        reply = watch.reply = Reply(sent=time.perf_counter())
        await send(pilot, "Write the whole harbour report, please.")
        try:
            await asyncio.wait_for(reply.done.wait(), TIMEOUT)
        except TimeoutError:
            raise RuntimeError(f"{label}: the reply was not on screen after {TIMEOUT:.0f} s") from None
        while app.session.running:  # the next round starts once this turn is over
            await asyncio.sleep(0.005)
    watch.reply = None
    if not (reply.first_text and reply.on_screen and reply.last_delta and reply.mounted and reply.ended):
        raise RuntimeError(f"{label}: a moment was not seen: {reply}")
    if reply.widget is None or reply.widget.text != text:
        raise RuntimeError(f"{label}: the reply's text differs from what the server sent")
    layouts = watch.layout_seconds[layouts_before:] or [0.0]
    total = reply.on_screen - reply.sent
    return Result(
        label,
        len(text),
        f"{chunk_size}/{chunk_delay * 1000:g}ms",
        reply.first_text - reply.sent,
        total,
        reply.on_screen - reply.last_delta,
        max(0.0, reply.on_screen - reply.ended),
        probe.summary(),
        watch.frames - frames_before,
        max(layouts),
        sum(layouts) / total,
        sum(1 for _ in app.screen.walk_children()),
        probe.full_gcs,
    )


async def short_turn(pilot: Any, app: StudioApp, watch: Watch, server: ServerThread, n: int) -> float:
    """One ordinary exchange through the app; seconds from Enter to the turn's end."""
    from ui_helpers import send

    server.queue_text(short_reply(n), 40, 0.0)
    before = watch.replies_added
    started = time.perf_counter()
    await send(pilot, f"Tighten paragraph {n}.")
    deadline = started + TIMEOUT
    while watch.replies_added == before or app.session.running:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"short turn {n} did not finish")
        await asyncio.sleep(0.002)
    return time.perf_counter() - started


async def mount_history(app: StudioApp, first: int, count: int) -> None:
    """`count` earlier exchanges, mounted at once with the widgets and calls a turn uses (ChatView.add,
    AssistantMessage.append/finish) and added to the conversation, but without a request each: the
    quick way to a long session. One layout pass at the end instead of several per exchange."""
    from studio.ui.chat import ChatView, UserMessage
    from studio.ui.reply_view import AssistantMessage

    chat = app.query_one(ChatView)
    name = app.session.catalog.info(app.session.model).name
    with app.batch_update():
        for n in range(first, first + count):
            question, answer = f"Tighten paragraph {n}.", short_reply(n)
            await chat.add(UserMessage(question))
            reply = AssistantMessage(name)
            await chat.add(reply)
            await reply.append(answer)
            await reply.finish()
            reply.set_meta("$0.0031 · in 812 · out 118")
            app.session.conversation.add_user(question)
            app.session.conversation.add_assistant([{"type": "text", "text": answer}])


# -- the scenarios --------------------------------------------------------------------------------


@dataclass
class SessionRow:
    """The long-session figures at one history size."""

    replies: int
    widgets: int  # on the screen before the +1 reply
    turn_ms: float
    mount_ms: float
    growth_lag_max: float
    result: Result


async def run_app(
    server: ServerThread, tmp: Path, body: Callable[[Any, StudioApp, Watch], Awaitable[None]], gc_mode: str
) -> None:
    """A fresh app in a 120x40 headless terminal, ready to send (engine loaded).

    gc_mode "freeze" or "off" is a what-if for the garbage collector's share of the lag: the
    objects made at start-up (SDK, Textual) moved out of the collector's reach, or no collection.
    """
    from ui_helpers import make_app

    app = make_app(server, BENCH_KEY, tmp)
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.session.engine_ready.wait(), 30)
        await pilot.pause(0.2)
        watch = Watch(app)
        gc.collect()
        if gc_mode == "freeze":
            gc.freeze()
        elif gc_mode == "off":
            gc.disable()
        try:
            await body(pilot, app, watch)
        finally:
            watch.close()
            gc.enable()
            gc.unfreeze()
    del app
    gc.collect()  # what runs next in this process starts without these widgets in the heap


async def engine_only(
    server: ServerThread, tmp: Path, label: str, text: str, chunk_size: int, chunk_delay: float
) -> Result:
    """The same reply read by the engine with no UI: the pace the server, SDK and engine allow."""
    from studio.config import DEFAULT_MODEL
    from studio.core.catalog import Catalog
    from studio.core.conversation import Conversation
    from studio.core.drafts import DraftStore
    from studio.core.engine import Engine, EngineConfig
    from studio.core.events import TextDelta
    from studio.core.workspace import Workspace

    engine = Engine(
        EngineConfig(api_key=BENCH_KEY, base_url=server.base_url, max_retries=0),
        Catalog.builtin(),
        Workspace(DraftStore(tmp / "drafts")),
    )
    conversation = Conversation()
    conversation.add_user("Write the whole harbour report, please.")
    server.queue_text(text, chunk_size, chunk_delay)
    probe, received, first = LagProbe(), [], 0.0
    try:
        with probe.running():
            started = time.perf_counter()
            async for event in engine.run_turn(conversation, DEFAULT_MODEL):
                if isinstance(event, TextDelta):
                    first = first or time.perf_counter()
                    received.append(event.text)
            ended = time.perf_counter()
    finally:
        await engine.aclose()
    if "".join(received) != text:
        raise RuntimeError(f"{label}: the engine received other text than the server sent")
    return Result(
        label,
        len(text),
        f"{chunk_size}/{chunk_delay * 1000:g}ms",
        first - started,
        ended - started,
        0.0,
        0.0,
        probe.summary(),
        0,
        0.0,
        0.0,
        0,
        probe.full_gcs,
    )


def run_scenario(name: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """One scenario in this process, its figures as plain data for the parent."""
    results: list[Result] = []
    session: list[SessionRow] = []
    idle = LagProbe()

    async def fast(pilot: Any, app: StudioApp, watch: Watch) -> None:
        with idle.running():
            await asyncio.sleep(1.0)
        results.append(
            await stream_one(
                pilot,
                app,
                watch,
                server,
                "fast",
                long_reply(args.fast_kb * 1024),
                args.fast_chunk,
                args.fast_delay,
            )
        )

    async def paced(pilot: Any, app: StudioApp, watch: Watch) -> None:
        results.append(
            await stream_one(
                pilot,
                app,
                watch,
                server,
                "paced",
                long_reply(args.paced_kb * 1024),
                args.paced_chunk,
                args.paced_delay,
            )
        )

    async def long_session(pilot: Any, app: StudioApp, watch: Watch) -> None:
        n = 0
        for checkpoint in args.checkpoints:
            if args.grow == "bulk":  # all but the last few exchanges at once, then real turns
                bulk = max(0, checkpoint - args.real_turns - watch.replies_added)
                await mount_history(app, n + 1, bulk)
                n += bulk
                await pilot.pause()
                await asyncio.sleep(0.2)
            turns: list[float] = []
            first_mount = len(watch.mount_seconds)
            probe = LagProbe()
            with probe.running():
                while watch.replies_added < checkpoint:
                    n += 1
                    turns.append(await short_turn(pilot, app, watch, server, n))
            recent = turns[-10:] or [0.0]  # the real turns only: bulk mounts are not timed
            mounts = watch.mount_seconds[first_mount:][-10:] or [0.0]
            replies = watch.replies_added
            widgets = sum(1 for _ in app.screen.walk_children())
            result = await stream_one(
                pilot,
                app,
                watch,
                server,
                f"+1 at {replies}",
                long_reply(args.session_kb * 1024),
                args.fast_chunk,
                args.fast_delay,
            )
            session.append(
                SessionRow(
                    replies,
                    widgets,
                    statistics.median(recent) * 1000,
                    statistics.median(mounts) * 1000,
                    probe.summary()[2],
                    result,
                )
            )
            print(f"  ... {replies} replies in the chat", file=sys.stderr, flush=True)

    async def no_ui() -> None:
        results.append(
            await engine_only(
                server,
                tmp,
                "paced, no UI",
                long_reply(args.paced_kb * 1024),
                args.paced_chunk,
                args.paced_delay,
            )
        )

    with ServerProcess() if args.server == "process" else ServerThread() as server:
        if name == "fast":
            asyncio.run(run_app(server, tmp / name, fast, args.gc))
        elif name == "paced":
            asyncio.run(run_app(server, tmp / name, paced, args.gc))
            if args.baseline:
                asyncio.run(no_ui())
        else:
            asyncio.run(run_app(server, tmp / name, long_session, args.gc))
    return {
        "results": [asdict(r) for r in results],
        "session": [asdict(row) for row in session],
        "idle": idle.summary() if idle.lags else None,
    }


def bench(args: argparse.Namespace) -> None:
    """Each scenario in a child process of its own: a finished app's leftovers (global render
    caches, a fragmented heap) make the next app's garbage collections up to twice as slow, so
    sharing one process would make the figures depend on the order they ran in."""
    started = time.perf_counter()
    results: list[Result] = []
    session: list[SessionRow] = []
    idle: tuple[float, float, float] | None = None
    for name in ["fast", "paced"] + (["session"] if args.checkpoints else []):
        child = subprocess.run(
            [sys.executable, __file__, *sys.argv[1:], "--scenario", name],
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
        lines = [line for line in child.stdout.splitlines() if line.startswith(RESULT_MARK)]
        if child.returncode or not lines:
            raise SystemExit(f"scenario {name!r} failed (exit status {child.returncode})")
        data = json.loads(lines[-1].removeprefix(RESULT_MARK))
        results += [result_from(r) for r in data["results"]]
        session += [SessionRow(**{**row, "result": result_from(row["result"])}) for row in data["session"]]
        idle = idle or (tuple(data["idle"]) if data["idle"] else None)
    grown = (
        f"mounted at once, the last {args.real_turns} before each size as real turns"
        if args.grow == "bulk"
        else "each sent as a real turn"
    )
    report(results, session, idle or (0.0, 0.0, 0.0), time.perf_counter() - started, grown, args.gc)


def result_from(data: dict[str, Any]) -> Result:
    """A Result back from its JSON form."""
    return Result(**{**data, "lag": tuple(data["lag"])})


def report(
    results: list[Result],
    session: list[SessionRow],
    idle: tuple[float, float, float],
    wall: float,
    grown: str,
    gc_mode: str,
) -> None:
    """The tables: one row per streamed reply, then how the long session grew."""
    p50, p99, worst = idle
    gc_note = "" if gc_mode == "on" else f" (what-if: --gc {gc_mode})"
    print(
        f"\nstream_render: {SIZE[0]}x{SIZE[1]} headless{gc_note}; lag = lateness of a {TICK * 1000:g} ms "
        f"sleep on the app's loop (idle: median {p50:.1f}, p99 {p99:.1f}, max {worst:.1f} ms)\n"
    )
    head = (
        f"{'reply':<12} {'chars':>7} {'chunk/gap':>9} {'widgets':>7} {'first':>7} {'on scr':>7} "
        f"{'backlog':>7} {'chars/s':>7} {'lag p50':>7} {'p99':>6} {'max':>6} {'fps':>5} "
        f"{'layout max':>10} {'share':>5} {'full gc n/sum/max':>17}"
    )
    print(head)
    print("-" * len(head))
    for r in results + [row.result for row in session]:
        ui = bool(r.widgets)  # the no-UI baseline has no widgets, frames, backlog or layout
        print(
            f"{r.label:<12} {r.chars:>7,} {r.chunk:>9} {f'{r.widgets:,}' if ui else '-':>7} "
            f"{r.first_text * 1000:>5.0f}ms {r.on_screen:>6.1f}s "
            f"{f'{r.backlog * 1000:.0f}ms' if ui else '-':>7} {r.rate:>7,.0f} {r.lag[0]:>5.1f}ms "
            f"{r.lag[1]:>4.0f}ms {r.lag[2]:>4.0f}ms {f'{r.frames / r.on_screen:.1f}' if ui else '-':>5} "
            f"{f'{r.layout_max * 1000:.0f}ms' if ui else '-':>10} "
            f"{f'{r.layout_share:.0%}' if ui else '-':>5} "
            f"{len(r.full_gcs):>5}/{sum(r.full_gcs):>4.1f}s/{max(r.full_gcs, default=0) * 1000:>4.0f}ms"
        )
    if session:
        print(
            f"\nlong session: earlier exchanges (~{len(short_reply(0))}-char replies) {grown}; "
            "then one more long reply as fast as the server sends it (+1 rows above)"
        )
        head = (
            f"{'replies':>7} {'widgets':>7} {'turn (median, real)':>19} "
            f"{'mount one reply':>15} {'max lag in real turns':>21}"
        )
        print(head)
        print("-" * len(head))
        for row in session:
            print(
                f"{row.replies:>7} {row.widgets:>7,} {row.turn_ms:>17.0f}ms {row.mount_ms:>13.1f}ms "
                f"{row.growth_lag_max:>19.0f}ms"
            )
    print(
        "\nfirst: Enter -> first reply text on screen. on scr: Enter -> last words on screen and turn "
        "over. backlog: last text delta\nhanded to the widget -> on screen. chars/s: chars / on scr. "
        "fps: frames painted per second of on scr. layout max:\nslowest full layout pass "
        "(Screen._refresh_layout, any collection it triggered included) while it streamed. share:"
        "\ntime in layout passes / on scr. full gc: generation-2 collections while it streamed: count, "
        "time in all, longest."
    )
    print(f"total wall time {wall:.0f} s")


# -- running --------------------------------------------------------------------------------------


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
    parser.add_argument(
        "--fast-delay",
        type=float,
        default=0.0,
        help="fast seconds between deltas (default 0: as fast as the server sends)",
    )
    parser.add_argument("--paced-kb", type=int, default=15, help="paced reply size (default 15 KB)")
    parser.add_argument("--paced-chunk", type=int, default=12, help="paced chars per delta (default 12)")
    parser.add_argument(
        "--paced-delay", type=float, default=0.01, help="paced seconds between deltas (default 0.01)"
    )
    parser.add_argument(
        "--checkpoints",
        type=checkpoints,
        default=[20, 50, 100],
        help="replies already in the chat when the long session streams one more "
        "(default 20,50,100; '' to skip)",
    )
    parser.add_argument(
        "--grow",
        choices=["bulk", "turns"],
        default="bulk",
        help="reach each history size by mounting earlier exchanges at once, then "
        "--real-turns real turns (bulk, default), or by real turns only (turns: "
        "slower, about 2 minutes more for 100)",
    )
    parser.add_argument(
        "--real-turns",
        type=int,
        default=3,
        help="real turns timed before each checkpoint with --grow bulk (default 3)",
    )
    parser.add_argument(
        "--session-kb",
        type=int,
        default=15,
        help="the reply streamed on top of the history, sent like the fast one (default 15 KB)",
    )
    parser.add_argument(
        "--no-baseline",
        dest="baseline",
        action="store_false",
        help="skip reading the paced reply without the UI (the pace's ceiling)",
    )
    parser.add_argument(
        "--gc",
        choices=["on", "freeze", "off"],
        default="on",
        help="what-if: 'freeze' moves the start-up objects out of the garbage "
        "collector's reach once the app is ready, 'off' disables collection "
        "while measuring (default on: as the app runs)",
    )
    parser.add_argument(
        "--server",
        choices=["process", "thread"],
        default="process",
        help="run the loopback server in a process of its own (default), or in a "
        "thread of the measured process as the tests do (it then competes "
        "for the GIL)",
    )
    parser.add_argument("--scenario", choices=["fast", "paced", "session"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if (
        min(args.fast_kb, args.paced_kb, args.session_kb, args.fast_chunk, args.paced_chunk, args.real_turns)
        < 1
    ):
        parser.error("sizes and chunks must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    if args.scenario is None:
        bench(args)
        return 0
    with tempfile.TemporaryDirectory(prefix=f"studio-stream-render-{args.scenario}-") as tmp:
        isolate(Path(tmp))
        data = run_scenario(args.scenario, args, Path(tmp))
    print(RESULT_MARK + json.dumps(data), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
