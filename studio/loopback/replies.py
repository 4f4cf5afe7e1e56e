"""Reply scripts: what the loopback server answers to the next ``POST /v1/messages``.

Each script builds an :class:`Outcome` for a request; the server only writes bytes. Scripts
are plain dataclasses so tests can queue them in the order a conversation needs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .builder import (
    ERROR_STATUS,
    JSON_HEADERS,
    STREAM_HEADERS,
    Context,
    MessageBuilder,
    Outcome,
    error_body,
    json_outcome,
)
from .demo import demo_plan
from .sse import (
    accumulate_message,
    char_chunks,
    dumps,
    estimate_input_tokens,
    estimate_output_tokens,
    next_id,
    split_events,
    word_chunks,
)


class Reply:
    """Base of every reply script; ``times`` says how many consecutive requests it answers."""

    times: int = 1

    def build(self, ctx: Context) -> Outcome:
        """The answer to one request."""
        raise NotImplementedError


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
class TextReply(Reply):
    """A generated text answer; ``None`` token counts are estimated from the request and text."""

    text: str
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    stop_reason: str = "end_turn"
    chunk_size: int = 12
    chunk_delay: float = 0.0

    def build(self, ctx: Context) -> Outcome:
        builder = _builder(ctx, self.model, self.input_tokens, self.cache_read_input_tokens,
                           self.cache_creation_input_tokens)
        builder.text(char_chunks(self.text, self.chunk_size))
        builder.finish(self.stop_reason, _or(self.output_tokens, estimate_output_tokens(self.text)))
        return builder.outcome(ctx, self.chunk_delay)


@dataclass
class ToolUseReply(Reply):
    """An optional text block, then a tool call whose input streams as JSON fragments."""

    name: str
    input: dict[str, Any]
    text: str = ""
    tool_id: str | None = None
    json_chunk_size: int = 20
    chunk_delay: float = 0.0
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None

    def build(self, ctx: Context) -> Outcome:
        builder = _builder(ctx, self.model, self.input_tokens, 0, 0)
        if self.text:
            builder.text(char_chunks(self.text, 12))
        builder.tool_use(self.tool_id or next_id("toolu"), self.name, self.input,
                         self.json_chunk_size)
        produced = self.text + json.dumps(self.input)
        builder.finish("tool_use", _or(self.output_tokens, estimate_output_tokens(produced)))
        return builder.outcome(ctx, self.chunk_delay)


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
        return json_outcome(self.status, error_body(self.error_type, self.message,
                                                    ctx.request_id), self.headers)

    @classmethod
    def rate_limited(cls, retry_after: float = 1.0, *, times: int = 1) -> HttpError:
        """429 with ``retry-after`` in seconds, as the API sends it."""
        seconds = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
        return cls(429, "rate_limit_error", "Number of request tokens has exceeded your rate "
                   "limit.", {"retry-after": seconds}, times)

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
        builder = _builder(ctx, None, None, 0, 0)
        builder.text(word_chunks(self.text_before, 2), close=False)
        builder.error(self.error_type, self.message)
        return builder.outcome(ctx, self.chunk_delay)


@dataclass
class DropMidStream(Reply):
    """Some text, then the TCP connection is closed without finishing the chunked body."""

    text_before: str = "Partial reply"
    chunk_delay: float = 0.0

    def build(self, ctx: Context) -> Outcome:
        builder = _builder(ctx, None, None, 0, 0)
        builder.text(word_chunks(self.text_before, 2), close=False)
        if ctx.stream:
            return Outcome(headers=dict(STREAM_HEADERS), chunks=list(builder.events),
                           chunk_delay=self.chunk_delay, drop=True)
        body = dumps(builder.message).encode()
        return Outcome(headers=dict(JSON_HEADERS), body=body[: len(body) // 2], drop=True,
                       declared_length=len(body))


@dataclass
class DemoReply(Reply):
    """The offline demo's answer, a few words (or JSON characters) at a time.

    When the app offers the draft tools, a request to write or save gets a ``save_draft`` call
    and one to tighten or edit gets an ``edit_draft`` call (see ``demo.demo_plan``); otherwise
    a friendly text that quotes the user.
    """

    chunk_delay: float = 0.03
    words_per_chunk: int = 3
    json_chunk_size: int = 30

    def build(self, ctx: Context) -> Outcome:
        plan = demo_plan(ctx.body)
        if plan.tool is not None:
            name, tool_input = plan.tool
            return ToolUseReply(name, tool_input, text=plan.text, json_chunk_size=self.json_chunk_size,
                                chunk_delay=self.chunk_delay).build(ctx)
        builder = _builder(ctx, None, None, 0, 0)
        builder.text(word_chunks(plan.text, self.words_per_chunk))
        builder.finish("end_turn", estimate_output_tokens(plan.text))
        return builder.outcome(ctx, self.chunk_delay)


def _or(value: int | None, fallback: int) -> int:
    return fallback if value is None else value


def _builder(ctx: Context, model: str | None, input_tokens: int | None, cache_read: int,
             cache_creation: int) -> MessageBuilder:
    """A message builder with the model echoed and input tokens estimated when not given.

    With no token figures given at all, the server's simulated prompt cache decides how the
    input splits into plain, cache-read and cache-written tokens, as the API would report it.
    """
    if (input_tokens is None and not cache_read and not cache_creation and ctx.cache is not None
            and isinstance(ctx.body, dict)):
        usage = ctx.cache.account(ctx.body)
        return MessageBuilder(model=model or ctx.model, input_tokens=usage.input_tokens,
                              cache_read=usage.cache_read, cache_creation=usage.cache_creation,
                              cache_ttl=usage.ttl)
    return MessageBuilder(
        model=model or ctx.model,
        input_tokens=_or(input_tokens, estimate_input_tokens(ctx.body)),
        cache_read=cache_read,
        cache_creation=cache_creation,
    )
