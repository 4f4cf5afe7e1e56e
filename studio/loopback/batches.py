"""The Message Batches API: create, retrieve, list, cancel, delete, and the results as JSONL.

Batches live in memory for the server's life and are processed each on a thread of its own, one
item after another, spread over ``LoopbackServer.batch_seconds``, so nothing waits on them: the
lock is held only to read or change a batch's state, never while a reply is built.

As the API does it:

- ``request_counts`` show every request as ``processing`` until the whole batch ends; only then
  do ``succeeded``, ``errored``, ``canceled`` and ``expired`` count (no progress bar from them).
- ``results_url`` appears once the batch has ended, and the results file lists the items in an
  order that is not the submission order (a fixed shuffle of the batch), so clients must match
  lines by ``custom_id``.
- Cancelling moves the batch to ``canceling``, then ``ended``; items not processed yet end
  ``canceled``. Only an ended batch can be deleted.
- The first ``batch_404_after_create`` retrieves (``GET /v1/messages/batches/{id}``) of each new
  batch answer 404, as the API sometimes does for a moment after create (anthropic-sdk-python
  issue #1432), so a client's retry can be tested.

What each item becomes (the fate markers, the hook, triage answers): ``batch_items``.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from .batch_items import FateHook, item_result
from .builder import Outcome, error_body, json_outcome, messages_problem
from .cache import PromptCache
from .paging import LIMIT_PROBLEM, cursor_page, page_query
from .replies import Reply
from .sse import dumps, next_id

BATCHES_PATH = "/v1/messages/batches"
CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
MAX_REQUESTS = 100_000
MAX_BYTES = 256 * 1024 * 1024
LIFETIME = timedelta(hours=24)
RESULT_LINES_PER_CHUNK = 100
ProcessingStatus = Literal["in_progress", "canceling", "ended"]


class BatchHost(Protocol):
    """What the batches need of their server (``LoopbackServer``), read when they need it."""

    batch_seconds: float
    batch_fate: FateHook | None
    batch_404_after_create: int
    batch_max_bytes: int
    default: Reply
    prompt_cache: PromptCache

    @property
    def base_url(self) -> str: ...


@dataclass
class _Batch:
    id: str
    requests: list[tuple[str, dict[str, Any]]]  # (custom_id, params), in submission order
    created_at: datetime
    hidden_gets: int  # GETs still to answer 404
    results: list[dict[str, Any] | None] = field(default_factory=list)  # None: not processed yet
    status: ProcessingStatus = "in_progress"
    ended_at: datetime | None = None
    cancel_initiated_at: datetime | None = None
    wake: threading.Event = field(default_factory=threading.Event)  # cancel or server stop

    def as_json(self, base_url: str) -> dict[str, Any]:
        counts = {"processing": len(self.requests), "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if self.status == "ended":
            counts["processing"] = 0
            for result in self.results:
                counts[result["type"] if result else "canceled"] += 1
        ended = self.status == "ended"
        return {
            "id": self.id,
            "type": "message_batch",
            "processing_status": self.status,
            "request_counts": counts,
            "created_at": _rfc3339(self.created_at),
            "expires_at": _rfc3339(self.created_at + LIFETIME),
            "ended_at": _rfc3339(self.ended_at) if self.ended_at else None,
            "cancel_initiated_at": _rfc3339(self.cancel_initiated_at) if self.cancel_initiated_at else None,
            "archived_at": None,
            "results_url": f"{base_url}{BATCHES_PATH}/{self.id}/results" if ended else None,
        }

    def result_order(self) -> list[int]:
        """A fixed shuffle of the items, never the submission order (for two items or more)."""
        order = sorted(
            range(len(self.requests)),
            key=lambda i: hashlib.sha256(f"{self.id}/{self.requests[i][0]}".encode()).digest(),
        )
        return order[::-1] if order == sorted(order) else order


class BatchStore:
    """Every batch of one server, thread-safe; ``route`` answers the ``/v1/messages/batches`` paths."""

    def __init__(self, host: BatchHost) -> None:
        self._host = host
        self._lock = threading.Lock()
        self._batches: dict[str, _Batch] = {}  # in creation order
        self._closed = False

    def close(self) -> None:
        """Stop processing (the server is stopping); batches keep the state they reached."""
        with self._lock:
            self._closed = True
            batches = list(self._batches.values())
        for batch in batches:
            batch.wake.set()

    def route(self, method: str, path: str, query: str, body: bytes, parsed: Any, request_id: str) -> Outcome:
        """The answer to one request under ``/v1/messages/batches``."""
        parts = path.removeprefix(BATCHES_PATH).strip("/").split("/") if path != BATCHES_PATH else []
        if not parts:
            if method == "POST":
                return self._create(body, parsed, request_id)
            if method == "GET":
                return self._list(query, request_id)
        elif len(parts) == 1 and method == "GET":
            return self._retrieve(parts[0], request_id)
        elif len(parts) == 1 and method == "DELETE":
            return self._delete(parts[0], request_id)
        elif len(parts) == 2 and parts[1] == "cancel" and method == "POST":
            return self._cancel(parts[0], request_id)
        elif len(parts) == 2 and parts[1] == "results" and method == "GET":
            return self._results(parts[0], request_id)
        return _error(404, "not_found_error", "Not Found", request_id)

    def _create(self, body: bytes, parsed: Any, request_id: str) -> Outcome:
        limit = self._host.batch_max_bytes
        if len(body) > limit:
            return _error(
                413,
                "request_too_large",
                f"a Message Batch request may be at most {limit:,} bytes; this one is {len(body):,}",
                request_id,
            )
        problem = _creation_problem(parsed)
        if problem:
            return _error(400, "invalid_request_error", problem, request_id)
        requests = [(item["custom_id"], item["params"]) for item in parsed["requests"]]
        batch = _Batch(next_id("msgbatch"), requests, _now(), max(0, self._host.batch_404_after_create))
        batch.results = [None] * len(requests)
        with self._lock:
            if self._closed:
                return _error(503, "overloaded_error", "the loopback server is stopping", request_id)
            self._batches[batch.id] = batch
            answer = batch.as_json(self._host.base_url)
        worker = threading.Thread(
            target=self._process, args=(batch,), name=f"loopback-{batch.id}", daemon=True
        )
        worker.start()
        return json_outcome(200, answer)

    def _process(self, batch: _Batch) -> None:
        """Each item in turn, spread over ``batch_seconds``; then the batch ends."""
        started, total = time.monotonic(), len(batch.requests)
        for index, (custom_id, params) in enumerate(batch.requests):
            due = started + self._host.batch_seconds * (index + 1) / total
            if batch.wake.wait(max(0.0, due - time.monotonic())):
                break  # canceled, or the server is stopping
            result = item_result(
                custom_id,
                params,
                hook=self._host.batch_fate,
                reply=self._host.default,
                cache=self._host.prompt_cache,
                request_id=f"{batch.id}/{custom_id}",
            )
            with self._lock:
                if batch.status != "in_progress":
                    break  # canceled while this item was built: it counts as canceled
                batch.results[index] = result
        with self._lock:
            if self._closed and batch.status == "in_progress":
                return
            batch.results = [result or {"type": "canceled"} for result in batch.results]
            batch.status, batch.ended_at = "ended", _now()

    def _find(self, batch_id: str, request_id: str) -> _Batch | Outcome:
        batch = self._batches.get(batch_id)
        if batch is None:
            return _error(404, "not_found_error", f"message_batch: {batch_id} was not found", request_id)
        return batch

    def _find_ended(self, batch_id: str, request_id: str, otherwise: str) -> _Batch | Outcome:
        """The batch if it has ended; else the API's 400, saying what waits for the end."""
        batch = self._find(batch_id, request_id)
        if isinstance(batch, _Batch) and batch.status != "ended":
            problem = f"message_batch {batch_id} is {batch.status}: {otherwise}"
            return _error(400, "invalid_request_error", problem, request_id)
        return batch

    def _retrieve(self, batch_id: str, request_id: str) -> Outcome:
        with self._lock:
            batch = self._find(batch_id, request_id)
            if isinstance(batch, Outcome):
                return batch
            if batch.hidden_gets > 0:
                batch.hidden_gets -= 1
                return _error(404, "not_found_error", f"message_batch: {batch_id} was not found", request_id)
            return json_outcome(200, batch.as_json(self._host.base_url))

    def _list(self, query: str, request_id: str) -> Outcome:
        params, limit = page_query(query)
        if limit is None:
            return _error(400, "invalid_request_error", LIMIT_PROBLEM, request_id)
        base_url = self._host.base_url
        with self._lock:
            newest_first = [batch.as_json(base_url) for batch in reversed(self._batches.values())]
        for cursor in ("after_id", "before_id"):
            wanted = params.get(cursor)
            if wanted is not None and wanted not in {entry["id"] for entry in newest_first}:
                return _error(
                    400, "invalid_request_error", f"{cursor}: no message batch {wanted}", request_id
                )
        return json_outcome(
            200, cursor_page(newest_first, limit, params.get("after_id"), params.get("before_id"))
        )

    def _cancel(self, batch_id: str, request_id: str) -> Outcome:
        with self._lock:
            batch = self._find(batch_id, request_id)
            if isinstance(batch, Outcome):
                return batch
            if batch.status == "ended":
                return _error(
                    400, "invalid_request_error", f"message_batch {batch_id} has already ended", request_id
                )
            if batch.status == "in_progress":
                batch.status, batch.cancel_initiated_at = "canceling", _now()
                batch.wake.set()
            return json_outcome(200, batch.as_json(self._host.base_url))

    def _delete(self, batch_id: str, request_id: str) -> Outcome:
        with self._lock:
            why = "only an ended batch can be deleted (cancel it first)"
            batch = self._find_ended(batch_id, request_id, why)
            if isinstance(batch, Outcome):
                return batch
            del self._batches[batch_id]
        return json_outcome(200, {"id": batch_id, "type": "message_batch_deleted"})

    def _results(self, batch_id: str, request_id: str) -> Outcome:
        with self._lock:
            batch = self._find_ended(batch_id, request_id, "results are ready once it has ended")
            if isinstance(batch, Outcome):
                return batch
            lines = [
                (dumps({"custom_id": batch.requests[i][0], "result": batch.results[i]}) + "\n").encode()
                for i in batch.result_order()
            ]
        chunks = [
            b"".join(lines[start : start + RESULT_LINES_PER_CHUNK])
            for start in range(0, len(lines), RESULT_LINES_PER_CHUNK)
        ]
        return Outcome(headers={"content-type": "application/binary"}, chunks=chunks)


def _creation_problem(body: Any) -> str | None:
    """The API's complaint about a malformed create body, if any."""
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    requests = body.get("requests")
    if not isinstance(requests, list):
        return "requests: Field required" if requests is None else "requests: Input should be a valid list"
    if not requests:
        return "requests: a Message Batch needs at least 1 request"
    if len(requests) > MAX_REQUESTS:
        return (
            f"requests: a Message Batch holds at most {MAX_REQUESTS:,} requests; "
            f"this one has {len(requests):,}"
        )
    seen: dict[str, int] = {}
    for index, item in enumerate(requests):
        where = f"requests.{index}"
        if not isinstance(item, dict):
            return f"{where}: Input should be an object with custom_id and params"
        custom_id = item.get("custom_id")
        if not isinstance(custom_id, str) or not CUSTOM_ID.fullmatch(custom_id):
            return (
                f"{where}.custom_id: {custom_id!r} must match ^[a-zA-Z0-9_-]{{1,64}}$ "
                "(1 to 64 letters, digits, '_' or '-')"
            )
        if custom_id in seen:
            return (
                f"{where}.custom_id: {custom_id!r} is already used by requests.{seen[custom_id]}; "
                "each custom_id must be unique within a batch"
            )
        seen[custom_id] = index
        params = item.get("params")
        if not isinstance(params, dict):
            return f"{where}.params: Field required (a Messages request: model, max_tokens, messages)"
        problem = messages_problem(params, counting=False)
        if problem:
            return f"{where}.params: {problem}"
        if params.get("stream"):
            return f"{where}.params.stream: streaming is not supported in a Message Batch"
    return None


def _error(status: int, error_type: str, message: str, request_id: str) -> Outcome:
    return json_outcome(status, error_body(error_type, message, request_id))


def _now() -> datetime:
    return datetime.now(UTC)


def _rfc3339(moment: datetime) -> str:
    """As the API writes times: ``2024-08-20T18:37:24.100435Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
