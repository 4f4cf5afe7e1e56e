"""Batch jobs against the Message Batches API: plan, estimate, submit, follow, fetch, cancel, retry.

Every step reads and writes the store first, so any of them can run again after a restart:
`submit` sends only chunks the API has not accepted, `fetch` writes only results not yet written.
Imports the SDK (as engine.py does): front ends load this module when a batch command runs.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import anthropic

from studio.core.batch_documents import (
    CHUNK_BYTES,
    MAX_REQUESTS,
    TRIAGE_MAX_TOKENS,
    BatchInputError,
    Document,
    custom_id,
    is_yes,
    request_params,
    result_names,
    triage_params,
)
from studio.core.batch_store import (
    BatchJob,
    BatchStore,
    ItemResult,
    ItemState,
    NewItem,
    Stage,
)
from studio.core.catalog import Catalog
from studio.core.diskio import atomic_write, fsync_folder
from studio.core.errors import describe_failure
from studio.core.store import Store
from studio.core.tokens import count_text, count_texts
from studio.core.usage import ReplyCost, TokenUsage, cost_usd

T = TypeVar("T")

FOLLOWED = ("in_progress", "canceling", "ended")  # a job still to refresh or fetch
NOT_FOUND_RETRIES = 5  # the API can answer 404 for a moment right after a batch is created
RESULT_GROUP = 200  # results written, then recorded in one transaction


@dataclass(frozen=True)
class Estimate:
    """Before sending: tokens in, the output ceiling, and dollars at batch and full price."""

    requests: int
    input_tokens: int
    output_ceiling: int
    batch_usd: dict[str, float | None]  # by model id: this job on each model, at batch prices
    full_usd: dict[str, float | None]  # the same without batch


@dataclass(frozen=True)
class Progress:
    chunks: int
    ended: int
    submitted: int


@dataclass(frozen=True)
class Fetched:
    written: int  # result files written now (a second fetch writes none)
    answered: int  # triage answers recorded now
    follow_up: BatchJob | None  # the second stage a finished triage started


class BatchFailure(RuntimeError):
    """The API refused or could not be reached; the words say which (no traceback)."""


class Batches:
    def __init__(
        self, client: anthropic.AsyncAnthropic, store: Store, catalog: Catalog, persona: str, api_key: str
    ) -> None:
        self.client = client
        self.store = store
        self.jobs = BatchStore(store)
        self.catalog = catalog
        self.persona = persona
        self._secret = api_key

    def _failure(self, exc: BaseException, model: str = "") -> BatchFailure:
        failure = describe_failure(exc, model=model, secret=self._secret)
        return BatchFailure(f"{failure.title}. {failure.detail}")

    # -- planning ---------------------------------------------------------------------------

    def params_for(
        self, model: str, max_tokens: int, instruction: str, question: str | None, text: str
    ) -> dict[str, Any]:
        """One document's request; with a triage `question`, the one-word first pass."""
        if question is not None:
            return triage_params(model, question, text)
        return request_params(model, max_tokens, self.persona, instruction, text)

    def estimate(
        self, documents: Sequence[Document], instruction: str, max_tokens: int, models: Sequence[str]
    ) -> Estimate:
        """Offline: the prefix once per request plus each document, the output at its ceiling."""
        prefix = count_text(self.persona) + count_text(instruction) + 20
        tokens = count_texts([d.text for d in documents]) + prefix * len(documents)
        ceiling = max_tokens * len(documents)
        usage = TokenUsage(input=tokens, output=ceiling)
        batch: dict[str, float | None] = {}
        full: dict[str, float | None] = {}
        for model in models:
            price = self.catalog.info(model).price
            batch[model] = cost_usd(usage, price, batch=True) if price else None
            full[model] = cost_usd(usage, price) if price else None
        return Estimate(len(documents), tokens, ceiling, batch, full)

    async def validate(self, params: dict[str, Any]) -> None:
        """One request's shape, checked by the free token-counting call: the API otherwise
        reports a malformed request only when the whole batch has ended."""
        counted = {k: v for k, v in params.items() if k != "max_tokens"}
        try:
            await self.client.messages.count_tokens(**counted)
        except anthropic.APIStatusError as exc:
            raise BatchInputError(str(self._failure(exc, params["model"]))) from None
        except anthropic.APIError as exc:
            raise self._failure(exc, params["model"]) from None

    def create_job(
        self,
        documents: Sequence[Document],
        *,
        name: str,
        model: str,
        instruction: str,
        max_tokens: int,
        out_dir: Path,
        inputs: Sequence[Path] = (),
        stage: Stage = "single",
        question: str | None = None,
        parent_id: int | None = None,
        final_model: str | None = None,
        final_max_tokens: int | None = None,
        names: Sequence[str] | None = None,
        per_batch: tuple[int, int] = (MAX_REQUESTS, CHUNK_BYTES),
    ) -> BatchJob:
        """Keep the job and its items before anything is sent; chunks split at the API's limits."""
        names = list(names) if names is not None else result_names(documents, inputs, out_dir)
        items: list[NewItem] = []
        chunk, size, count = 0, 0, 0
        for index, (document, file_name) in enumerate(zip(documents, names, strict=True)):
            cost = len(document.text.encode()) + len(instruction.encode()) + 2048
            if count and (count >= per_batch[0] or size + cost > per_batch[1]):
                chunk, size, count = chunk + 1, 0, 0
            size, count = size + cost, count + 1
            items.append(
                NewItem(custom_id(index), chunk, document.source, file_name, document.sha256, document.text)
            )
        return self.jobs.create_job(
            name=name,
            model=model,
            instruction=instruction,
            max_tokens=TRIAGE_MAX_TOKENS if stage == "triage" else max_tokens,
            out_dir=str(out_dir),
            items=items,
            chunks=chunk + 1,
            stage=stage,
            question=question,
            parent_id=parent_id,
            final_model=final_model,
            final_max_tokens=final_max_tokens,
        )

    # -- talking to the API -----------------------------------------------------------------

    async def submit(self, job: BatchJob) -> None:
        """Send every chunk the API has not accepted yet."""
        for chunk in self.jobs.chunks(job.id):
            if chunk.batch_id is not None:
                continue
            # A generator, read from the store as the SDK copies it into the body: no list of
            # every item (and its text) beside the SDK's own copy of the requests.
            question = job.question if job.stage == "triage" else None
            requests = (
                {
                    "custom_id": custom_id,
                    "params": self.params_for(job.model, job.max_tokens, job.instruction, question, text),
                }
                for custom_id, text in self.jobs.texts(job.id, chunk.position)
            )
            try:
                batch = await self.client.messages.batches.create(requests=requests)  # type: ignore[arg-type]
            except anthropic.APIError as exc:
                raise self._failure(exc, job.model) from None
            self.jobs.chunk_submitted(job.id, chunk.position, batch.id)
        self.jobs.job_status(job.id, "in_progress")

    async def _retrieve(self, batch_id: str) -> Any:
        for attempt in range(NOT_FOUND_RETRIES + 1):
            try:
                return await self.client.messages.batches.retrieve(batch_id)
            except anthropic.NotFoundError:
                if attempt == NOT_FOUND_RETRIES:
                    raise
                await asyncio.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")

    async def refresh(self, job: BatchJob) -> Progress:
        """Ask the API how each chunk stands; the job has ended when every chunk has."""
        chunks = self.jobs.chunks(job.id)
        for chunk in chunks:
            if chunk.batch_id is None or chunk.status in ("ended", "fetched"):
                continue
            try:
                batch = await self._retrieve(chunk.batch_id)
            except anthropic.APIError as exc:
                raise self._failure(exc, job.model) from None
            if batch.processing_status in ("ended", "canceling"):
                self.jobs.chunk_status(job.id, chunk.position, batch.processing_status)
        chunks = self.jobs.chunks(job.id)
        ended = sum(c.status in ("ended", "fetched") for c in chunks)
        submitted = sum(c.batch_id is not None for c in chunks)
        if ended == len(chunks) and job.status in ("in_progress", "canceling"):
            self.jobs.job_status(job.id, "ended")
        return Progress(len(chunks), ended, submitted)

    async def fetch(self, job: BatchJob) -> Fetched:
        """Write the results of every chunk that has ended; safe to run again. Results stream
        through in groups: nothing holds the whole job in memory, and a group's items and costs
        are recorded in one transaction (not one commit, and fsync, per result)."""
        written = answered = 0
        for chunk in self.jobs.chunks(job.id):
            if chunk.status != "ended" or chunk.batch_id is None:
                continue
            try:
                results = await self.client.messages.batches.results(chunk.batch_id)
            except anthropic.APIError as exc:
                raise self._failure(exc, job.model) from None
            group: list[Any] = []
            failure = None
            try:
                async for line in results:
                    group.append(line)
                    if len(group) == RESULT_GROUP:
                        files, answers = self._keep(job, group)
                        written, answered, group = written + files, answered + answers, []
            except anthropic.APIError as exc:
                failure = self._failure(exc, job.model)
            finally:
                await results.close()  # the SDK leaves the stream open on an error
            files, answers = self._keep(job, group)  # what came before a failure is kept too
            written, answered = written + files, answered + answers
            if failure is not None:
                raise failure
            self.jobs.chunk_status(job.id, chunk.position, "fetched")
        follow_up = None
        if all(c.status == "fetched" for c in self.jobs.chunks(job.id)):
            self.jobs.job_status(job.id, "fetched")
            if job.stage == "triage" and not self.jobs.children(job.id):
                follow_up = await self._second_stage(job)
        return Fetched(written, answered, follow_up)

    def _keep(self, job: BatchJob, lines: Sequence[Any]) -> tuple[int, int]:
        """A group of result lines: the files written (made durable, folder and all), then every
        item and its cost recorded at once. A crash in between leaves the items pending, and the
        next fetch writes the same files again. (files written, triage answers kept)"""
        if not lines:
            return 0, 0
        names = self.jobs.pending_names(job.id, [line.custom_id for line in lines])
        out_dir = Path(job.out_dir)
        if names and job.stage != "triage":
            out_dir.mkdir(parents=True, exist_ok=True)
        results = []
        for line in lines:
            name = names.pop(line.custom_id, None)  # popped: a line twice is kept once
            if name is not None:  # else not ours, or already written by an earlier fetch
                results.append(self._result(job, line.custom_id, out_dir / name, line.result))
        if any(r.result_path for r in results):
            fsync_folder(out_dir)
        recorded = set(self.jobs.items_done(job.id, results))
        kept = [r for r in results if r.custom_id in recorded]
        return sum(r.result_path is not None for r in kept), sum(r.answer is not None for r in kept)

    def _result(self, job: BatchJob, custom_id: str, target: Path, result: Any) -> ItemResult:
        """One result: the file written (or the triage answer read), priced at batch rates."""
        kind: ItemState = result.type
        if kind != "succeeded":
            error = None
            if kind == "errored":
                error = f"{result.error.error.type}: {result.error.error.message}"
            return ItemResult(custom_id, kind, error=error or kind)
        message = result.message
        text = "".join(b.text for b in message.content if b.type == "text")
        usage = TokenUsage.from_api(message.usage.model_dump())
        price = self.catalog.info(message.model).price
        usd = cost_usd(usage, price, batch=True) if price else None
        full = cost_usd(usage, price) if price else None
        path, answer = None, None
        if job.stage == "triage":
            answer = "yes" if is_yes(text) else "no"
        else:
            atomic_write(target, text.encode(), 0o644, sync_folder=False)  # the caller syncs it
            path = str(target)
        cost = ReplyCost(message.model, usage, usd, None)
        return ItemResult(custom_id, "succeeded", usage, usd, full, path, None, answer, cost)

    async def _second_stage(self, triage: BatchJob) -> BatchJob | None:
        """The documents triage said yes to, to the chosen model: the brief's cheap-first pattern."""
        yes = [i for i in self.jobs.items(triage.id) if i.answer == "yes"]
        if not yes or triage.final_model is None:
            return None
        job = self.create_job(
            [Document(i.source, Path(i.name).stem, i.text) for i in yes],
            name=triage.name,
            model=triage.final_model,
            instruction=triage.instruction,
            max_tokens=triage.final_max_tokens or 4096,
            out_dir=Path(triage.out_dir),
            stage="final",
            parent_id=triage.id,
            names=[i.name for i in yes],
        )
        await self.submit(job)
        return job

    async def cancel(self, job: BatchJob) -> int:
        """Ask the API to stop every chunk still running; items not yet done become canceled."""
        canceled = 0
        for chunk in self.jobs.chunks(job.id):
            if chunk.batch_id is None or chunk.status in ("ended", "fetched"):
                continue
            try:
                await self.client.messages.batches.cancel(chunk.batch_id)
            except anthropic.APIError as exc:
                raise self._failure(exc, job.model) from None
            self.jobs.chunk_status(job.id, chunk.position, "canceling")
            canceled += 1
        if canceled:
            self.jobs.job_status(job.id, "canceling")
        return canceled

    def retry_job(self, job: BatchJob) -> BatchJob | None:
        """A new job, linked to this one, with only the items that errored or expired."""
        failed = [i for i in self.jobs.items(job.id) if i.state in ("errored", "expired")]
        if not failed:
            return None
        return self.create_job(
            [Document(i.source, Path(i.name).stem, i.text) for i in failed],
            name=job.name,
            model=job.model,
            instruction=job.instruction,
            max_tokens=job.max_tokens,
            out_dir=Path(job.out_dir),
            stage=job.stage,
            question=job.question,
            parent_id=job.id,
            final_model=job.final_model,
            final_max_tokens=job.final_max_tokens,
            names=[i.name for i in failed],
        )


async def submit_drafts(
    batches: Batches,
    drafts_root: Path,
    names: Sequence[str],
    instruction: str,
    model: str,
    max_tokens: int = 1024,
) -> int:
    """A job on drafts from the drafts folder (the studio's Batches screen): checked, kept and sent;
    its results go to drafts/batches/<instruction>-<time>/. The job's number."""
    from datetime import datetime

    from studio.core.batch_documents import read_documents

    paths = [drafts_root / name for name in names]
    documents = read_documents(paths)
    await batches.validate(batches.params_for(model, max_tokens, instruction, None, documents[0].text))
    slug = re.sub(r"[^\w-]+", "-", instruction.lower()).strip("-")[:30] or "job"
    job = batches.create_job(
        documents,
        name=" ".join(instruction.split())[:60],
        model=model,
        instruction=instruction,
        max_tokens=max_tokens,
        out_dir=(drafts_root / "batches" / f"{slug}-{datetime.now():%Y%m%d-%H%M%S}").resolve(),
        inputs=paths,
    )
    await batches.submit(job)
    return job.id


@dataclass(frozen=True)
class BatchAccess:
    """What it takes to reach the batches from any thread: each use opens its own client on the
    running loop (an SDK client belongs to one event loop)."""

    api_key: str
    base_url: str | None
    store: Store
    catalog: Catalog
    persona: str

    async def run(self, work: Callable[[Batches], Awaitable[T]]) -> T:
        client = anthropic.AsyncAnthropic(api_key=self.api_key, base_url=self.base_url)
        try:
            return await work(Batches(client, self.store, self.catalog, self.persona, self.api_key))
        finally:
            await client.close()

    def run_in_thread(self, work: Callable[[Batches], Awaitable[T]]) -> T:
        """From a worker thread: its own event loop, so nothing waits on the UI's."""
        return asyncio.run(self.run(work))

    async def poll(self) -> tuple[list[BatchJob], bool]:
        """Follow every job still running: refresh, and fetch what ended. The jobs that ended now,
        and whether any is still running (a triage's second stage starts running here too)."""

        async def follow(batches: Batches) -> tuple[list[BatchJob], bool]:
            ended = []
            for job in batches.jobs.jobs():
                if job.status not in FOLLOWED:
                    continue
                await batches.refresh(job)
                current = batches.jobs.job(job.id)
                if current is not None and current.status == "ended":
                    await batches.fetch(current)
                    ended.append(current)
            running = any(j.status in ("in_progress", "canceling") for j in batches.jobs.jobs())
            return ended, running

        # Most looks find nothing running: a read of the store, no client opened for it.
        if not any(j.status in FOLLOWED for j in BatchStore(self.store).jobs()):
            return [], False
        return await self.run(follow)
