"""The loopback API's test-only half: fault scripts, captured-stream replay, request recording.

``studio.loopback`` ships (it is ``studio --demo``'s server); nothing here does. A writer never
needs a 429 on demand, a connection cut mid-reply or a byte-for-byte replay of a captured stream,
and the demo must not keep every request it is sent. The tests need all three, so they build them
here on the shipped server's own pieces (``Reply``, ``MessageBuilder``, the ``received`` hook).
"""

from __future__ import annotations

import copy
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.loopback import LoopbackServer, Reply, Request
from studio.loopback.builder import (
    JSON_HEADERS,
    STREAM_HEADERS,
    Context,
    Outcome,
    error_body,
    json_outcome,
)
from studio.loopback.replies import builder_for
from studio.loopback.server import MESSAGES_PATH
from studio.loopback.sse import dumps, word_chunks

# Split points just after an event's terminating blank line, in any of the three line-end styles.
_EVENT_END = re.compile(rb"(?<=\n\n)|(?<=\r\n\r\n)|(?<=\r\r)")

# The status the API answers with for each error type.
ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


class RecordingServer(LoopbackServer):
    """The loopback server, keeping every request it receives so a test can read what was sent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._recorded: list[Request] = []
        self._recorded_lock = threading.Lock()

    def received(self, request: Request) -> None:
        with self._recorded_lock:
            self._recorded.append(request)

    @property
    def requests(self) -> list[Request]:
        """Every request received so far, in order (a copy)."""
        with self._recorded_lock:
            return list(self._recorded)

    @property
    def message_requests(self) -> list[Request]:
        """Only the ``POST /v1/messages`` requests."""
        return [r for r in self.requests if r.method == "POST" and r.path == MESSAGES_PATH]


@dataclass
class Replay(Reply):
    """A captured SSE file, sent byte for byte so the client sees exactly what the API sent."""

    path: str | Path
    chunk_delay: float = 0.0

    def build(self, ctx: Context) -> Outcome:
        raw = Path(self.path).read_bytes()
        if not ctx.stream:
            return json_outcome(200, accumulate_message(raw))
        chunks = split_events(raw) if self.chunk_delay > 0 else [raw]
        return Outcome(headers=dict(STREAM_HEADERS), chunks=chunks, chunk_delay=self.chunk_delay)


@dataclass
class HttpError(Reply):
    """An HTTP error before any byte of a reply: the kind the SDK retries for 429 and 5xx.

    The SDK retries by itself (twice by default), and each attempt takes one answer, so
    ``times`` makes this script answer that many consecutive requests.
    """

    status: int
    error_type: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1

    def build(self, ctx: Context) -> Outcome:
        return json_outcome(
            self.status, error_body(self.error_type, self.message, ctx.request_id), self.headers
        )

    @classmethod
    def rate_limited(cls, retry_after: float = 1.0, *, times: int = 1) -> HttpError:
        """429 with ``retry-after`` in seconds, as the API sends it."""
        seconds = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
        return cls(
            429,
            "rate_limit_error",
            "Number of request tokens has exceeded your rate limit.",
            {"retry-after": seconds},
            times,
        )

    @classmethod
    def overloaded(cls, *, times: int = 1) -> HttpError:
        """529, the API's answer when it is overloaded."""
        return cls(529, "overloaded_error", "Overloaded", {}, times)

    @classmethod
    def invalid_request(cls, message: str, *, times: int = 1) -> HttpError:
        """400 with the given message."""
        return cls(400, "invalid_request_error", message, {}, times)

    @classmethod
    def unauthorized(cls, *, times: int = 1) -> HttpError:
        """401, as for a wrong or revoked key."""
        return cls(401, "authentication_error", "invalid x-api-key", {}, times)


@dataclass
class ErrorMidStream(Reply):
    """A 200 stream that sends some text, then ``event: error``, then ends."""

    text_before: str = "Partial reply"
    error_type: str = "overloaded_error"
    message: str = "Overloaded"
    chunk_delay: float = 0.0

    def build(self, ctx: Context) -> Outcome:
        if not ctx.stream:
            status = ERROR_STATUS.get(self.error_type, 500)
            return json_outcome(status, error_body(self.error_type, self.message, ctx.request_id))
        builder = builder_for(ctx, None, None, 0, 0)
        builder.text(word_chunks(self.text_before, 2), close=False)
        builder.error(self.error_type, self.message)
        return builder.outcome(ctx, self.chunk_delay)


@dataclass
class DropMidStream(Reply):
    """Some text, then the TCP connection is closed without finishing the chunked body."""

    text_before: str = "Partial reply"
    chunk_delay: float = 0.0

    def build(self, ctx: Context) -> Outcome:
        builder = builder_for(ctx, None, None, 0, 0)
        builder.text(word_chunks(self.text_before, 2), close=False)
        if ctx.stream:
            return Outcome(
                headers=dict(STREAM_HEADERS),
                chunks=list(builder.events),
                chunk_delay=self.chunk_delay,
                drop=True,
            )
        body = dumps(builder.message).encode()
        return Outcome(
            headers=dict(JSON_HEADERS), body=body[: len(body) // 2], drop=True, declared_length=len(body)
        )


def split_events(raw: bytes) -> list[bytes]:
    """Cut a captured stream after each blank line; the pieces concatenate to ``raw`` exactly."""
    return [piece for piece in _EVENT_END.split(raw) if piece]


def parse_events(raw: bytes) -> list[tuple[str | None, str]]:
    """Decode ``(event, data)`` pairs, flushing a last event that lacks its blank line."""
    events: list[tuple[str | None, str]] = []
    name: str | None = None
    data: list[str] = []
    for line in [*raw.decode("utf-8").splitlines(), ""]:
        if not line:
            if name is not None or data:
                events.append((name, "\n".join(data)))
            name, data = None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    return events


def accumulate_message(raw: bytes) -> dict[str, Any]:
    """Rebuild the final Message JSON from a captured stream, for non-streaming requests.

    Deltas are applied in order; usage starts from ``message_start`` and each field in
    ``message_delta`` replaces it, because the API reports cumulative figures there.
    """
    message: dict[str, Any] = {}
    partial_json: dict[int, str] = {}
    for name, data in parse_events(raw):
        if not data or name in ("ping", "error", None):
            continue
        event = json.loads(data)
        kind = event.get("type")
        if kind == "message_start":
            message = copy.deepcopy(event["message"])
            message.setdefault("content", [])
        elif kind == "content_block_start":
            message["content"].append(copy.deepcopy(event["content_block"]))
        elif kind == "content_block_delta":
            _apply_delta(message["content"][event["index"]], event["delta"], event["index"], partial_json)
        elif kind == "message_delta":
            message.update({k: v for k, v in event.get("delta", {}).items()})
            usage = message.setdefault("usage", {})
            usage.update({k: v for k, v in event.get("usage", {}).items() if v is not None})
    for index, text in partial_json.items():
        message["content"][index]["input"] = _parse_json_object(text)
    return message


def _apply_delta(
    block: dict[str, Any], delta: dict[str, Any], index: int, partial_json: dict[int, str]
) -> None:
    """Fold one content_block_delta into its block."""
    kind = delta.get("type")
    if kind == "text_delta":
        block["text"] = block.get("text", "") + delta.get("text", "")
    elif kind == "input_json_delta":
        partial_json[index] = partial_json.get(index, "") + delta.get("partial_json", "")
    elif kind == "thinking_delta":
        block["thinking"] = block.get("thinking", "") + delta.get("thinking", "")
    elif kind == "signature_delta":
        block["signature"] = delta.get("signature", "")
    elif kind == "citations_delta":
        block.setdefault("citations", []).append(delta.get("citation"))


def _parse_json_object(text: str) -> dict[str, Any]:
    """Tool input as a dict; an empty or broken input (a cut-off stream) becomes ``{}``."""
    try:
        value = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
