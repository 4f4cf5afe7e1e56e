"""Generated messages: SSE events and the matching final Message JSON from one description."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from .cache import MAX_BREAKPOINTS, PromptCache, count_breakpoints
from .sse import char_chunks, dumps, encode_event, next_id

DEFAULT_MODEL = "claude-sonnet-4-6"
STREAM_HEADERS = {"content-type": "text/event-stream", "cache-control": "no-cache"}
JSON_HEADERS = {"content-type": "application/json"}


@dataclass
class Context:
    """What a reply script needs to know about the request it answers."""

    body: Any
    stream: bool
    request_id: str
    cache: PromptCache | None = None  # the server's simulated prompt cache

    @property
    def model(self) -> str:
        """The requested model, echoed back as the real API does."""
        model = self.body.get("model") if isinstance(self.body, dict) else None
        return model if isinstance(model, str) and model else DEFAULT_MODEL


@dataclass
class Outcome:
    """How the server must answer: a JSON body, or a chunked stream, maybe cut off.

    ``chunks`` set means a chunked streaming body; otherwise ``body`` is sent with a
    Content-Length (``declared_length`` overrides it to fake a truncated body).
    ``drop`` closes the socket after the last byte instead of finishing the response.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks: list[bytes] | None = None
    chunk_delay: float = 0.0
    drop: bool = False
    declared_length: int | None = None


def error_body(error_type: str, message: str, request_id: str) -> dict[str, Any]:
    """The API's error envelope."""
    return {
        "type": "error",
        "error": {"type": error_type, "message": message},
        "request_id": request_id,
    }


def messages_problem(body: Any, *, counting: bool) -> str | None:
    """The API's complaint about a malformed Messages body, if any (also each batch item's params)."""
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    for key in ("model", "messages") if counting else ("model", "messages", "max_tokens"):
        if key not in body:
            return f"{key}: Field required"
    if not isinstance(body["messages"], list):
        return "messages: Input should be a valid list"
    if not body["messages"]:
        return "messages: at least one message is required"
    found = count_breakpoints(body)
    if found > MAX_BREAKPOINTS:
        return f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. Found {found}."
    return None


def json_outcome(status: int, data: Any, headers: dict[str, str] | None = None) -> Outcome:
    """A plain JSON answer."""
    return Outcome(status=status, headers={**JSON_HEADERS, **(headers or {})}, body=dumps(data).encode())


class MessageBuilder:
    """Writes one generated message as SSE events while keeping its final JSON in step.

    With ``stream=False`` (a request that did not ask to stream, a batch item) no event is
    encoded: only the final JSON is sent, and encoding an event per text piece made building a
    batch of 10,000 replies take seconds per thousand. ``cache_creation_1h`` is the part of
    ``cache_creation`` written for an hour; the rest was written for five minutes.
    """

    def __init__(
        self,
        *,
        model: str,
        input_tokens: int,
        cache_read: int = 0,
        cache_creation: int = 0,
        cache_creation_1h: int = 0,
        stream: bool = True,
    ) -> None:
        self.stream = stream
        self.usage: dict[str, Any] = {
            "input_tokens": input_tokens,
            "cache_creation_input_tokens": cache_creation,
            "cache_read_input_tokens": cache_read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": cache_creation - cache_creation_1h,
                "ephemeral_1h_input_tokens": cache_creation_1h,
            },
            "output_tokens": 1,
            "service_tier": "standard",
        }
        self.message: dict[str, Any] = {
            "id": next_id("msg"),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": self.usage,
        }
        self.events: list[bytes] = []
        if stream:
            self._emit("message_start", {"type": "message_start", "message": copy.deepcopy(self.message)})

    def _emit(self, event: str, data: dict[str, Any]) -> None:
        if self.stream:
            self.events.append(encode_event(event, data))

    def _block_start(self, block: dict[str, Any]) -> int:
        index = len(self.message["content"])
        self.message["content"].append(block)
        if not self.stream:
            return index
        self._emit(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": copy.deepcopy(block)},
        )
        if index == 0:  # the API pings once after the first block opens
            self._emit("ping", {"type": "ping"})
        return index

    def _delta(self, index: int, delta: dict[str, Any]) -> None:
        self._emit("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})

    def _block_stop(self, index: int) -> None:
        self._emit("content_block_stop", {"type": "content_block_stop", "index": index})

    def text(self, chunks: list[str], *, close: bool = True) -> None:
        """A text block streamed as the given pieces; ``close=False`` leaves it open."""
        block: dict[str, Any] = {"type": "text", "text": ""}
        index = self._block_start(block)
        for chunk in chunks if self.stream else ():
            self._delta(index, {"type": "text_delta", "text": chunk})
        block["text"] = "".join(chunks)
        if close:
            self._block_stop(index)

    def tool_use(self, tool_id: str, name: str, tool_input: dict[str, Any], json_chunk_size: int) -> None:
        """A tool_use block whose input arrives as ``input_json_delta`` pieces."""
        index = self._block_start({"type": "tool_use", "id": tool_id, "name": name, "input": {}})
        self._delta(index, {"type": "input_json_delta", "partial_json": ""})
        for chunk in char_chunks(json.dumps(tool_input), json_chunk_size):
            self._delta(index, {"type": "input_json_delta", "partial_json": chunk})
        self.message["content"][index]["input"] = copy.deepcopy(tool_input)
        self._block_stop(index)

    def error(self, error_type: str, message: str) -> None:
        """An ``event: error`` as the API sends when it fails after the 200."""
        self._emit("error", {"type": "error", "error": {"type": error_type, "message": message}})

    def finish(self, stop_reason: str, output_tokens: int) -> None:
        """message_delta with cumulative usage, then message_stop."""
        self.message["stop_reason"] = stop_reason
        self.usage["output_tokens"] = output_tokens
        self._emit(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {
                    "input_tokens": self.usage["input_tokens"],
                    "cache_creation_input_tokens": self.usage["cache_creation_input_tokens"],
                    "cache_read_input_tokens": self.usage["cache_read_input_tokens"],
                    "output_tokens": output_tokens,
                },
            },
        )
        self._emit("message_stop", {"type": "message_stop"})

    def outcome(self, ctx: Context, chunk_delay: float) -> Outcome:
        """Stream the events, or send the final message as JSON, as the request asked."""
        if ctx.stream:
            return Outcome(headers=dict(STREAM_HEADERS), chunks=list(self.events), chunk_delay=chunk_delay)
        return json_outcome(200, self.message)
