"""What the benchmarks share: the fake key, the loopback server in a process of its own, a probe of
event-loop lateness, memory, and one way to print a figure beside its floor.

Every benchmark measures studio and its floor (a bare Textual app, the engine alone, a bare
`import anthropic`) side by side in one run, interleaved where it can: these machines are shared
and noisy, so the ratio is the figure to trust, not the seconds.

    import common  # from a script in benchmarks/: its folder is on sys.path
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BENCH_KEY = "sk-ant-bench-FAKE-key"
TESTS = Path(__file__).resolve().parents[1] / "tests"
TICK = 0.010  # seconds the lag probe sleeps between wake-ups
FRAME_MS = 1000 / 60  # one frame at 60 Hz: the floor for anything a writer sees

if str(TESTS) not in sys.path:  # tests/terminal.py (the pty driver) and tests/ui_helpers.py (Pilot)
    sys.path.insert(0, str(TESTS))


# -- figures ----------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary(times: list[float]) -> str:
    """Median, min and max, aligned for a table."""
    return f"{statistics.median(times):9.1f} {min(times):9.1f} {max(times):9.1f}"


def spread(values: list[float], unit: str = "ms", digits: int = 0) -> str:
    """'412 ms (398-455)': the median, then the range over rounds."""
    if not values:
        return "-"
    med, low, high = statistics.median(values), min(values), max(values)
    if len(values) == 1:
        return f"{med:,.{digits}f} {unit}"
    return f"{med:,.{digits}f} {unit} ({low:,.{digits}f}-{high:,.{digits}f})"


@dataclass
class Row:
    """One figure: studio's value beside its floor measured in the same run, and the target."""

    figure: str  # what was measured, in a writer's words
    studio: str  # studio's value, formatted ("1.9 s", "12 ms p95")
    floor: str  # the floor's value and what it is ("1.6 s, the engine alone")
    ratio: str  # studio / floor, or "-" where a ratio means nothing
    target: str  # the target ("≤ 2x the engine"), or "-" for a figure shown for context
    met: bool | None  # None: no target


def ratio(studio: float, floor: float) -> str:
    return f"{studio / floor:.2f}x" if floor > 0 else "-"


def report(title: str, rows: list[Row]) -> None:
    """A Markdown table, ready for benchmarks/README.md, with the machine it ran on."""
    print(f"\n### {title}\n")
    print(f"_{machine()}_\n")
    print("| figure | studio | floor (same run) | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        mark = "-" if row.met is None else "yes" if row.met else "**no**"
        print(f"| {row.figure} | {row.studio} | {row.floor} | {row.ratio} | {row.target} | {mark} |")
    sys.stdout.flush()


def machine() -> str:
    """Cores, Python and the date: what a reader needs to weigh the seconds."""
    return (
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}"
    )


# -- memory -----------------------------------------------------------------------------------------


def rss_mb(pid: int | None = None) -> float:
    """Resident memory now, in MB (Linux /proc): of this process, or of `pid`."""
    statm = Path(f"/proc/{pid or 'self'}/statm").read_text().split()
    return int(statm[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


# -- the event loop ---------------------------------------------------------------------------------


class LagProbe:
    """Sleeps TICK on the event loop, again and again, and records how late each wake-up is: how
    long a key press or a repaint would have waited. It also times the interpreter's full garbage
    collections meanwhile: one stops everything."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.full_gcs: list[float] = []  # seconds per generation-2 collection
        self._task: asyncio.Task[None] | None = None
        self._gc_started = 0.0

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.full_gcs.append(time.perf_counter() - self._gc_started)

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
        gc.callbacks.append(self._on_gc)
        try:
            yield self
        finally:
            gc.callbacks.remove(self._on_gc)
            self._task.cancel()

    def summary(self) -> tuple[float, float, float]:
        """Median, p99 and worst lag, in milliseconds."""
        ms = [lag * 1000 for lag in self.lags]
        return (statistics.median(ms) if ms else 0.0, percentile(ms, 0.99), max(ms, default=0.0))


# -- the loopback server ----------------------------------------------------------------------------


class ServerThread:
    """The loopback server in a thread of the measured process, as in the tests: it competes with
    the app for the GIL, so the figures include the server's own work."""

    def __enter__(self) -> ServerThread:
        from studio.loopback import LoopbackServer

        self.server = LoopbackServer(api_key=BENCH_KEY).start()
        self.base_url = self.server.base_url
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def queue_text(self, text: str, chunk_size: int, chunk_delay: float) -> None:
        from studio.loopback import TextReply

        self.server.queue(TextReply(text, chunk_size=chunk_size, chunk_delay=chunk_delay))


SERVER_CHILD = """
import json, sys
from studio.loopback import LoopbackServer, TextReply, ToolUseReply
kinds = {"text": TextReply, "tool": ToolUseReply}
with LoopbackServer(api_key=sys.argv[1]) as server:
    print(server.base_url, flush=True)
    for line in sys.stdin:
        spec = json.loads(line)
        server.queue(kinds[spec.pop("kind", "text")](**spec))
        print("queued", flush=True)
"""


class ServerProcess(ServerThread):
    """The loopback server in a process of its own, as a real API would be: the measured process
    runs only the app, the SDK and the engine. Replies are queued over a pipe."""

    def __enter__(self) -> ServerProcess:
        self.child = subprocess.Popen(
            [sys.executable, "-c", SERVER_CHILD, BENCH_KEY],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.child.stdout is not None
        self.base_url = self.child.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            raise RuntimeError("the loopback server process did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.child.stdin is not None
        self.child.stdin.close()
        self.child.wait(timeout=10)

    def queue_text(self, text: str, chunk_size: int, chunk_delay: float) -> None:
        self.queue({"kind": "text", "text": text, "chunk_size": chunk_size, "chunk_delay": chunk_delay})

    def queue(self, spec: dict[str, object]) -> None:
        """Any reply the loopback server knows, as keyword arguments: {"kind": "tool", "name": …}."""
        assert self.child.stdin is not None and self.child.stdout is not None
        self.child.stdin.write(json.dumps(spec) + "\n")
        self.child.stdin.flush()
        if self.child.stdout.readline().strip() != "queued":
            raise RuntimeError("the loopback server process did not queue the reply")


# -- a clean place to run -------------------------------------------------------------------------


def isolate(tmp: Path) -> None:
    """XDG dirs, cwd and credentials as the tests have them: nothing real is read or written.
    Import studio only after this: its locations are read from the environment."""
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[name] = str(tmp / name.lower())
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        os.environ.pop(name, None)
    os.chdir(tmp)


def store_arguments(parser: argparse.ArgumentParser, children: Iterable[str]) -> None:
    """The arguments of a benchmark measured by `run_child` on a built store (besides its own
    --turns): the rounds, and the child's kind and home."""
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=list(children))
    parser.add_argument("--home", type=Path)


def run_child(script: str, kind: str, home: Path, turns: int) -> dict[str, float]:
    """One measurement by `script --child kind` in a fresh process, on a copy of the store at
    `home`; its figures are the JSON on its last line of output."""
    import shutil

    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(home, tmp, dirs_exist_ok=True)
        out = subprocess.run(
            [sys.executable, script, "--child", kind, "--home", tmp, "--turns", str(turns)],
            capture_output=True,
            text=True,
            timeout=600,
        )
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{out.stdout}\n{out.stderr}")
    result: dict[str, float] = json.loads(out.stdout.splitlines()[-1])
    return result
