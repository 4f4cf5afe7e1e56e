"""Cold start to first paint: `studio` against a bare Textual app, in a real pseudo-terminal.

Each run spawns the program in a 100x30 pty, feeds its output to a pyte screen and stops the
clock when the screen first shows the marker text of the painted writing screen (the message box's
"Enter sends": a writer can type from then on). Then it sends Ctrl+Q and waits for the exit
(killing the program if it hangs). Runs alternate between the programs, so all see the same
machine load and page cache.

studio's first frame is its message box in the writing screen's frame (studio/ui/opening.py); the
panes fill in right after it. A second studio target stops the clock at the sidebar's "Next
message" instead: the whole writing screen.

Beside studio and its floor (a bare Textual app with one Static), a third program: the studio's
layout (its stylesheet, Header, three panes, two text areas, Footer) with stock widgets and no
logic, i.e. what the layout alone costs. `--variants` adds `studio --demo` and `studio -c` with a
kept conversation to reopen.

    python benchmarks/cold_start.py [--runs 9] [--variants]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from studio.loopback import LoopbackServer, TextReply

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH_KEY, Row, ratio, report, spread, summary  # puts tests/ on the path
from terminal import COLUMNS, CTRL_Q, ROWS, Terminal, child_env, studio_command  # the shared pty driver

TARGET = 1.3  # studio's first paint, at most this many times the bare app's (issue 12)
STUDIO_MARKER = "Enter sends"
FULL_MARKER = "Next message"  # the sidebar's: the writing screen has replaced the first frame
HELLO_MARKER = "hello, first paint"

HELLO_APP = f'''\
"""The smallest Textual app that paints: the baseline studio is measured against."""

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static


class Hello(App[None]):
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def compose(self) -> ComposeResult:
        yield Static("hello")
        yield Static({HELLO_MARKER!r})


if __name__ == "__main__":
    Hello().run()
'''

LAYOUT_APP = f'''\
"""The studio's layout with stock widgets and no logic: what its look alone costs to paint."""

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, Sparkline, Static, TextArea


class Layout(App[None]):
    CSS_PATH = {str(Path(__file__).resolve().parents[1] / "studio" / "ui" / "studio.tcss")!r}
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def compose(self) -> ComposeResult:
        yield Header(icon="✎")
        with Horizontal(id="workspace"):
            with Vertical(id="chat-pane"):
                with VerticalScroll(id="chat"):
                    yield Static("Write to Claude below: Enter sends, Shift+Enter adds a line.")
                prompt = TextArea(id="prompt", soft_wrap=True, compact=True)
                prompt.border_title = "to Claude Sonnet 4.6"
                prompt.border_subtitle = {STUDIO_MARKER!r}
                yield prompt
            with Vertical(id="draft-pane"):
                yield TextArea(id="draft", language="markdown", soft_wrap=True)
            with VerticalScroll(id="sidebar"):
                yield Static("Model\\nClaude Sonnet 4.6", id="model-card")
                yield Static("Next message\\ntype to see an estimate", id="next")
                yield Static("Session\\n$0.00", id="totals")
                yield Sparkline([], id="chart")
                yield Static("Replies\\nnone yet", id="replies")
        yield Footer()


if __name__ == "__main__":
    Layout().run()
'''


@dataclass
class Target:
    """One program to time: its command line, environment and the text that means 'painted'."""

    label: str
    argv: list[str]
    env: dict[str, str]
    marker: str
    cwd: Path
    times_ms: list[float] = field(default_factory=list)


def time_to_first_paint(target: Target, timeout: float) -> float:
    """Milliseconds from spawn until `target.marker` is on the screen; then quit the program."""
    started = time.perf_counter()
    term = Terminal(target.argv, target.env, target.cwd)
    try:
        term.wait_until(
            lambda: target.marker in term.text(), timeout, f"{target.label} to show {target.marker!r}"
        )
        painted = time.perf_counter()
        quit_program(term, timeout)
        return (painted - started) * 1000
    finally:
        term.close()


def quit_program(term: Terminal, timeout: float) -> None:
    """Ctrl+Q, then wait for the exit; a program that hangs is killed and reported."""
    term.send(CTRL_Q)
    try:
        term.wait_until(lambda: term.eof, timeout, "the exit")
    except AssertionError:
        print(
            f"  warning: {term.child.args[0]!r} did not exit {timeout:g}s after Ctrl+Q; killed",
            file=sys.stderr,
        )
    term.close()


def keep_a_conversation(env: dict[str, str], cwd: Path) -> None:
    """One kept conversation for `studio -c` to reopen (a `studio ask` against the server)."""
    subprocess.run(
        [*studio_command(), "ask", "Say something short."],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        check=True,
        timeout=60,
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each program (default 9)")
    parser.add_argument(
        "--warmup", type=int, default=1, help="untimed runs of each first, to warm the page cache (default 1)"
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for a paint or an exit (default 30)"
    )
    parser.add_argument(
        "--variants", action="store_true", help="also `studio --demo` and `studio -c` (a kept conversation)"
    )
    args = parser.parse_args()
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup not negative")
    return args


def main() -> int:
    args = parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="studio-cold-start-") as tmp,
        LoopbackServer(api_key=BENCH_KEY, default=TextReply("Short.")) as server,
    ):
        root = Path(tmp)
        hello, layout = root / "hello_app.py", root / "layout_app.py"
        hello.write_text(HELLO_APP, encoding="utf-8")
        layout.write_text(LAYOUT_APP, encoding="utf-8")
        work = root / "work"
        work.mkdir()
        env = child_env(root / "home")
        studio_env = child_env(root / "home", BENCH_KEY, server.base_url)
        targets = [
            Target("studio", studio_command(), studio_env, STUDIO_MARKER, work),
            Target("bare Textual app", [sys.executable, str(hello)], env, HELLO_MARKER, work),
            Target("studio, all panes", studio_command(), studio_env, FULL_MARKER, work),
            Target("studio's layout, no logic", [sys.executable, str(layout)], env, STUDIO_MARKER, work),
        ]
        if args.variants:
            reopening = root / "reopening"
            reopening.mkdir()
            kept_env = child_env(reopening / "home", BENCH_KEY, server.base_url)
            keep_a_conversation(kept_env, reopening)
            targets += [
                Target("studio --demo", [*studio_command(), "--demo"], env, STUDIO_MARKER, work),
                Target("studio -c (one kept)", [*studio_command(), "-c"], kept_env, STUDIO_MARKER, reopening),
            ]
        print(f"cold start to first paint in a {COLUMNS}x{ROWS} pty; python {sys.version.split()[0]}")
        print(f"studio command: {' '.join(targets[0].argv)}")
        for round_no in range(args.warmup + args.runs):
            # Alternate the order, so no program always runs right after the same other one.
            order = targets if round_no % 2 == 0 else targets[::-1]
            for target in order:
                elapsed = time_to_first_paint(target, args.timeout)
                if round_no >= args.warmup:
                    target.times_ms.append(elapsed)

    studio, bare = targets[0], targets[1]
    width = max(len(t.label) for t in targets)
    print(f"\n{'':{width}} {'median':>9} {'min':>9} {'max':>9}   (ms, {args.runs} runs each)")
    for target in targets:
        print(f"{target.label:{width}} {summary(target.times_ms)}")
    floor = statistics.median(bare.times_ms)
    row = Row(
        "first paint (the message box a writer can type into)",
        spread(studio.times_ms),
        f"{spread(bare.times_ms)}, a bare Textual app",
        ratio(statistics.median(studio.times_ms), floor),
        f"≤ {TARGET}x the bare app",
        statistics.median(studio.times_ms) <= TARGET * floor,
    )
    report("Cold start to first paint (pty 100x30)", [row])
    for target in targets[2:]:  # all panes, the layout alone, and the variants: beside the same floor
        print(f"{target.label}: {ratio(statistics.median(target.times_ms), floor)} the bare app")
    per_round = sorted(s / b for s, b in zip(studio.times_ms, bare.times_ms, strict=True))
    print(
        f"\nstudio / bare: {ratio(statistics.median(studio.times_ms), floor)} at the medians "
        f"(per round {per_round[0]:.2f}-{per_round[-1]:.2f}x); target ≤ {TARGET}x: "
        + ("met" if row.met else "NOT met")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
