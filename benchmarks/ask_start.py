"""`studio ask`: time from process start to its request arriving at the server, against a bare
`python -c "import anthropic"` (the least any Python client of the API pays before it can send).

Each round spawns `studio ask "..." < /dev/null` against a loopback server, whose `received` hook
stops the clock when the POST /v1/messages arrives; then the baseline, spawned and timed to its
exit. Rounds alternate which goes first, so both see the same machine load and page cache.

    python benchmarks/ask_start.py [--runs 7] [--pipe-after S]

With `--pipe-after S` the text comes down a pipe S seconds after the start, as after a slow command
(`make 2>&1 | studio ask "why does this fail?"`): the SDK's import should overlap the wait.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from studio.loopback import LoopbackServer, Request, TextReply

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH_KEY, Row, report, spread, summary  # puts tests/ on the path
from terminal import child_env, studio_command  # the shared command and environment

BASELINE = "import anthropic, os; os.write(1, b'.')"


class ArrivalServer(LoopbackServer):
    """The loopback server, noting when each request to send a message arrives."""

    def __init__(self) -> None:
        super().__init__(api_key=BENCH_KEY, default=TextReply("Fine."))
        self.arrived = threading.Event()
        self.arrived_at = 0.0

    def received(self, request: Request) -> None:
        if request.method == "POST" and request.path == "/v1/messages":
            self.arrived_at = time.perf_counter()
            self.arrived.set()


def time_ask(
    server: ArrivalServer, env: dict[str, str], cwd: Path, timeout: float, pipe_after: float
) -> float:
    """Milliseconds from spawning `studio ask` to its request arriving; then let it finish. With
    `pipe_after`, text is piped in that many seconds after the start (a slow command before it)."""
    server.arrived.clear()
    started = time.perf_counter()
    child = subprocess.Popen(
        [*studio_command(), "ask", "Say fine."],
        env=env,
        cwd=cwd,
        stdin=subprocess.PIPE if pipe_after else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(pipe_after)
        _, err = child.communicate(b"the piped text" if pipe_after else None, timeout=timeout)
    finally:
        child.kill()
    if not server.arrived.is_set():
        raise SystemExit("studio ask sent no request")
    if child.returncode != 0:
        raise SystemExit(f"studio ask failed ({child.returncode}): {err.decode(errors='replace')}")
    return (server.arrived_at - started) * 1000


def time_import(env: dict[str, str], cwd: Path, timeout: float) -> float:
    """Milliseconds from spawning `python -c "import anthropic"` to the end of its import (a byte it
    writes then: timing to its exit would add the interpreter's teardown, which ask never waits for)."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", BASELINE], env=env, cwd=cwd, stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        if child.stdout.read(1) != b".":
            raise SystemExit("the baseline did not import anthropic")
        imported = time.perf_counter()
        child.wait(timeout)
    finally:
        child.kill()
    return (imported - started) * 1000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each (default 7)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs of each first (default 1)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each (default 30)")
    parser.add_argument(
        "--pipe-after",
        type=float,
        default=0.0,
        metavar="S",
        help="pipe the text in S seconds after the start, as a slow command would (default: none)",
    )
    args = parser.parse_args()
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup not negative")
    return args


def main() -> int:
    args = parse_args()
    ask_ms: list[float] = []
    import_ms: list[float] = []
    with tempfile.TemporaryDirectory(prefix="studio-ask-start-") as tmp, ArrivalServer() as server:
        root = Path(tmp)
        env = child_env(root, BENCH_KEY, server.base_url)
        print(f"studio ask: process start -> request at the server; python {sys.version.split()[0]}")
        for round_no in range(args.warmup + args.runs):
            timed = round_no >= args.warmup
            # Alternate which goes first, so neither always runs right after the other.
            for which in ("ask", "import") if round_no % 2 == 0 else ("import", "ask"):
                if which == "ask":
                    elapsed, times = time_ask(server, env, root, args.timeout, args.pipe_after), ask_ms
                else:
                    elapsed, times = time_import(env, root, args.timeout), import_ms
                if timed:
                    times.append(elapsed)
    piped = f", text piped in after {args.pipe_after:g} s" if args.pipe_after else ""
    labels = (f"studio ask (to the request{piped})", 'python -c "import anthropic"')
    width = max(map(len, labels))
    print(f"\n{'':{width}} {'median':>9} {'min':>9} {'max':>9}   (ms, {args.runs} runs each)")
    for label, times in zip(labels, (ask_ms, import_ms), strict=True):
        print(f"{label:{width}} {summary(times)}")
    ratio = statistics.median(ask_ms) / statistics.median(import_ms)
    diff = statistics.median(ask_ms) - statistics.median(import_ms)
    print(
        f"{'ratio':{width}} {ratio:9.2f}x at the median ({diff:+.1f} ms); "
        f"min to min {min(ask_ms) / min(import_ms):.2f}x (machine load moves medians more than minima)"
    )
    report(
        "studio ask: process start to the request at the server",
        [
            Row(
                f"`studio ask` sends its request{piped}",
                spread(ask_ms),
                f'{spread(import_ms)}, python -c "import anthropic"',
                f"{ratio:.2f}x",
                "< 1.2x the bare import",
                ratio < 1.2,
            )
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
