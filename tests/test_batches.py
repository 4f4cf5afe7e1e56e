"""Batch jobs through the real SDK against the loopback's Message Batches endpoints: files on disk,
half-price costs, a second fetch that writes nothing, retry of only what failed, and triage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import anthropic
import pytest
from conftest import TEST_KEY
from fakeapi import RecordingServer

from studio.core import batches as batches_module
from studio.core.batch_documents import BatchInputError, Document, read_documents
from studio.core.batch_store import BatchJob
from studio.core.batches import Batches
from studio.core.catalog import Catalog
from studio.core.store import Store

SONNET, HAIKU = "claude-sonnet-4-6", "claude-haiku-4-5-20251001"


@pytest.fixture
async def batches(server: RecordingServer, tmp_path: Path) -> AsyncIterator[Batches]:
    server.batch_seconds = 0.2
    client = anthropic.AsyncAnthropic(api_key=TEST_KEY, base_url=server.base_url)
    yield Batches(client, Store(tmp_path / "studio.db"), Catalog.builtin(), "You are an editor.", TEST_KEY)
    await client.close()


def documents(tmp_path: Path, texts: list[str]) -> tuple[list[Path], list[Document]]:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    paths = []
    for n, text in enumerate(texts):
        path = folder / f"doc{n:02d}.md"
        path.write_text(text)
        paths.append(path)
    return paths, read_documents(paths)


async def until_ended(batches: Batches, job: BatchJob) -> None:
    for _ in range(200):
        progress = await batches.refresh(job)
        if progress.ended == progress.chunks:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the batch never ended")


def new_job(batches: Batches, docs: list[Document], paths: list[Path], out: Path, **kw: object) -> BatchJob:
    return batches.create_job(
        docs, name="proofread", model=SONNET, instruction="Proofread this.", max_tokens=200,
        out_dir=out, inputs=paths, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


async def test_twenty_documents_come_back_as_twenty_files_at_half_price(
    batches: Batches, server: RecordingServer, tmp_path: Path
) -> None:
    paths, docs = documents(tmp_path, [f"Document {n} has a typo in it, teh end." for n in range(20)])
    out = tmp_path / "out"
    job = new_job(batches, docs, paths, out)
    await batches.submit(job)
    created = [r for r in server.requests if r.path == "/v1/messages/batches" and r.method == "POST"]
    assert len(created) == 1 and len(created[0].json["requests"]) == 20
    first = created[0].json["requests"][0]["params"]
    assert first["system"][-1]["cache_control"] == {"type": "ephemeral"}  # the shared prefix
    await until_ended(batches, job)
    fetched = await batches.fetch(job)
    assert fetched.written == 20
    assert sorted(p.name for p in out.iterdir()) == [f"doc{n:02d}.md" for n in range(20)]
    assert all(p.read_text().strip() for p in out.iterdir())
    items = batches.jobs.items(job.id)
    assert {i.state for i in items} == {"succeeded"}
    for item in items:  # priced from each result's own usage, at half the full price
        assert item.usage is not None and item.usage.input > 0
        assert item.usd == pytest.approx((item.full_usd or 0) / 2) and (item.usd or 0) > 0
    assert batches.store.spent_on(date.today()) == pytest.approx(sum(i.usd or 0 for i in items))
    # Safe to run again: nothing is written twice, nothing counted twice.
    again = await batches.fetch(batches.jobs.job(job.id))  # type: ignore[arg-type]
    assert again.written == 0
    assert batches.store.spent_on(date.today()) == pytest.approx(sum(i.usd or 0 for i in items))
    assert batches.jobs.job(job.id).status == "fetched"  # type: ignore[union-attr]


async def test_results_recorded_group_by_group_are_each_kept_once(
    batches: Batches, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches_module, "RESULT_GROUP", 3)  # 10 results: groups of 3, 3, 3 and 1
    paths, docs = documents(tmp_path, [f"Note {n}, teh end." for n in range(9)] + ["[[errored]] bad"])
    out = tmp_path / "out"
    job = new_job(batches, docs, paths, out)
    await batches.submit(job)
    await until_ended(batches, job)
    assert (await batches.fetch(job)).written == 9
    assert sorted(p.name for p in out.iterdir()) == [f"doc{n:02d}.md" for n in range(9)]
    items = batches.jobs.items(job.id)
    assert [i.state for i in items] == ["succeeded"] * 9 + ["errored"]
    spent = batches.store.spent_on(date.today())
    assert spent == pytest.approx(sum(i.usd or 0 for i in items)) and spent > 0
    assert (await batches.fetch(batches.jobs.job(job.id))).written == 0  # type: ignore[arg-type]
    assert batches.store.spent_on(date.today()) == pytest.approx(spent)


async def test_failed_items_get_no_file_and_retry_sends_exactly_them(
    batches: Batches, server: RecordingServer, tmp_path: Path
) -> None:
    paths, docs = documents(tmp_path, ["fine one", "[[errored]] broken", "fine two", "[[expired]] late"])
    out = tmp_path / "out"
    job = new_job(batches, docs, paths, out)
    await batches.submit(job)
    await until_ended(batches, job)
    await batches.fetch(job)
    states = {i.name: i.state for i in batches.jobs.items(job.id)}
    assert states == {"doc00.md": "succeeded", "doc01.md": "errored", "doc02.md": "succeeded",
                      "doc03.md": "expired"}  # fmt: skip
    errored = next(i for i in batches.jobs.items(job.id) if i.state == "errored")
    assert errored.error and "invalid_request_error" in errored.error
    assert sorted(p.name for p in out.iterdir()) == ["doc00.md", "doc02.md"]

    server.batch_fate = lambda custom_id, params: "succeeded"  # the API is well again
    retry = batches.retry_job(job)
    assert retry is not None and retry.parent_id == job.id
    await batches.submit(retry)
    sent = [r for r in server.requests if r.path == "/v1/messages/batches" and r.method == "POST"][-1]
    texts = [r["params"]["messages"][0]["content"][0]["text"] for r in sent.json["requests"]]
    assert texts == ["[[errored]] broken", "[[expired]] late"]
    await until_ended(batches, retry)
    await batches.fetch(retry)
    assert sorted(p.name for p in out.iterdir()) == ["doc00.md", "doc01.md", "doc02.md", "doc03.md"]


async def test_triage_sends_only_the_yes_documents_to_the_second_model(
    batches: Batches, server: RecordingServer, tmp_path: Path
) -> None:
    paths, docs = documents(tmp_path, ["[[yes]] about whales", "a recipe for tea", "[[yes]] more whales"])
    out = tmp_path / "out"
    triage = new_job(
        batches, docs, paths, out, stage="triage", question="Is it about the sea?",
        final_model=SONNET, final_max_tokens=300,
    )  # fmt: skip
    triage = batches.jobs.job(triage.id)  # type: ignore[assignment]
    assert triage.model == SONNET  # the caller chooses the triage model: here, the same
    await batches.submit(triage)
    await until_ended(batches, triage)
    fetched = await batches.fetch(triage)
    assert fetched.written == 0 and fetched.answered == 3
    assert [i.answer for i in batches.jobs.items(triage.id)] == ["yes", "no", "yes"]
    second = fetched.follow_up
    assert second is not None and second.stage == "final" and second.max_tokens == 300
    assert [i.name for i in batches.jobs.items(second.id)] == ["doc00.md", "doc02.md"]
    await until_ended(batches, second)
    await batches.fetch(second)
    assert sorted(p.name for p in out.iterdir()) == ["doc00.md", "doc02.md"]


async def test_a_request_the_api_refuses_is_caught_before_the_batch(batches: Batches) -> None:
    params = batches.params_for("claude-sonnet-4-6", 100, "Proofread.", None, "text")
    params["messages"] = []
    with pytest.raises(BatchInputError, match="at least one message"):
        await batches.validate(params)


async def test_a_new_batch_that_is_not_found_for_a_moment_is_asked_again(
    batches: Batches, server: RecordingServer, tmp_path: Path
) -> None:
    server.batch_404_after_create = 2
    paths, docs = documents(tmp_path, ["one"])
    job = new_job(batches, docs, paths, tmp_path / "out")
    await batches.submit(job)
    await until_ended(batches, job)
    assert (await batches.fetch(job)).written == 1


async def test_a_job_over_one_batch_goes_as_several_and_each_ending_shows(
    batches: Batches, server: RecordingServer, tmp_path: Path
) -> None:
    """The API takes at most 100,000 requests or 256 MB in one batch: a bigger job is split, and
    each batch that ends is real progress (the API's counts stay at zero until a batch ends)."""
    paths, docs = documents(tmp_path, [f"document {n}" for n in range(5)])
    job = new_job(batches, docs, paths, tmp_path / "out", per_batch=(2, 10**9))
    await batches.submit(job)
    created = [r for r in server.requests if r.path == "/v1/messages/batches" and r.method == "POST"]
    assert [len(r.json["requests"]) for r in created] == [2, 2, 1]
    await until_ended(batches, job)
    progress = await batches.refresh(job)
    assert (progress.chunks, progress.ended) == (3, 3)
    assert (await batches.fetch(job)).written == 5
    assert len(list((tmp_path / "out").iterdir())) == 5
