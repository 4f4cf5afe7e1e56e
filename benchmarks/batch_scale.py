"""`studio batch` at scale: N documents of K KB from reading them to submitted, then fetched.

Every phase runs the real code (studio.core.batches, the store on a real SQLite file, the real SDK
over HTTP) against a LoopbackServer. The server runs in a child process, so what is measured here
is studio's process only (as against the real API): in this process the server would parse the
~25 MB create body into Python objects and build every result, and count as ours.

Two passes over the same steps, each in a fresh folder and store:

- time: wall-clock seconds per phase, and the process's resident set at its highest during the
  phase (/proc/self/statm sampled every 5 ms by a thread; where there is no /proc, the
  `getrusage` high-water mark after the phase). No tracemalloc, which slows every allocation.
  Each floor runs after the phase it is the floor of, so what it allocates is not in that
  phase's RSS.
- memory: `tracemalloc`, peak of Python allocations during the phase above what was allocated
  when it began (reset_peak per phase), and what it left allocated after. Native buffers outside
  Python's allocator (SQLite's page cache, the tokenizer's) are not in it.

Beside each studio phase, where one makes sense, a floor measured in the same run: the same work
without studio (plain file reads, the tokenizer alone on one core, plain sqlite3 inserts, the
SDK's create of the same requests built inline, the SDK's results stream with plain open/write of
each file, no fsync).
The loopback's processing is the fake API's time, not ours: reported apart (`--batch-seconds`
spreads a batch's items over that long; building the replies can take longer). Fetch is measured
at two sizes (`--fetch-sizes`) to show whether its memory stays flat as the job grows.

    python benchmarks/batch_scale.py [--docs 10000] [--kb 2] [--fetch-sizes 2000]
                                     [--batch-seconds 1] [--pass time|memory|both] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import multiprocessing
import os
import pstats
import resource
import sqlite3
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

BENCH_KEY = "sk-ant-bench-FAKE-key"
MODEL = "claude-sonnet-4-6"
MAX_TOKENS = 1024
PERSONA = "You are a careful editor. Keep the writer's voice; change only what needs changing."
INSTRUCTION = "Proofread this product description: fix spelling and grammar, nothing else."
WORDS = [
    *("harbour", "survey", "lantern", "copper", "meadow", "thistle", "granite", "orchard", "quarry"),
    *("beacon", "ferry", "tidal", "cobble", "willow", "barley", "saddle", "pewter", "furnace", "hamlet"),
]
MB = 1024 * 1024


def document(n: int, size: int) -> str:
    """`size` bytes of ASCII prose, different for every n (no two documents alike)."""
    words, i = [f"Document {n}."], n
    while sum(len(w) + 1 for w in words) < size:
        i = (i * 1103515245 + 12345) % 2**31
        words.append(WORDS[i % len(WORDS)] + ("." if i % 11 == 0 else ""))
    return " ".join(words)[:size]


# -- the server, in a child process ---------------------------------------------------------------


def serve(conn: Connection, batch_seconds: float, reply_bytes: int) -> None:
    """Run a LoopbackServer until told to stop; answer its peak RSS (MB)."""
    from studio.loopback import LoopbackServer, TextReply

    reply = TextReply(document(0, reply_bytes))
    with LoopbackServer(api_key=BENCH_KEY, default=reply) as server:
        server.batch_seconds = batch_seconds
        conn.send(server.base_url)
        conn.recv()
    conn.send(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


@contextlib.contextmanager
def child_server(batch_seconds: float, reply_bytes: int) -> Iterator[tuple[str, list[float]]]:
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=serve, args=(theirs, batch_seconds, reply_bytes), daemon=True
    )
    process.start()
    peak: list[float] = []
    try:
        yield ours.recv(), peak
    finally:
        ours.send("stop")
        with contextlib.suppress(EOFError):
            peak.append(ours.recv())
        process.join(10)


# -- measuring ------------------------------------------------------------------------------------


class RssSampler(threading.Thread):
    """The process's resident set at its highest since `reset`, read from /proc every 5 ms."""

    def __init__(self) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.peak = 0
        self._done = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")
        self.available = Path("/proc/self/statm").exists()

    def current(self) -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * self._page

    def reset(self) -> None:
        if self.available:
            self.peak = self.current()

    def peak_mb(self) -> float:
        if not self.available:
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.peak = max(self.peak, self.current())
        return self.peak / MB

    def run(self) -> None:
        while self.available and not self._done.wait(0.005):
            self.peak = max(self.peak, self.current())

    def stop(self) -> None:
        self._done.set()


RSS = RssSampler()


@dataclass
class Figure:
    seconds: float
    rss_mb: float  # the process's resident set at its highest during the phase
    peak_mb: float | None = None  # tracemalloc: peak during the phase above its start
    kept_mb: float | None = None  # tracemalloc: still allocated after it, above its start


@dataclass
class Meter:
    traced: bool
    profile: bool = False
    figures: dict[str, Figure] = field(default_factory=dict)
    profiles: dict[str, str] = field(default_factory=dict)

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = tracemalloc.get_traced_memory()[0] if self.traced else 0
        if self.traced:
            tracemalloc.reset_peak()
        profiler = cProfile.Profile() if self.profile else None
        RSS.reset()
        began = time.perf_counter()
        if profiler:
            profiler.enable()
        yield
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - began
        figure = Figure(seconds, RSS.peak_mb())
        if self.traced:
            current, peak = tracemalloc.get_traced_memory()
            figure.peak_mb, figure.kept_mb = (peak - start) / MB, (current - start) / MB
        self.figures[name] = figure
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
            self.profiles[name] = out.getvalue()


# -- one run over n documents ---------------------------------------------------------------------


@dataclass
class Setup:
    docs: int
    kb: float
    batch_seconds: float
    base_url: str
    folder: Path


def plain_params(text: str) -> dict[str, Any]:
    """A request as someone would write it by hand: what the SDK floor sends."""
    return {
        "model": MODEL,
        "max_tokens": MAX_TOKENS,
        "system": [
            {"type": "text", "text": PERSONA},
            {
                "type": "text",
                "text": f"Do this with the document the writer sends:\n\n{INSTRUCTION}",
                "cache_control": {"type": "ephemeral"},
            },
        ],
        "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}],
    }


@contextlib.asynccontextmanager
async def client_for(base_url: str) -> AsyncIterator[Any]:
    import anthropic

    client = anthropic.AsyncAnthropic(api_key=BENCH_KEY, base_url=base_url)
    try:
        yield client
    finally:
        await client.close()


async def run(setup: Setup, meter: Meter) -> None:
    """Every phase once, in the order `studio batch run` goes through them."""
    from studio.core.batch_documents import read_documents
    from studio.core.batches import Batches
    from studio.core.catalog import Catalog
    from studio.core.store import Store
    from studio.core.tokens import count_text, encoding

    folder, n = setup.folder, setup.docs
    inputs = folder / "in"
    inputs.mkdir(parents=True)
    size = int(setup.kb * 1024)
    for i in range(n):
        (inputs / f"doc-{i:05d}.md").write_text(document(i, size))
    paths = sorted(inputs.iterdir())
    phase = meter.phase

    with phase("read_documents"):
        documents = read_documents(paths)
    with phase("read floor"):
        texts = [p.read_text(encoding="utf-8") for p in paths]
    del texts
    with phase("tokenizer load"):
        encoding()
    catalog = Catalog.builtin()
    models = list(dict.fromkeys([MODEL, *(m.id for m in catalog.models[:3])]))
    async with client_for(setup.base_url) as client:
        batches = Batches(client, Store(folder / "studio.db"), catalog, PERSONA, BENCH_KEY)
        with phase("estimate"):
            batches.estimate(documents, INSTRUCTION, MAX_TOKENS, models)
        with phase("estimate floor"):
            sum(count_text(d.text) for d in documents)
        with phase("validate"):
            sample = batches.params_for(MODEL, MAX_TOKENS, INSTRUCTION, None, documents[0].text)
            await batches.validate(sample)
        out = folder / "out"
        with phase("create_job"):
            job = batches.create_job(
                documents, name="bench", model=MODEL, instruction=INSTRUCTION, max_tokens=MAX_TOKENS,
                out_dir=out, inputs=paths,
            )  # fmt: skip
        with phase("create_job floor"):
            plain_inserts(folder / "plain.db", documents)
        del documents
        with phase("submit"):
            await batches.submit(job)
        [chunk] = batches.jobs.chunks(job.id)
        assert chunk.batch_id is not None
        with phase("loopback processing"):
            while (await client.messages.batches.retrieve(chunk.batch_id)).processing_status != "ended":
                await asyncio.sleep(0.05)
        with phase("submit floor"):  # now, as the loopback is idle again
            requests = [
                {"custom_id": f"doc-{i:06d}", "params": plain_params(p.read_text(encoding="utf-8"))}
                for i, p in enumerate(paths)
            ]
            floor = await client.messages.batches.create(requests=requests)
            del requests
        await client.messages.batches.cancel(floor.id)  # its processing would run beside ours
        with phase("refresh"):
            progress = await batches.refresh(job)
        assert progress.ended == progress.chunks, progress
        current = batches.jobs.job(job.id)
        assert current is not None
        with phase("fetch"):
            fetched = await batches.fetch(current)
        assert fetched.written == n, fetched
        plain = folder / "plain-out"
        plain.mkdir()
        with phase("fetch floor"):
            results = await client.messages.batches.results(chunk.batch_id)
            async for line in results:
                message = line.result.message  # type: ignore[union-attr]
                text = "".join(b.text for b in message.content if b.type == "text")
                with open(plain / f"{line.custom_id}.md", "w", encoding="utf-8") as handle:
                    handle.write(text)
            await results.close()
        again = await batches.fetch(batches.jobs.job(job.id))  # type: ignore[arg-type]
        assert again.written == 0, again  # nothing twice


def plain_inserts(path: Path, documents: list[Any]) -> None:
    """The same rows into a table like batch_items, with plain sqlite3, in one transaction."""
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(
            "CREATE TABLE items (job_id INTEGER, custom_id TEXT, chunk INTEGER, source TEXT, name TEXT, "
            "sha256 TEXT, text TEXT, state TEXT, PRIMARY KEY (job_id, custom_id))"
        )
        db.executemany(
            "INSERT INTO items VALUES (1, ?, 0, ?, ?, ?, ?, 'pending')",
            [(f"doc-{i:06d}", d.source, f"{d.stem}.md", d.sha256, d.text) for i, d in enumerate(documents)],
        )


# -- the report -----------------------------------------------------------------------------------

ROWS: tuple[tuple[str, str | None], ...] = (
    ("read_documents", "read floor"),
    ("tokenizer load", None),
    ("estimate", "estimate floor"),
    ("validate", None),
    ("create_job", "create_job floor"),
    ("submit", "submit floor"),
    ("loopback processing", None),
    ("refresh", None),
    ("fetch", "fetch floor"),
)
TO_SUBMITTED = ("estimate", "validate", "create_job", "submit")


def ratio(ours: float | None, floor: float | None) -> str:
    if ours is None or floor is None or floor <= 0:
        return ""
    return f"{ours / floor:.1f}x"


def report(timed: Meter | None, traced: Meter | None, sizes: dict[int, Meter], n: int) -> None:
    if timed:
        t = timed.figures
        print("\nTime (wall clock), and the resident set at its highest during each phase")
        print(f"  {'phase':<22}{'studio s':>10}{'floor s':>10}{'ratio':>8}{'RSS MB':>9}")
        for name, floor in ROWS:
            ours, base = t[name], t.get(floor) if floor else None
            base_text = f"{base.seconds:10.2f}" if base else f"{'':>10}"
            print(
                f"  {name:<22}{ours.seconds:10.2f}{base_text}"
                f"{ratio(ours.seconds, base.seconds if base else None):>8}{ours.rss_mb:9.0f}"
            )
        total = sum(t[name].seconds for name in TO_SUBMITTED)
        rss = max(t[name].rss_mb for name in ("read_documents", "tokenizer load", *TO_SUBMITTED))
        print(
            f"  read to submitted: {total + t['read_documents'].seconds:.2f} s, of which estimate to "
            f"submitted {total:.2f} s; RSS at most {rss:.0f} MB"
        )
        print("  (loopback processing is the fake API's time: its child process builds every result)")
    if traced:
        f = traced.figures
        print("\nMemory (tracemalloc, Python allocations): peak during the phase above its start")
        print(f"  {'phase':<22}{'studio MB':>10}{'floor MB':>10}{'ratio':>8}{'kept MB':>9}")
        for name, floor in ROWS:
            ours, base = f[name], f.get(floor) if floor else None
            assert ours.peak_mb is not None and ours.kept_mb is not None
            base_text = f"{base.peak_mb:10.1f}" if base and base.peak_mb is not None else f"{'':>10}"
            print(
                f"  {name:<22}{ours.peak_mb:10.1f}{base_text}"
                f"{ratio(ours.peak_mb, base.peak_mb if base else None):>8}{ours.kept_mb:9.1f}"
            )
    if sizes:
        print("\nFetch at several sizes (flat memory means the peak does not grow with N)")
        print(f"  {'documents':>10}{'seconds':>10}{'peak MB':>10}{'floor MB':>10}")
        for docs, meter in sorted(sizes.items()):
            ours, base = meter.figures["fetch"], meter.figures["fetch floor"]
            print(f"  {docs:>10,}{ours.seconds:10.2f}{ours.peak_mb or 0:10.1f}{base.peak_mb or 0:10.1f}")
    for meter in (timed, traced):
        for name, text in meter.profiles.items() if meter else ():
            print(f"\n--- cProfile, {name} (n={n}) ---\n{text}")


async def bench(args: argparse.Namespace) -> None:
    reply_bytes = int(args.kb * 1024)
    timed: Meter | None = None
    traced: Meter | None = None
    sizes: dict[int, Meter] = {}
    print(
        f"studio batch at scale: {args.docs:,} documents of {args.kb:g} KB, loopback batch_seconds "
        f"{args.batch_seconds:g}, results of {args.kb:g} KB; baseline RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    RSS.start()
    with tempfile.TemporaryDirectory(prefix="studio-batch-scale-") as tmp:
        with child_server(args.batch_seconds, reply_bytes) as (base_url, server_peak):
            if args.passes in ("time", "both"):
                timed = Meter(traced=False, profile=args.profile)
                await run(Setup(args.docs, args.kb, args.batch_seconds, base_url, Path(tmp) / "t"), timed)
            if args.passes in ("memory", "both"):
                tracemalloc.start()
                for docs in sorted({*args.fetch_sizes, args.docs}):
                    meter = Meter(traced=True)
                    folder = Path(tmp) / f"m{docs}"
                    await run(Setup(docs, args.kb, args.batch_seconds, base_url, folder), meter)
                    sizes[docs] = meter
                tracemalloc.stop()
                traced = sizes[args.docs]
        report(timed, traced, sizes, args.docs)
        if server_peak:
            print(f"\n(the loopback's own process peaked at {server_peak[0]:.0f} MB RSS; not ours)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000, help="documents (default 10000)")
    parser.add_argument("--kb", type=float, default=2, help="size of each, in KB (default 2)")
    parser.add_argument(
        "--fetch-sizes",
        default="2000",
        help="other job sizes whose fetch memory is measured too, comma-separated (default 2000)",
    )
    parser.add_argument(
        "--batch-seconds", type=float, default=1.0, help="the loopback's processing time (default 1)"
    )
    parser.add_argument("--pass", dest="passes", choices=("time", "memory", "both"), default="both")
    parser.add_argument("--profile", action="store_true", help="cProfile each phase of the time pass")
    args = parser.parse_args()
    args.fetch_sizes = [int(s) for s in args.fetch_sizes.split(",") if s.strip()]
    if args.docs < 1 or args.kb <= 0 or any(s < 1 for s in args.fetch_sizes):
        parser.error("--docs, --kb and --fetch-sizes must be positive")
    return args


def main() -> int:
    asyncio.run(bench(parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
