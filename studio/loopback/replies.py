"""Reply scripts: what the loopback server answers to the next ``POST /v1/messages``.

Each script builds an :class:`Outcome` for a request; the server only writes bytes. Scripts
are plain dataclasses so tests and benchmarks can queue them in the order a conversation needs.

Only the scripts something shipped or a benchmark uses live here: the demo's reply and plain
text and tool-call replies. Faults (HTTP errors, an error event or a cut connection mid-stream)
and the replay of captured streams exist only for the tests, in ``tests/fakeapi.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .builder import Context, MessageBuilder, Outcome
from .demo import demo_plan
from .sse import char_chunks, estimate_input_tokens, estimate_output_tokens, next_id, word_chunks


class Reply:
    """Base of every reply script; ``times`` says how many consecutive requests it answers."""

    times: int = 1

    def build(self, ctx: Context) -> Outcome:
        """The answer to one request."""
        raise NotImplementedError


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
        builder = builder_for(
            ctx, self.model, self.input_tokens, self.cache_read_input_tokens, self.cache_creation_input_tokens
        )
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
        builder = builder_for(ctx, self.model, self.input_tokens, 0, 0)
        if self.text:
            builder.text(char_chunks(self.text, 12))
        builder.tool_use(self.tool_id or next_id("toolu"), self.name, self.input, self.json_chunk_size)
        produced = self.text + json.dumps(self.input)
        builder.finish("tool_use", _or(self.output_tokens, estimate_output_tokens(produced)))
        return builder.outcome(ctx, self.chunk_delay)


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
            return ToolUseReply(
                name,
                tool_input,
                text=plan.text,
                json_chunk_size=self.json_chunk_size,
                chunk_delay=self.chunk_delay,
            ).build(ctx)
        builder = builder_for(ctx, None, None, 0, 0)
        builder.text(word_chunks(plan.text, self.words_per_chunk))
        builder.finish("end_turn", estimate_output_tokens(plan.text))
        return builder.outcome(ctx, self.chunk_delay)


def builder_for(
    ctx: Context, model: str | None, input_tokens: int | None, cache_read: int, cache_creation: int
) -> MessageBuilder:
    """A message builder with the model echoed and input tokens estimated when not given.

    With no token figures given at all, the server's simulated prompt cache decides how the
    input splits into plain, cache-read and cache-written tokens, as the API would report it.
    """
    if (
        input_tokens is None
        and not cache_read
        and not cache_creation
        and ctx.cache is not None
        and isinstance(ctx.body, dict)
    ):
        usage = ctx.cache.account(ctx.body)
        return MessageBuilder(
            model=model or ctx.model,
            input_tokens=usage.input_tokens,
            cache_read=usage.cache_read,
            cache_creation=usage.cache_creation,
            cache_creation_1h=usage.creation_1h,
            stream=ctx.stream,
        )
    return MessageBuilder(
        model=model or ctx.model,
        input_tokens=_or(input_tokens, estimate_input_tokens(ctx.body)),
        cache_read=cache_read,
        cache_creation=cache_creation,
        stream=ctx.stream,
    )


def _or(value: int | None, fallback: int) -> int:
    return fallback if value is None else value
