"""Cold start to first paint: `studio` against a bare Textual app, in a real pseudo-terminal.

Each run spawns the program in a 100x30 pty, feeds its output to a pyte screen and stops the
clock when the screen first shows the marker text of the painted main screen. Then it sends
Ctrl+Q and waits for the exit (killing the program if it hangs). Runs alternate between the two
programs, so both see the same machine load and page cache.

    python benchmarks/cold_start.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from studio.loopback import LoopbackServer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH_KEY, summary  # the shared key and figures; puts tests/ on the path
from terminal import COLUMNS, CTRL_Q, ROWS, Terminal, child_env, studio_command  # the shared pty driver

STUDIO_MARKER = "Enter sends"
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


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each program (default 7)")
    parser.add_argument(
        "--warmup", type=int, default=1, help="untimed runs of each first, to warm the page cache (default 1)"
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for a paint or an exit (default 30)"
    )
    args = parser.parse_args()
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup not negative")
    return args


def main() -> int:
    args = parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="studio-cold-start-") as tmp,
        LoopbackServer(api_key=BENCH_KEY) as server,
    ):
        root = Path(tmp)
        hello = root / "hello_app.py"
        hello.write_text(HELLO_APP, encoding="utf-8")
        work = root / "work"
        work.mkdir()
        env = child_env(root / "home")
        studio_env = child_env(root / "home", BENCH_KEY, server.base_url)
        targets = [
            Target("studio", studio_command(), studio_env, STUDIO_MARKER, work),
            Target("bare Textual app", [sys.executable, str(hello)], env, HELLO_MARKER, work),
        ]
        print(f"cold start to first paint in a {COLUMNS}x{ROWS} pty; python {sys.version.split()[0]}")
        print(f"studio command: {' '.join(targets[0].argv)}")
        for round_no in range(args.warmup + args.runs):
            # Alternate which program goes first, so neither always runs right after the other.
            order = targets if round_no % 2 == 0 else targets[::-1]
            for target in order:
                elapsed = time_to_first_paint(target, args.timeout)
                if round_no >= args.warmup:
                    target.times_ms.append(elapsed)

    studio, bare = targets
    width = max(len(t.label) for t in targets)
    print(f"\n{'':{width}} {'median':>9} {'min':>9} {'max':>9}   (ms, {args.runs} runs each)")
    for target in targets:
        print(f"{target.label:{width}} {summary(target.times_ms)}")
    diff = statistics.median(studio.times_ms) - statistics.median(bare.times_ms)
    ratio = statistics.median(studio.times_ms) / statistics.median(bare.times_ms)
    print(
        f"{'difference':{width}} {diff:9.1f} ms at the median (studio takes {ratio:.2f}x as long); "
        f"min to min {min(studio.times_ms) - min(bare.times_ms):.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
