"""What `studio batch` prints: plain lines and aligned columns, no boxes, so a pipe or a screen
reader gets the same words as a terminal."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from studio.core.usage import format_usd
from studio.core.visible import visible

if TYPE_CHECKING:
    from studio.core.batch_store import BatchItem, BatchJob
    from studio.core.batches import Batches, Progress

EXPIRY_HOURS = 24  # the API ends a batch's unfinished requests after a day


def money(usd: float | None) -> str:
    return format_usd(usd)


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"


def _shown(path: str | None) -> str | None:
    """A result's path as the writer can type it: relative to where they are, when it is below."""
    if path is None:
        return None
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def _totals(items: list[BatchItem]) -> tuple[float, float]:
    return sum(i.usd or 0.0 for i in items), sum(i.full_usd or 0.0 for i in items)


def _columns(rows: list[list[str]]) -> str:
    widths = [max(len(row[n]) for row in rows) for n in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def jobs_table(batches: Batches) -> str:
    listing = batches.jobs.listing()
    if not listing:
        return 'No batch jobs yet. studio batch run "INSTRUCTION" FILE... starts one.'
    rows = [["id", "name", "model", "items", "status", "age", "cost"]]
    now = time.time()
    for job, count, usd in listing:
        stage = {"triage": " (triage)", "final": " (after triage)"}.get(job.stage, "")
        rows.append([
            str(job.id), visible(job.name)[:40], batches.catalog.info(job.model).name, str(count),
            job.status + stage, _age(now - job.created), money(usd),
        ])  # fmt: skip
    return _columns(rows)


def progress_line(job: BatchJob, progress: Progress) -> str:
    """What is known and no more: the API reports counts only when a whole batch ends."""
    waited = time.time() - job.created
    ended = f"{progress.ended} of {progress.chunks} batch(es) ended"
    return f"Job {job.id}: {ended} · waiting {_age(waited)} of at most {EXPIRY_HOURS} h"


def job_summary(job: BatchJob, batches: Batches) -> str:
    items = batches.jobs.items(job.id)
    states = Counter(i.state for i in items)
    usd, full = _totals(items)
    lines = [
        f"Job {job.id}: {visible(job.name)}",
        f"  model     {batches.catalog.info(job.model).name} ({job.model})",
        f"  status    {job.status}" + (f" ({job.stage})" if job.stage != "single" else ""),
        f"  items     {len(items)}: " + ", ".join(f"{n} {state}" for state, n in sorted(states.items())),
        f"  created   {datetime.fromtimestamp(job.created):%Y-%m-%d %H:%M}"
        + (f" · ended {datetime.fromtimestamp(job.ended):%Y-%m-%d %H:%M}" if job.ended else ""),
        f"  cost      {money(usd)} at batch prices ({money(full)} without batch)",
        f"  results   {visible(job.out_dir)}",
        "  batches   " + ", ".join(c.batch_id or "not sent" for c in batches.jobs.chunks(job.id)),
    ]
    if job.parent_id:
        lines.append(f"  follows   job {job.parent_id}")
    for child in batches.jobs.children(job.id):
        lines.append(f"  then      job {child.id} ({'retry' if child.stage == job.stage else child.stage})")
    return "\n".join(lines)


def results_table(job: BatchJob, batches: Batches, written: int) -> str:
    items = batches.jobs.items(job.id)
    rows = [["item", "state", "cost", "without batch", "result"]]
    for item in items:
        result = item.answer or _shown(item.result_path) or item.error or ""
        cost = (money(item.usd), money(item.full_usd)) if item.state == "succeeded" else ("-", "-")
        rows.append([visible(item.name), item.state, *cost, visible(result)[:100]])
    usd, full = _totals(items)
    states = Counter(i.state for i in items)
    done = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
    lines = [
        _columns(rows),
        f"Job {job.id}: {done}; {written} file(s) written now. Cost {money(usd)} at batch prices, "
        f"{money(full)} without batch (saved {money(full - usd)}).",
    ]
    failed = states["errored"] + states["expired"]
    if failed:
        lines.append(f"studio batch retry {job.id} sends the {failed} that errored or expired again.")
    if job.stage == "triage":
        yes = sum(1 for i in items if i.answer == "yes")
        lines.append(f"Triage: {yes} of {len(items)} document(s) answered yes.")
    return "\n".join(lines)
