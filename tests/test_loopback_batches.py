"""The loopback's Message Batches API, driven by the real SDK over real HTTP."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import anthropic
import pytest
from anthropic.types.messages import MessageBatch, MessageBatchIndividualResponse
from conftest import TEST_KEY
from fakeapi import RecordingServer

from studio.loopback.demo import demo_text
from studio.loopback.sse import estimate_input_tokens

MODEL = "claude-sonnet-4-6"
ZERO_OUTCOMES = {"succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}


@pytest.fixture
async def client(server: RecordingServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    server.batch_seconds = 0.2
    sdk = anthropic.AsyncAnthropic(api_key=TEST_KEY, base_url=server.base_url, max_retries=0)
    yield sdk
    await sdk.close()


def params(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 200, "messages": [{"role": "user", "content": text}], **extra}


def item(custom_id: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"custom_id": custom_id, "params": params(text, **extra)}


def outcomes(batch: MessageBatch) -> dict[str, int]:
    counts = batch.request_counts
    return {
        "succeeded": counts.succeeded,
        "errored": counts.errored,
        "canceled": counts.canceled,
        "expired": counts.expired,
    }


async def until_ended(
    client: anthropic.AsyncAnthropic, batch_id: str, timeout: float = 15
) -> tuple[MessageBatch, list[MessageBatch]]:
    """Poll as a client would: the ended batch, and every earlier answer seen on the way."""
    seen: list[MessageBatch] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = await client.messages.batches.retrieve(batch_id)
        if batch.processing_status == "ended":
            return batch, seen
        seen.append(batch)
        await asyncio.sleep(0.02)
    raise AssertionError(f"{batch_id} did not end within {timeout} s")


async def results(client: anthropic.AsyncAnthropic, batch_id: str) -> list[MessageBatchIndividualResponse]:
    decoder = await client.messages.batches.results(batch_id)
    return [line async for line in decoder]


async def test_a_batch_runs_to_the_end_and_each_request_comes_back_once(
    server: RecordingServer, client: anthropic.AsyncAnthropic
) -> None:
    server.batch_seconds = 1.0
    texts = {f"note-{n}": f"Tighten paragraph {n} of the essay, please." for n in range(5)}
    created = await client.messages.batches.create(requests=[item(cid, text) for cid, text in texts.items()])

    assert created.id.startswith("msgbatch_") and created.type == "message_batch"
    assert created.processing_status == "in_progress"
    assert created.request_counts.processing == 5 and outcomes(created) == ZERO_OUTCOMES
    assert created.expires_at - created.created_at == timedelta(hours=24)
    assert created.ended_at is None and created.results_url is None
    assert created.cancel_initiated_at is None and created.archived_at is None

    ended, on_the_way = await until_ended(client, created.id)
    assert on_the_way, "the batch ended before a single poll saw it in progress"
    for batch in on_the_way:  # no progress bar: nothing is counted until the whole batch ends
        assert batch.processing_status == "in_progress"
        assert batch.request_counts.processing == 5 and outcomes(batch) == ZERO_OUTCOMES
    assert ended.request_counts.processing == 0
    assert outcomes(ended) == {**ZERO_OUTCOMES, "succeeded": 5}
    assert ended.ended_at is not None and ended.ended_at >= created.created_at
    assert ended.results_url == f"{server.base_url}/v1/messages/batches/{created.id}/results"

    lines = await results(client, created.id)
    ids = [line.custom_id for line in lines]
    assert sorted(ids) == sorted(texts) and ids != list(texts)  # each once, not in submission order
    for line in lines:
        assert line.result.type == "succeeded"
        message = line.result.message
        sent = params(texts[line.custom_id])
        assert message.type == "message" and message.role == "assistant" and message.model == MODEL
        assert message.stop_reason == "end_turn"
        assert [block.type for block in message.content] == ["text"]
        assert message.content[0].text == demo_text(sent)  # the demo's reply to that very request
        assert message.usage.input_tokens == estimate_input_tokens(sent)
        assert message.usage.output_tokens == len(demo_text(sent)) // 4
        assert message.usage.service_tier == "batch"


async def test_the_shared_cached_prefix_is_written_once_then_read(
    server: RecordingServer, client: anthropic.AsyncAnthropic
) -> None:
    # About 2,500 tokens: over Sonnet 4.6's minimum of 2,048.
    instructions = "You are a careful copy editor. " + "Keep the writer's voice. " * 400
    system = [{"type": "text", "text": instructions, "cache_control": {"type": "ephemeral"}}]
    requests = [item(f"doc-{n}", f"Document {n}: the quick brown fox.", system=system) for n in range(3)]
    batch = await client.messages.batches.create(requests=requests)
    await until_ended(client, batch.id)

    usage = {line.custom_id: line.result.message.usage for line in await results(client, batch.id)}
    written = usage["doc-0"].cache_creation_input_tokens
    assert written >= 1024 and usage["doc-0"].cache_read_input_tokens == 0
    for later in ("doc-1", "doc-2"):
        assert usage[later].cache_read_input_tokens == written
        assert usage[later].cache_creation_input_tokens == 0
        assert usage[later].input_tokens < written


async def test_markers_make_items_errored_or_expired(client: anthropic.AsyncAnthropic) -> None:
    batch = await client.messages.batches.create(
        requests=[
            item("fine", "A plain request."),
            item("broken", "Summarise this. [[errored]]"),
            item("late", "Summarise that. [[expired]]"),
        ]
    )
    ended, _ = await until_ended(client, batch.id)
    assert outcomes(ended) == {"succeeded": 1, "errored": 1, "canceled": 0, "expired": 1}

    by_id = {line.custom_id: line.result for line in await results(client, batch.id)}
    assert by_id["fine"].type == "succeeded"
    assert by_id["late"].type == "expired"
    broken = by_id["broken"]
    assert broken.type == "errored"
    assert broken.error.type == "error" and broken.error.error.type == "invalid_request_error"
    assert "[[errored]]" in broken.error.error.message


async def test_the_fate_hook_decides_per_custom_id(
    server: RecordingServer, client: anthropic.AsyncAnthropic
) -> None:
    asked: list[tuple[str, str]] = []

    def fate(custom_id: str, sent: dict[str, Any]) -> str | None:
        asked.append((custom_id, sent["messages"][0]["content"]))
        return {"a": "errored", "b": "expired", "c": "canceled", "d": "bogus"}.get(custom_id)

    server.batch_fate = fate
    batch = await client.messages.batches.create(
        requests=[item(cid, f"text {cid} [[expired]]" if cid == "e" else f"text {cid}") for cid in "abcde"]
    )
    ended, _ = await until_ended(client, batch.id)
    assert outcomes(ended) == {"succeeded": 0, "errored": 2, "canceled": 1, "expired": 2}
    by_id = {line.custom_id: line.result for line in await results(client, batch.id)}
    assert {cid: result.type for cid, result in by_id.items()} == {
        "a": "errored",
        "b": "expired",
        "c": "canceled",
        "d": "errored",  # a hook answering nonsense is a loopback fault, reported as one
        "e": "expired",  # None: the marker decides
    }
    assert by_id["d"].error.error.type == "api_error" and "bogus" in by_id["d"].error.error.message
    assert sorted(asked) == [(cid, f"text {cid}" + (" [[expired]]" if cid == "e" else "")) for cid in "abcde"]


async def test_cancel_ends_the_batch_with_unprocessed_items_canceled(
    server: RecordingServer, client: anthropic.AsyncAnthropic
) -> None:
    server.batch_seconds = 30
    batch = await client.messages.batches.create(requests=[item(f"r{n}", "Hello") for n in range(3)])
    canceling = await client.messages.batches.cancel(batch.id)
    assert canceling.processing_status == "canceling"
    assert canceling.cancel_initiated_at is not None and canceling.results_url is None
    assert canceling.request_counts.processing == 3 and outcomes(canceling) == ZERO_OUTCOMES

    ended, _ = await until_ended(client, batch.id, timeout=5)
    assert outcomes(ended) == {**ZERO_OUTCOMES, "canceled": 3}
    assert ended.cancel_initiated_at == canceling.cancel_initiated_at
    lines = await results(client, batch.id)
    assert sorted(line.custom_id for line in lines) == ["r0", "r1", "r2"]
    assert {line.result.type for line in lines} == {"canceled"}

    with pytest.raises(anthropic.BadRequestError, match="already ended"):
        await client.messages.batches.cancel(batch.id)


async def test_delete_only_once_ended(server: RecordingServer, client: anthropic.AsyncAnthropic) -> None:
    server.batch_seconds = 30
    running = await client.messages.batches.create(requests=[item("only", "Hello")])
    with pytest.raises(anthropic.BadRequestError, match="only an ended batch can be deleted") as refused:
        await client.messages.batches.delete(running.id)
    assert refused.value.status_code == 400
    await client.messages.batches.cancel(running.id)
    await until_ended(client, running.id, timeout=5)

    deleted = await client.messages.batches.delete(running.id)
    assert deleted.id == running.id and deleted.type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        await client.messages.batches.retrieve(running.id)
    assert [b.id async for b in client.messages.batches.list()] == []


async def test_unknown_batches_are_not_found(client: anthropic.AsyncAnthropic) -> None:
    for call in (
        client.messages.batches.retrieve,
        client.messages.batches.cancel,
        client.messages.batches.delete,
        client.messages.batches.results,
    ):
        with pytest.raises(anthropic.NotFoundError, match="msgbatch_nope"):
            await call("msgbatch_nope")


async def test_results_wait_for_the_end(server: RecordingServer, client: anthropic.AsyncAnthropic) -> None:
    server.batch_seconds = 30
    batch = await client.messages.batches.create(requests=[item("only", "Hello")])
    with pytest.raises(anthropic.AnthropicError, match="No `results_url`"):
        await client.messages.batches.results(batch.id)
    status, answer = raw(server, "GET", f"/v1/messages/batches/{batch.id}/results")
    assert status == 400 and "results are ready once it has ended" in answer["error"]["message"]
    await client.messages.batches.cancel(batch.id)


async def test_list_is_newest_first_and_pages(client: anthropic.AsyncAnthropic) -> None:
    made = []
    for n in range(5):  # one after another: creation order is the list's order
        made.append((await client.messages.batches.create(requests=[item(f"b{n}", "Hi")])).id)
    newest_first = made[::-1]

    page = await client.messages.batches.list(limit=2)
    assert [b.id for b in page.data] == newest_first[:2]
    assert page.has_more is True and page.first_id == newest_first[0] and page.last_id == newest_first[1]
    assert [b.id async for b in client.messages.batches.list(limit=2)] == newest_first  # follows after_id
    assert [b.id for b in (await client.messages.batches.list()).data] == newest_first  # limit 20

    last = await client.messages.batches.list(limit=2, after_id=newest_first[3])
    assert [b.id for b in last.data] == newest_first[4:] and last.has_more is False
    before = await client.messages.batches.list(limit=2, before_id=newest_first[3])
    assert [b.id for b in before.data] == newest_first[1:3] and before.has_more is True

    for limit in (0, 1001):
        with pytest.raises(anthropic.BadRequestError, match="limit"):
            await client.messages.batches.list(limit=limit)


async def test_concurrent_batches_do_not_mix(client: anthropic.AsyncAnthropic) -> None:
    created = await asyncio.gather(
        *(
            client.messages.batches.create(requests=[item(f"{n}-{k}", "Hi") for k in range(3)])
            for n in range(4)
        )
    )
    assert len({batch.id for batch in created}) == 4
    for n, batch in enumerate(created):
        await until_ended(client, batch.id)
        assert sorted(line.custom_id for line in await results(client, batch.id)) == [
            f"{n}-{k}" for k in range(3)
        ]


@pytest.mark.parametrize(
    ("requests", "complaint"),
    [
        ([item("has space", "Hi")], "requests.0.custom_id: 'has space' must match ^[a-zA-Z0-9_-]{1,64}$"),
        ([item("a" * 65, "Hi")], "must match ^[a-zA-Z0-9_-]{1,64}$"),
        ([item("", "Hi")], "requests.0.custom_id: '' must match"),
        (
            [item("same", "Hi"), item("other", "Hi"), item("same", "Ho")],
            "requests.2.custom_id: 'same' is already used by requests.0; each custom_id must be unique",
        ),
        ([item("s", "Hi", stream=True)], "requests.0.params.stream: streaming is not supported"),
        ([{"custom_id": "m", "params": {"model": MODEL, "messages": []}}], "requests.0.params: max_tokens"),
        ([{"custom_id": "p"}], "requests.0.params: Field required"),
        ([], "requests: a Message Batch needs at least 1 request"),
    ],
)
async def test_malformed_batches_are_refused_with_a_clear_message(
    client: anthropic.AsyncAnthropic, requests: list[Any], complaint: str
) -> None:
    with pytest.raises(anthropic.BadRequestError) as refused:
        await client.messages.batches.create(requests=requests)
    assert refused.value.status_code == 400
    assert isinstance(refused.value.body, dict)
    assert refused.value.body["error"]["type"] == "invalid_request_error"
    assert complaint in refused.value.body["error"]["message"]
    assert [b async for b in client.messages.batches.list()] == []


def test_too_many_requests_or_bytes_are_refused(server: RecordingServer) -> None:
    tiny = {"custom_id": "x", "params": {}}
    status, answer = raw(server, "POST", "/v1/messages/batches", {"requests": [tiny] * 100_001})
    assert status == 400
    assert answer["error"]["message"] == (
        "requests: a Message Batch holds at most 100,000 requests; this one has 100,001"
    )
    server.batch_max_bytes = 1000
    status, answer = raw(server, "POST", "/v1/messages/batches", {"requests": [item("big", "x" * 2000)]})
    assert status == 413 and answer["error"]["type"] == "request_too_large"
    assert "at most 1,000 bytes" in answer["error"]["message"]


async def test_a_new_batch_can_answer_404_for_a_moment(
    server: RecordingServer, client: anthropic.AsyncAnthropic
) -> None:
    server.batch_404_after_create = 2
    batch = await client.messages.batches.create(requests=[item("only", "Hello")])
    for _ in range(2):
        with pytest.raises(anthropic.NotFoundError):
            await client.messages.batches.retrieve(batch.id)
    assert (await client.messages.batches.retrieve(batch.id)).id == batch.id
    ended, _ = await until_ended(client, batch.id)  # later GETs are answered
    assert ended.request_counts.succeeded == 1


async def test_triage_requests_answer_exactly_yes_or_no(client: anthropic.AsyncAnthropic) -> None:
    ask = "Answer yes or no: does this document mention dragons?"
    documents = {
        "named": ("Two DRAGONS guard the bridge.", "yes"),
        "absent": ("A knight crosses the bridge at dawn.", "no"),
        "marked": ("Nothing relevant here. [[YES]]", "yes"),
        "part-word": ("The snapdragons bloom in May.", "no"),  # whole words only
        "phrase-word": ("I will answer your letter.", "no"),  # the phrase's own words do not count
        "short-word": ("Does it? This one does.", "no"),  # "does" has four letters
    }
    requests = [item(cid, text, system=ask) for cid, (text, _) in documents.items()]
    requests.append(
        item("in-user", "Is this about pricing? Please answer YES or NO.\n\nPricing starts at $5.")
    )
    requests.append(item("plain", "Is this about pricing? Pricing starts at $5."))
    batch = await client.messages.batches.create(requests=requests)
    await until_ended(client, batch.id)

    replies = {}
    for line in await results(client, batch.id):
        assert line.result.type == "succeeded"
        replies[line.custom_id] = "".join(block.text for block in line.result.message.content)
        assert line.result.message.usage.input_tokens > 1
    expected = {cid: answer for cid, (_, answer) in documents.items()}
    assert replies == {**expected, "in-user": "yes", "plain": replies["plain"]}
    assert replies["plain"] not in ("yes", "no")  # no "Answer yes or no": the usual demo reply


async def test_a_processing_batch_blocks_no_other_request(
    server: RecordingServer, client: anthropic.AsyncAnthropic
) -> None:
    release = threading.Event()
    server.batch_fate = lambda custom_id, sent: None if release.wait(20) else "errored"
    server.batch_seconds = 0
    batch = await client.messages.batches.create(requests=[item("held", "Hello")])
    try:
        started = time.monotonic()
        reply = await client.messages.create(**params("Meanwhile, a chat message"))
        again = await client.messages.batches.retrieve(batch.id)
        assert time.monotonic() - started < 5
        assert reply.content[0].type == "text" and again.processing_status == "in_progress"
    finally:
        release.set()
    ended, _ = await until_ended(client, batch.id)
    assert ended.request_counts.succeeded == 1


def test_main_serves_batches() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "studio.loopback", "--batch-seconds", "0"],
        cwd=Path(__file__).parents[1],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip().partition("=")[2]
        status, created = raw(base_url, "POST", "/v1/messages/batches", {"requests": [item("one", "Hi")]})
        assert status == 200 and created["processing_status"] == "in_progress"
        deadline = time.monotonic() + 20
        while (batch := raw(base_url, "GET", f"/v1/messages/batches/{created['id']}")[1])[
            "processing_status"
        ] != "ended":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with urllib.request.urlopen(batch["results_url"], timeout=20) as response:
            lines = [json.loads(line) for line in response.read().splitlines()]
        assert [(line["custom_id"], line["result"]["type"]) for line in lines] == [("one", "succeeded")]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()


def raw(target: RecordingServer | str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """A plain HTTP request (no SDK), for what the SDK will not send; the status and JSON answer."""
    base_url = target if isinstance(target, str) else target.base_url
    request = urllib.request.Request(
        base_url + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"content-type": "application/json", "x-api-key": TEST_KEY},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
