"""Runs one user turn against the Messages API: stream, tool rounds, failures. Yields typed events.

This is the only module (with errors.py and retry.py) that imports the anthropic SDK, which takes
most of a second to import: the UI loads it after the first frame is painted.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import anthropic

from studio.core import draft_sync
from studio.core.catalog import Catalog, Price
from studio.core.conversation import Conversation, Message, TouchedDraft
from studio.core.draft_tools import ALL_TOOLS
from studio.core.errors import describe_failure
from studio.core.events import (
    CostReported,
    Event,
    ReplyStarted,
    ToolFinished,
    TurnDone,
    TurnFailed,
)
from studio.core.loop_turn import let_the_loop_run
from studio.core.reply import ReplyBuilder, ToolUse
from studio.core.retry import RETRY_CEILING, retry_wait
from studio.core.tools import ToolBox, ToolOutcome
from studio.core.usage import CacheTtl, ReplyCost, TokenUsage, estimate_tokens, price_reply
from studio.core.workspace import Workspace

T = TypeVar("T")

SMALL_REQUEST_TIMEOUT = 30.0  # seconds: a title that takes longer is not worth waiting for

# A deprecation notice printed to stderr would tear a full-screen UI; the catalogue names retirements.
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"anthropic\..*")


@dataclass(frozen=True)
class EngineConfig:
    api_key: str | None = field(repr=False)
    base_url: str | None = None
    system_prompt: str = ""
    max_tokens: int = 4096
    max_tool_rounds: int = 8
    max_retries: int = 2
    timeout: float = 600.0
    cache_ttl: CacheTtl = "5m"


class Engine:
    """Talks to the API for the UI (or a script). Holds no UI state; the conversation is passed in."""

    def __init__(self, config: EngineConfig, catalog: Catalog, workspace: Workspace | None = None):
        self.config = config
        self.catalog = catalog
        self.workspace = workspace
        self.tools = ToolBox(ALL_TOOLS, workspace) if workspace else ToolBox()
        self._client: anthropic.AsyncAnthropic | None = None
        self._no_retry_client: anthropic.AsyncAnthropic | None = None
        self.draft_refresh = draft_sync.REFRESH_AT

    @property
    def client(self) -> anthropic.AsyncAnthropic:
        if self._client is None:
            self._client = self._make_client(self.config.api_key)
        return self._client

    @property
    def _streaming_client(self) -> anthropic.AsyncAnthropic:
        """The same connection pool with the SDK's retries off: `_stream` retries, and says so."""
        if self._no_retry_client is None:
            self._no_retry_client = self.client.with_options(max_retries=0)
        return self._no_retry_client

    def _make_client(self, api_key: str | None) -> anthropic.AsyncAnthropic:
        return anthropic.AsyncAnthropic(
            api_key=api_key or "",
            base_url=self.config.base_url,
            max_retries=self.config.max_retries,
            timeout=self.config.timeout,
        )

    async def check_key(self, api_key: str) -> TurnFailed | None:
        """A cheap authenticated call (list one model): None if the key works."""
        client = self._make_client(api_key)
        try:
            await client.models.list(limit=1)
        except Exception as exc:
            return describe_failure(exc, model="", secret=api_key)
        finally:
            await client.close()
        return None

    async def list_models(self) -> list[dict[str, Any]]:
        """Every model the API offers this key: id, display_name, max_input_tokens, max_tokens."""
        return [m.model_dump() async for m in self.client.models.list()]

    def prepare(self) -> None:
        """Build now what the SDK builds on the loop as the first reply streams in: its validator
        of stream events (a pydantic schema of every event type, 10-40 ms). Safe in a thread: the
        SDK keeps it in a cache, which this reaches the way its streams do."""
        from anthropic._models import construct_type

        construct_type(type_=anthropic.types.RawMessageStreamEvent, value={"type": "message_stop"})

    async def small_request(self, params: dict[str, Any]) -> tuple[str, TokenUsage]:
        """One short request beside the turns (a conversation's title): not streamed, retried by
        the SDK, with a short timeout. Its text and usage; raises what the SDK raises."""
        message = await self.client.messages.create(**params, timeout=SMALL_REQUEST_TIMEOUT)
        text = "".join(block.text for block in message.content if block.type == "text")
        return text, TokenUsage.from_api(message.usage.model_dump())

    def request_params(self, conversation: Conversation, model: str) -> dict[str, Any]:
        """The request, laid out for prompt caching (see draft_sync.py for why the draft is not here).

        The prefix runs tools, system, messages, the most stable first. Three breakpoints: the
        end of the system prompt (shared by every conversation), the end of what the previous
        request sent (read now), and the end of this one (written for the next request). The
        draft's versions sit in the messages, so an edit invalidates nothing already sent. Nothing
        here may vary between requests (no timestamps, stable key and tool order).
        """
        cache = {"type": "ephemeral", "ttl": self.config.cache_ttl}
        system: list[dict[str, Any]] = [{"type": "text", "text": t} for t in self._system_texts() if t]
        params: dict[str, Any] = {
            "model": model,
            "max_tokens": self.config.max_tokens,
            "messages": _with_breakpoints(conversation.messages, cache),
        }
        if system:
            system[-1]["cache_control"] = cache
            params["system"] = system
        tools = self.tools.definitions()
        if tools:
            params["tools"] = tools
        return params

    def sync_draft(self, conversation: Conversation) -> None:
        """Show Claude the draft as it stands now, if that is not what the conversation shows:
        a document added to the last user message (a new one, not yet sent)."""
        if self.workspace is None or not conversation.pending_user_turn():
            return
        draft = self.workspace.draft
        block = draft_sync.update(conversation.messages, draft.title, draft.text, self.draft_refresh)
        if block is not None:
            draft_sync.attach(conversation.messages[-1], block)

    def count_params(self, conversation: Conversation, model: str, typed: str = "") -> dict[str, Any]:
        """What `messages.count_tokens` takes: the next request, with the text being typed."""
        preview = Conversation([dict(m, content=list(m["content"])) for m in conversation.messages])
        if typed.strip():
            preview.add_user(typed)
        elif not preview.pending_user_turn():  # nothing typed yet: the draft's change still goes
            preview.messages.append({"role": "user", "content": []})
        self.sync_draft(preview)
        if preview.messages and not preview.messages[-1]["content"]:
            preview.messages.pop()
        params = self.request_params(preview, model)
        params.pop("max_tokens")
        return params

    async def count_tokens(self, conversation: Conversation, model: str, typed: str = "") -> int:
        """The exact input tokens of the next request, from the API (free, rate-limited). The
        request is built and made JSON in a thread, and goes out as it is (`client.post`): a
        reopened long conversation is megabytes of it, which held the UI's loop for 100-400 ms."""
        body = await asyncio.to_thread(self._count_body, conversation, model, typed)
        result = await self.client.post(
            "/v1/messages/count_tokens", content=body, cast_to=anthropic.types.MessageTokensCount
        )
        return result.input_tokens

    def _count_body(self, conversation: Conversation, model: str, typed: str) -> bytes:
        params = self.count_params(conversation, model, typed)
        if not params["messages"]:
            params["messages"] = [{"role": "user", "content": [{"type": "text", "text": "."}]}]
        # A message at a time: one call of the JSON encoder holds the GIL until it is done, so
        # the whole request at once (10 MB) would stall the loop all the same. Parts are joined
        # once: each copy of the whole is as big as the conversation.
        messages = params.pop("messages")
        parts = [_json(params)[:-1].encode(), b',"messages":[']
        for n, message in enumerate(messages):
            parts += [b"," if n else b"", _json(message).encode()]
        return b"".join([*parts, b"]}"])

    def _system_texts(self) -> list[str]:
        """The persona, then (when there is a draft to work on) how its versions arrive."""
        return [self.config.system_prompt, draft_sync.GUIDE if self.workspace else ""]

    async def run_turn(
        self, conversation: Conversation, model: str, stop: asyncio.Event | None = None
    ) -> AsyncGenerator[Event, None]:
        """Answer the pending user message, running tool rounds until Claude ends its turn.

        On failure the user's message stays in `conversation`, so running the turn again retries it.
        Setting `stop` ends the reply at once: the text so far stays in the history and its cost
        is still reported (output tokens estimated, as the API only reports them at the end).
        """
        exchange_start = conversation.last_user_index()
        price = self.catalog.info(model).price
        stop = stop or asyncio.Event()
        for round_no in range(1, self.config.max_tool_rounds + 1):
            self.sync_draft(conversation)
            yield ReplyStarted(model, round_no)
            reply = ReplyBuilder()
            try:
                async for event in self._stream(conversation, model, reply, stop):
                    yield event
            except (asyncio.CancelledError, GeneratorExit):  # closing, or its reader stopped reading
                conversation.add_assistant(reply.text_blocks())
                raise
            except Exception as exc:
                # The partial reply is not added: the writer's message stays pending for Ctrl+R.
                if reply.usage:
                    yield CostReported(_estimated_cost(model, reply, price))
                yield describe_failure(
                    exc, model=model, secret=self.config.api_key, mid_reply=bool(reply.usage)
                )
                return
            if stop.is_set():
                conversation.add_assistant(reply.text_blocks())
                if reply.usage:
                    yield CostReported(_estimated_cost(model, reply, price))
                yield TurnDone("stopped", notice="Stopped. The text so far is kept.")
                return
            if reply.stop_reason is None:  # no message_delta: the stream ended early
                if reply.usage:
                    yield CostReported(_estimated_cost(model, reply, price))
                yield TurnFailed(
                    "The reply was cut short",
                    "The stream ended before the reply was finished.",
                    kind="truncated",
                )
                return
            yield CostReported(price_reply(model, reply.token_usage, price))
            if reply.stop_reason == "refusal":
                conversation.rollback(max(exchange_start, 0))
                yield TurnDone("refusal", notice=_refusal_notice(reply.stop_details))
                return

            conversation.add_assistant(reply.content_blocks())
            # Every tool_use is answered before anything is yielded: whatever the UI does with
            # the events (even raise), the conversation stays one the API accepts.
            outcomes = [(call, self._answer(call, reply.stop_reason)) for call in reply.tool_uses]
            conversation.add_tool_results(
                [
                    {
                        "type": "tool_result",
                        "tool_use_id": call.id,
                        "content": outcome.text,
                        "is_error": outcome.is_error,
                    }
                    for call, outcome in outcomes
                ]
            )
            # The draft each call changed, as data kept beside the messages (a reopened chat
            # titles the call by it; the result's sentence is for Claude).
            conversation.touched.update(
                (call.id, TouchedDraft(outcome.change.kind, outcome.change.name))
                for call, outcome in outcomes
                if outcome.change is not None
            )
            for call, outcome in outcomes:
                # The tool's disk work ran in this turn of the loop: let the screen and keys
                # through before a front end shows what it did.
                await let_the_loop_run()
                yield ToolFinished(
                    call.id, call.name, call.input, outcome.text, outcome.is_error, outcome.change
                )

            if reply.stop_reason == "tool_use":
                continue
            if reply.stop_reason == "max_tokens":
                yield TurnDone(
                    reply.stop_reason,
                    can_continue=True,
                    notice=(f"The reply was cut at the {self.config.max_tokens:,}-token output limit."),
                )
                return
            if reply.stop_reason == "model_context_window_exceeded":
                yield TurnDone(
                    reply.stop_reason,
                    remedy="larger_model",
                    notice=("The conversation has filled the model's context window, so the reply stopped."),
                )
                return
            if reply.stop_reason == "pause_turn":
                continue
            yield TurnDone(reply.stop_reason)
            return
        yield TurnFailed(
            "Too many tool rounds",
            f"Claude kept calling tools for {self.config.max_tool_rounds} rounds; stopped here.",
            kind="tool_loop",
        )

    async def _stream(
        self, conversation: Conversation, model: str, reply: ReplyBuilder, stop: asyncio.Event
    ) -> AsyncIterator[Event]:
        """One request's events, fed into `reply`; returns early (closing the stream) on `stop`.

        Failures before the first byte are retried here, not in the SDK, each wait announced by a
        `Waiting` and cut short by `stop`; a retry-after over RETRY_CEILING fails the turn instead.
        """
        params = self.request_params(conversation, model)
        for retries in itertools.count():
            try:
                request = self._streaming_client.messages.create(**params, stream=True)
                finished, stream = await _unless_stopped(request, stop)
                break
            except Exception as exc:
                wait = retry_wait(exc, retries) if retries < self.config.max_retries else None
                if wait is None or wait.seconds > RETRY_CEILING:
                    raise
            yield wait
            if not (await _unless_stopped(asyncio.sleep(wait.seconds), stop))[0]:
                return
        if not finished:
            return
        assert stream is not None  # finished: the request returned its stream
        try:
            events = stream.__aiter__()
            while True:
                try:
                    finished, raw = await _unless_stopped(events.__anext__(), stop)
                except StopAsyncIteration:
                    return
                if not finished:
                    return
                for event in reply.feed(raw):
                    yield event
        finally:
            await stream.close()

    def _answer(self, call: ToolUse, stop_reason: str | None) -> ToolOutcome:
        """The tool_result for one call; broken or cut-off input is reported, never executed."""
        if not call.finished:
            return ToolOutcome(
                "Not executed: the tool call was cut off before its input was "
                f"complete (stop_reason {stop_reason}).",
                is_error=True,
            )
        if call.error:
            return ToolOutcome(f"Not executed: {call.error}.", is_error=True)
        try:
            return self.tools.call(call.name, call.input or {})
        except Exception as exc:  # a tool's bug: Claude is told, the conversation stays valid
            return ToolOutcome(f"{call.name} failed: {type(exc).__name__}: {exc}", is_error=True)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()


async def _unless_stopped(awaitable: Awaitable[T], stop: asyncio.Event) -> tuple[bool, T | None]:
    """(True, result) if `awaitable` finishes first; (False, None) if `stop` is set first.

    Racing each read against the stop event lets Escape end a reply at once, even mid-retry or
    while the server is silent, without cancelling the caller's task.
    """
    task = asyncio.ensure_future(awaitable)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        if not task.done():
            task.cancel()
            await asyncio.wait({task})  # let it unwind; its CancelledError is not ours
    if task.cancelled():
        return False, None
    return True, task.result()


def _with_breakpoints(messages: list[Message], cache: dict[str, Any]) -> list[Message]:
    """The messages with breakpoints on the last block of the last message (written for the next
    request) and of the one two before it, where the previous request ended (read now, however
    many blocks this request added; the API looks back only about 20). Copies, never the originals."""
    marked = list(messages)
    for at in (len(marked) - 3, len(marked) - 1):
        if at >= 0 and marked[at]["content"]:
            content = list(marked[at]["content"])
            content[-1] = dict(content[-1], cache_control=cache)
            marked[at] = dict(marked[at], content=content)
    return marked


def _estimated_cost(model: str, reply: ReplyBuilder, price: Price | None) -> ReplyCost:
    """A reply that ended early: the API never reported its output tokens, so they are estimated
    from what arrived (text and tool input), and the cost is marked as an estimate (≈)."""
    produced = reply.text + "".join(call.json_text for call in reply.tool_uses)
    usage = replace(reply.token_usage, output=max(reply.token_usage.output, estimate_tokens(produced)))
    return price_reply(model, usage, price, estimated=True)


def _refusal_notice(details: dict[str, Any] | None) -> str:
    explanation = (details or {}).get("explanation") or ""
    category = (details or {}).get("category")
    why = f" ({category})" if category else ""
    return (
        f"Claude declined this request{why}. {explanation} "
        "The exchange is left out of the conversation, so you can rephrase."
    ).replace("  ", " ")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
