"""Batch jobs kept in the studio's store: what was sent, where each result goes, what it cost.

A job is one run of an instruction over many documents. It goes to the API as one or more batches
(chunks: the API takes at most 100,000 requests or 256 MB in one), and every document is an item
found again by its custom_id, whatever order the results come in. Everything is written as it
happens, so `studio batch wait` and `fetch` can pick up after a restart or a kill.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from studio.core.store import Store
from studio.core.usage import ReplyCost, TokenUsage

Stage = Literal["single", "triage", "final"]
JobStatus = Literal["submitting", "in_progress", "canceling", "ended", "fetched"]
ItemState = Literal["pending", "succeeded", "errored", "expired", "canceled"]
FAILED_STATES: tuple[ItemState, ...] = ("errored", "expired")  # what `retry` sends again


@dataclass(frozen=True)
class BatchJob:
    id: int
    created: float
    name: str
    model: str
    instruction: str
    max_tokens: int
    out_dir: str
    stage: Stage
    question: str | None  # the triage question (stage "triage")
    parent_id: int | None  # the job this one retries, or the triage stage it follows
    final_model: str | None  # stage "triage": the model the "yes" documents go to next
    final_max_tokens: int | None  # ... and their output ceiling
    status: JobStatus
    ended: float | None


@dataclass(frozen=True)
class BatchChunk:
    job_id: int
    position: int
    batch_id: str | None  # None until the API accepted it
    status: JobStatus


@dataclass(frozen=True)
class BatchItem:
    job_id: int
    custom_id: str
    chunk: int
    source: str  # the input file (or "FILE:N" for line N of --lines FILE)
    name: str  # the result file's name in the job's folder
    sha256: str
    text: str
    state: ItemState
    usage: TokenUsage | None = None
    usd: float | None = None  # at batch prices
    full_usd: float | None = None  # the same work without batch
    result_path: str | None = None
    error: str | None = None
    answer: str | None = None  # a triage item's "yes" or "no"


@dataclass(frozen=True)
class NewItem:
    custom_id: str
    chunk: int
    source: str
    name: str
    sha256: str
    text: str


@dataclass(frozen=True)
class ItemResult:
    """What fetch learnt of one item, to be recorded with many others in one transaction."""

    custom_id: str
    state: ItemState
    usage: TokenUsage | None = None
    usd: float | None = None
    full_usd: float | None = None
    result_path: str | None = None
    error: str | None = None
    answer: str | None = None
    cost: ReplyCost | None = None  # counted towards the day's spend when the result is recorded


_JOB_COLUMNS = (
    "id, created, name, model, instruction, max_tokens, out_dir, stage, question, parent_id, "
    "final_model, final_max_tokens, status, ended"
)
_ITEM_COLUMNS = (
    "job_id, custom_id, chunk, source, name, sha256, text, state, usage, usd, full_usd, "
    "result_path, error, answer"
)


def _usage(text: str | None) -> TokenUsage | None:
    return TokenUsage(**json.loads(text)) if text else None


def _item(row: tuple[Any, ...]) -> BatchItem:
    (job_id, custom_id, chunk, source, name, sha256, text, state, usage, usd, full_usd, path, error,
     answer) = row  # fmt: skip
    return BatchItem(job_id, custom_id, chunk, source, name, sha256, text, state, _usage(usage), usd,
                     full_usd, path, error, answer)  # fmt: skip


class BatchStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create_job(
        self,
        *,
        name: str,
        model: str,
        instruction: str,
        max_tokens: int,
        out_dir: str,
        items: list[NewItem],
        chunks: int,
        stage: Stage = "single",
        question: str | None = None,
        parent_id: int | None = None,
        final_model: str | None = None,
        final_max_tokens: int | None = None,
    ) -> BatchJob:
        """The job, its chunks and items, in one transaction: all of it is kept, or none."""
        with self.store.connect() as db:
            cursor = db.execute(
                "INSERT INTO batch_jobs (created, name, model, instruction, max_tokens, out_dir, "
                "stage, question, parent_id, final_model, final_max_tokens, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'submitting')",
                (time.time(), name, model, instruction, max_tokens, out_dir, stage, question,
                 parent_id, final_model, final_max_tokens),
            )  # fmt: skip
            job_id = cursor.lastrowid
            assert job_id is not None
            db.executemany(
                "INSERT INTO batch_chunks (job_id, position, status) VALUES (?, ?, 'submitting')",
                [(job_id, n) for n in range(chunks)],
            )
            db.executemany(
                "INSERT INTO batch_items (job_id, custom_id, chunk, source, name, sha256, text, "
                "state) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
                [(job_id, i.custom_id, i.chunk, i.source, i.name, i.sha256, i.text) for i in items],
            )
        job = self.job(job_id)
        assert job is not None
        return job

    def job(self, job_id: int) -> BatchJob | None:
        with self.store.connect() as db:
            row = db.execute(f"SELECT {_JOB_COLUMNS} FROM batch_jobs WHERE id = ?", (job_id,)).fetchone()
        return BatchJob(*row) if row else None

    def jobs(self, limit: int = 1000) -> list[BatchJob]:
        """Every job, newest first."""
        with self.store.connect() as db:
            rows = db.execute(
                f"SELECT {_JOB_COLUMNS} FROM batch_jobs ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [BatchJob(*row) for row in rows]

    def listing(self, limit: int = 1000) -> list[tuple[BatchJob, int, float]]:
        """Every job, newest first, with its item count and cost so far, in one query: a list of
        200 jobs must not read every document's text, and a job read apart from its costs could
        show "fetched" at $0.00 when a fetch lands between the two reads."""
        columns = ", ".join(f"j.{name.strip()}" for name in _JOB_COLUMNS.split(","))
        with self.store.connect() as db:
            rows = db.execute(
                f"SELECT {columns}, COALESCE(t.n, 0), COALESCE(t.usd, 0) FROM batch_jobs j "
                "LEFT JOIN (SELECT job_id, COUNT(*) AS n, SUM(usd) AS usd FROM batch_items "
                "GROUP BY job_id) t ON t.job_id = j.id ORDER BY j.id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [(BatchJob(*row[:-2]), row[-2], row[-1]) for row in rows]

    def children(self, job_id: int) -> list[BatchJob]:
        """Jobs that retry this one or follow its triage."""
        with self.store.connect() as db:
            rows = db.execute(
                f"SELECT {_JOB_COLUMNS} FROM batch_jobs WHERE parent_id = ? ORDER BY id", (job_id,)
            ).fetchall()
        return [BatchJob(*row) for row in rows]

    def chunks(self, job_id: int) -> list[BatchChunk]:
        with self.store.connect() as db:
            rows = db.execute(
                "SELECT job_id, position, batch_id, status FROM batch_chunks WHERE job_id = ? "
                "ORDER BY position",
                (job_id,),
            ).fetchall()
        return [BatchChunk(*row) for row in rows]

    def items(self, job_id: int, chunk: int | None = None) -> list[BatchItem]:
        query = f"SELECT {_ITEM_COLUMNS} FROM batch_items WHERE job_id = ?"
        args: tuple[int, ...] = (job_id,)
        if chunk is not None:
            query, args = query + " AND chunk = ?", (job_id, chunk)
        with self.store.connect() as db:
            rows = db.execute(query + " ORDER BY rowid", args).fetchall()
        return [_item(row) for row in rows]

    def texts(self, job_id: int, chunk: int) -> Iterator[tuple[str, str]]:
        """(custom_id, text) of a chunk's items in order, read from the store as they are taken."""
        with contextlib.closing(self.store.connect()) as db:
            yield from db.execute(
                "SELECT custom_id, text FROM batch_items WHERE job_id = ? AND chunk = ? ORDER BY rowid",
                (job_id, chunk),
            )

    def chunk_submitted(self, job_id: int, position: int, batch_id: str) -> None:
        with self.store.connect() as db:
            db.execute(
                "UPDATE batch_chunks SET batch_id = ?, status = 'in_progress' "
                "WHERE job_id = ? AND position = ?",
                (batch_id, job_id, position),
            )

    def chunk_status(self, job_id: int, position: int, status: JobStatus) -> None:
        with self.store.connect() as db:
            db.execute(
                "UPDATE batch_chunks SET status = ? WHERE job_id = ? AND position = ?",
                (status, job_id, position),
            )

    def job_status(self, job_id: int, status: JobStatus) -> None:
        ended = time.time() if status in ("ended", "fetched") else None
        with self.store.connect() as db:
            db.execute(
                "UPDATE batch_jobs SET status = ?, ended = COALESCE(ended, ?) WHERE id = ?",
                (status, ended, job_id),
            )

    def pending_names(self, job_id: int, custom_ids: Sequence[str]) -> dict[str, str]:
        """Of these items, those still waiting for their result, with their result file's name:
        what fetch needs of a group of results, without loading every item (and its text)."""
        names: dict[str, str] = {}
        with self.store.connect() as db:
            for start in range(0, len(custom_ids), 500):  # SQLite's bound-parameter limit
                part = custom_ids[start : start + 500]
                rows = db.execute(
                    "SELECT custom_id, name FROM batch_items WHERE job_id = ? AND state = 'pending' "
                    f"AND custom_id IN ({', '.join('?' * len(part))})",
                    (job_id, *part),
                ).fetchall()
                names.update(rows)
        return names

    def items_done(self, job_id: int, results: Sequence[ItemResult]) -> list[str]:
        """Record many results in one transaction, each once, its cost with it: the custom_ids
        recorded now. An item that already had a result (a second fetch) keeps it, and its cost
        is not counted again."""
        recorded: list[str] = []
        with self.store.connect() as db:
            for r in results:
                cursor = db.execute(
                    "UPDATE batch_items SET state = ?, usage = ?, usd = ?, full_usd = ?, result_path = ?, "
                    "error = ?, answer = ? WHERE job_id = ? AND custom_id = ? AND state = 'pending'",
                    (r.state, json.dumps(vars(r.usage)) if r.usage else None, r.usd, r.full_usd,
                     r.result_path, r.error, r.answer, job_id, r.custom_id),
                )  # fmt: skip
                if cursor.rowcount == 1:
                    recorded.append(r.custom_id)
                    if r.cost is not None:  # counts towards the day's spend, like a reply in the studio
                        self.store.record_in(db, r.cost)
        return recorded

    def item_done(
        self,
        job_id: int,
        custom_id: str,
        state: ItemState,
        *,
        usage: TokenUsage | None = None,
        usd: float | None = None,
        full_usd: float | None = None,
        result_path: str | None = None,
        error: str | None = None,
        answer: str | None = None,
    ) -> bool:
        """Record an item's result once: False if it already had one (a second fetch)."""
        result = ItemResult(custom_id, state, usage, usd, full_usd, result_path, error, answer)
        return bool(self.items_done(job_id, [result]))
