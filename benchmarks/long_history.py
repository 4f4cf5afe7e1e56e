"""Long kept conversations: keeping one, and reopening one of 1,000 replies.

1. Keeping: `History.save` as the session calls it (once when a message is sent, once when the
   reply ends, rewriting only the current exchange), timed at the end of a conversation of N replies
   of ~1.5 KB with a 100 KB `save_draft` every tenth turn, on the real SQLite file (its fsyncs).
2. Reopening it, each measurement a fresh process (memory is the process's), rounds interleaved:
   - F5: from Enter on it in the list to the frame showing its last reply's last words; the longest
     event-loop stall meanwhile; memory (RSS) then, and once the chat has settled;
   - `studio -c`: from the app's start to the last reply on screen;
   - scrolling to the top: Home in the chat (again while it is not there yet) until the first
     message's words are on screen, and the longest stall meanwhile;
   beside its floors: the same conversation loaded from the store with no UI (`Session`, as `-c`
   reads it), F5 on a 2-reply conversation (what closing the dialog and repainting cost), a bare
   Textual app showing one Static (the last reply's Markdown), and the studio idle (memory).

    python benchmarks/long_history.py [--turns 1000,200] [--rounds 3]
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
from common import BENCH_KEY, LagProbe, Row, isolate, ratio, report, rss_mb, spread

REPLY = (
    "Here is a paragraph about the harbour survey, with **bold** words, a `code` span and a "
    "list:\n\n- one point\n- another point\n\n"
) * 8
DRAFT = "The harbour survey, line by line.\n" * 3000  # ~100 KB
SIZE = (120, 40)
TARGET_S, TARGET_MB = 0.5, 150.0
SMALL = 2  # replies in the conversation whose reopening is a floor: the dialog closing, a repaint


def last_words(n: int) -> str:
    return f"End of reply {n}."


def fake_turn(conversation, n: int) -> None:  # type: ignore[no-untyped-def]
    conversation.add_user(f"Question {n}: tell me more about the survey.")
    if n % 10 == 9:
        tool = {"type": "tool_use", "id": f"toolu_{n:04d}", "name": "save_draft"}
        conversation.add_assistant([{**tool, "input": {"filename": "survey.md", "content": DRAFT}}])
        conversation.add_tool_results(
            [{"type": "tool_result", "tool_use_id": f"toolu_{n:04d}", "content": "Saved drafts/survey.md."}]
        )
    conversation.add_assistant([{"type": "text", "text": f"Reply {n}. {REPLY}{last_words(n)}"}])


def build(home: Path, turns: int) -> float:
    """A kept conversation of `turns` replies in `home`'s store, saved and priced as the session
    does it; the median time (ms) of the last ten saves."""
    isolate(home)
    from studio import locations
    from studio.core.conversation import Conversation
    from studio.core.history import History
    from studio.core.keeper import Keeper
    from studio.core.store import Store
    from studio.core.usage import TokenUsage, price_reply

    keeper = Keeper()
    history = History(Store(locations.data_dir() / "studio.db"), keeper)
    conversation = Conversation()
    cost = price_reply("claude-sonnet-4-6", TokenUsage(input=2000, output=400), None)
    times = []
    for n in range(turns):
        start = len(conversation.messages)
        began = time.perf_counter()
        fake_turn(conversation, n)
        history.save(conversation, start)
        history.save(conversation, start, "claude-sonnet-4-6", n + 1)
        keeper.flush(60)  # until the writes land, on the Keeper's thread
        times.append((time.perf_counter() - began) * 1000 / 2)
        assert history.store is not None and history.session_id is not None
        history.store.record(cost, session=history.session_id, reply=n + 1)
    keeper.close(10)
    return statistics.median(times[-10:])


# -- what runs in a child process --------------------------------------------------------------


def settings(resume: bool):  # type: ignore[no-untyped-def]
    from studio.config import Settings

    return Settings(
        api_key=BENCH_KEY,
        base_url="http://127.0.0.1:9",
        drafts_dir=Path("drafts"),
        resume=resume,
        titles=False,
    )


def child_store(turns: int) -> dict[str, float]:
    """The floor: the conversation read from the store and restored into a Session, no UI."""
    from studio.core.session import Session

    began = time.perf_counter()
    session, _ = Session.open(settings(True))
    saved = session.open_latest_now()
    assert saved is not None and len(session.spending.ledger.entries) == turns
    return {"seconds": time.perf_counter() - began, "rss": rss_mb()}


async def on_screen(app, words: str, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + timeout
    while not any(words in strip.text for strip in app.screen._compositor.render_strips()):
        if time.perf_counter() > deadline:
            raise SystemExit(f"never on screen: {words!r}")
        await asyncio.sleep(0.005)


async def child_bare(turns: int) -> dict[str, float]:
    """The floor: a bare Textual app, from its start to one Static showing the last reply."""
    from rich.markdown import Markdown
    from textual.app import App, ComposeResult
    from textual.containers import VerticalScroll
    from textual.widgets import Static

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            with VerticalScroll() as chat:
                chat.anchor()  # as the studio's chat: its end in view
                yield Static(Markdown(f"Reply {turns - 1}. {REPLY}{last_words(turns - 1)}"))

    began = time.perf_counter()
    app = Bare()
    async with app.run_test(size=SIZE):
        await on_screen(app, last_words(turns - 1))
        return {"seconds": time.perf_counter() - began, "rss": rss_mb()}


async def settled(app) -> None:  # type: ignore[no-untyped-def]
    """Until the chat mounts nothing more by itself (today's reopen fills it in the background)."""
    while any(w.group == "history" and not w.is_finished for w in app.workers):
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)


async def to_the_top(app, pilot) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Home in the chat, pressed again every 50 ms, until the first message is on screen: seconds
    and the longest stall (ms)."""
    from studio.ui.chat import ChatView

    app.query_one(ChatView).focus()
    probe = LagProbe()
    with probe.running():
        began = time.perf_counter()
        deadline = began + 120
        while not any("Question 0:" in s.text for s in app.screen._compositor.render_strips()):
            if time.perf_counter() > deadline:
                raise SystemExit("Home never reached the first message")
            await pilot.press("home")
            await asyncio.sleep(0.05)
        seconds = time.perf_counter() - began
    return seconds, probe.summary()[2]


async def child_f5(turns: int) -> dict[str, float]:
    """Enter on the conversation in F5's list to its last reply on screen; then Home to the top."""
    from studio.ui.app import StudioApp
    from studio.ui.dialogs import Conversations

    app = StudioApp(settings(False))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        while not isinstance(app.screen, Conversations):
            await asyncio.sleep(0.01)
        await pilot.pause(0.3)
        probe = LagProbe()
        with probe.running():
            began = time.perf_counter()
            pressing = asyncio.create_task(pilot.press("enter"))  # press() waits for idle: don't
            await on_screen(app, last_words(turns - 1))
            seconds = time.perf_counter() - began
            await pressing
        await app.session.engine_ready.wait()  # memory with the SDK in, as the idle floor's
        shown_rss = rss_mb()
        await settled(app)
        settled_rss = rss_mb()
        top, top_stall = await to_the_top(app, pilot)
        return {
            "seconds": seconds,
            "stall": probe.summary()[2],
            "rss": shown_rss,
            "settled_rss": settled_rss,
            "top": top,
            "top_stall": top_stall,
            "top_rss": rss_mb(),
        }


async def child_continue(turns: int) -> dict[str, float]:
    """`studio -c`: from the app's start to the last reply on screen."""
    from studio.ui.app import StudioApp

    began = time.perf_counter()
    app = StudioApp(settings(True))
    async with app.run_test(size=SIZE):
        await on_screen(app, last_words(turns - 1))
        return {"seconds": time.perf_counter() - began, "rss": rss_mb()}


async def child_idle(turns: int) -> dict[str, float]:
    """The floor of memory: the studio itself, started, its engine (the SDK) loaded, the chat empty."""
    from studio.ui.app import StudioApp

    app = StudioApp(settings(False))
    async with app.run_test(size=SIZE) as pilot:
        await app.session.engine_ready.wait()
        await pilot.pause(0.5)
        return {"seconds": 0.0, "rss": rss_mb()}


CHILDREN = {
    "store": child_store,
    "bare": child_bare,
    "idle": child_idle,
    "f5": child_f5,
    "continue": child_continue,
}


def run_child(kind: str, home: Path, turns: int) -> dict[str, float]:
    """One measurement in a fresh process, on a copy of the built store."""
    return common.run_child(__file__, kind, home, turns)


def figures(
    turns: int, got: dict[tuple[int, str], list[dict[str, float]]], save_ms: float, small: list[float]
) -> list[Row]:
    """The table's rows for a conversation of `turns` replies; `small`: F5 on a 2-reply one (ms)."""

    def values(kind: str, key: str, scale: float = 1.0) -> list[float]:
        return [m[key] * scale for m in got[(turns, kind)]]

    med = statistics.median
    f5, store, cont, bare = (values(kind, "seconds", 1000) for kind in ("f5", "store", "continue", "bare"))
    rss, idle = values("f5", "rss"), values("idle", "rss")
    floors = (
        f"{spread(idle, ' MB')} studio idle, empty chat; {spread(values('bare', 'rss'), ' MB')} bare "
        f"Textual; {spread(values('store', 'rss'), ' MB')} the store, no UI"
    )
    settled, top = values("f5", "settled_rss"), values("f5", "top_rss")
    at = f"{turns} replies:"
    return [
        Row(
            f"{at} F5 → last reply on screen",
            spread(f5),
            f"{spread(store)} the store, no UI; {spread(small)} F5 on a {SMALL}-reply conversation",
            ratio(med(f5), med(small)),
            "< 500 ms",
            med(f5) < TARGET_S * 1000,
        ),
        Row(
            f"{at} `studio -c` start → last reply on screen",
            spread(cont),
            f"{spread(bare)} bare Textual, one Static",
            ratio(med(cont), med(bare)),
            "-",
            True,
        ),
        Row(
            f"{at} longest stall while reopening (F5)",
            spread(values("f5", "stall")),
            "-",
            "-",
            "not noticeable",
            True,
        ),
        Row(
            f"{at} memory, last reply shown",
            spread(rss, " MB"),
            floors,
            ratio(med(rss), med(idle)),
            "< 150 MB",
            med(rss) < TARGET_MB,
        ),
        Row(
            f"{at} memory once the chat settles",
            spread(settled, " MB"),
            "-",
            "-",
            "< 150 MB",
            med(settled) < TARGET_MB,
        ),
        Row(f"{at} Home to the first message", spread(values("f5", "top", 1000)), "-", "-", "works", True),
        Row(
            f"{at} longest stall on the way to the top",
            spread(values("f5", "top_stall")),
            "-",
            "-",
            "-",
            True,
        ),
        Row(f"{at} memory at the top", spread(top, " MB"), "-", "-", "-", True),
        Row(f"{at} a save at the end of the conversation", f"{save_ms:.1f} ms", "-", "-", "-", True),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", default="1000,200")
    common.store_arguments(parser, CHILDREN)
    args = parser.parse_args()
    if args.child:
        isolate(args.home)
        run = CHILDREN[args.child](int(args.turns))
        print(json.dumps(asyncio.run(run) if asyncio.iscoroutine(run) else run))
        return
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as root:
        homes, saves = {}, {}
        for turns in [SMALL, *(int(t) for t in args.turns.split(","))]:
            homes[turns] = Path(root) / str(turns)
            homes[turns].mkdir()
            saves[turns] = build(homes[turns], turns)
            print(f"{turns} replies kept; a save at the end takes {saves[turns]:.1f} ms", flush=True)
        got: dict[tuple[int, str], list[dict[str, float]]] = {}
        for round_ in range(args.rounds):
            for turns, home in homes.items():
                kinds = ["f5"] if turns == SMALL else list(CHILDREN)
                for kind in kinds if round_ % 2 == 0 else reversed(kinds):
                    got.setdefault((turns, kind), []).append(run_child(kind, home, turns))
            print(f"round {round_ + 1} of {args.rounds} done", flush=True)
    small = [m["seconds"] * 1000 for m in got[(SMALL, "f5")]]
    for turns in homes:
        if turns != SMALL:
            rows += figures(turns, got, saves[turns], small)
    report("Long histories: reopening a kept conversation", rows)


if __name__ == "__main__":
    main()
