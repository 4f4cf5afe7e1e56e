"""The loopback Messages API server, checked with the real SDK over real HTTP."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import pytest
from conftest import FIXTURES
from fakeapi import DropMidStream, ErrorMidStream, HttpError, RecordingServer, Replay, split_events

from studio.core import draft_sync
from studio.loopback import DemoReply, TextReply, ToolUseReply
from studio.loopback.demo import demo_text
from studio.loopback.sse import estimate_input_tokens

FIXTURE_FILES = sorted(FIXTURES.glob("*.txt"))
KEY = "sk-ant-test"
MODEL = "claude-sonnet-4-6"
HELLO = [{"role": "user", "content": "Hello"}]


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer() as srv:
        yield srv


@pytest.fixture
async def client(server: RecordingServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    sdk = anthropic.AsyncAnthropic(api_key=KEY, base_url=server.base_url, max_retries=0)
    yield sdk
    await sdk.close()


def post(server: RecordingServer, path: str, body: Any, **headers: str) -> tuple[int, Any, bytes]:
    """A raw HTTP request, to see the exact bytes and (case-insensitive) headers sent back."""
    request = urllib.request.Request(
        server.base_url + path,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def fixture_event_names(raw: bytes) -> list[str]:
    """The events the SDK yields for a captured stream.

    Pings are skipped, and so is a last event without its terminating blank line: the
    SDK's SSE decoder only dispatches on a blank line, so four of the captured files lose
    their ``message_stop``.
    """
    names = [line[len("event: ") :] for line in raw.decode().splitlines() if line.startswith("event: ")]
    if not raw.endswith(b"\n\n"):
        names = names[:-1]
    return [name for name in names if name != "ping"]


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("delay", [0.0, 0.001], ids=["whole", "evented"])
def test_replay_is_byte_for_byte(server: RecordingServer, path: Path, delay: float) -> None:
    server.queue(Replay(path, chunk_delay=delay))
    status, headers, body = post(
        server, "/v1/messages", {"model": MODEL, "max_tokens": 9, "messages": HELLO, "stream": True}
    )
    assert status == 200
    assert body == path.read_bytes()
    assert headers["content-type"] == "text/event-stream"
    assert headers["transfer-encoding"] == "chunked"
    assert headers["request-id"].startswith("req_loopback_")


def test_fixtures_exist_and_split_losslessly() -> None:
    assert len(FIXTURE_FILES) == 6
    for path in FIXTURE_FILES:
        raw = path.read_bytes()
        assert b"".join(split_events(raw)) == raw
        assert len(split_events(raw)) == raw.count(b"\n\n") + (not raw.endswith(b"\n\n"))


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
async def test_replay_parses_via_sdk(
    server: RecordingServer, client: anthropic.AsyncAnthropic, path: Path
) -> None:
    server.queue(Replay(path))
    stream = await client.messages.create(model=MODEL, max_tokens=9, messages=HELLO, stream=True)
    events = [event async for event in stream]
    assert [event.type for event in events] == fixture_event_names(path.read_bytes())
    assert events[0].type == "message_start"


async def test_replay_non_streaming_builds_final_message(
    server: RecordingServer, client: anthropic.AsyncAnthropic
) -> None:
    server.queue(
        Replay(FIXTURES / "message_delta_fields_response.txt"), Replay(FIXTURES / "tool_use_response.txt")
    )
    message = await client.messages.create(model=MODEL, max_tokens=9, messages=HELLO)
    assert message.content[0].text == "Hello there!"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (40, 8)
    assert message.usage.cache_read_input_tokens == 7
    assert message.usage.cache_creation.ephemeral_5m_input_tokens == 10
    tool = await client.messages.create(model=MODEL, max_tokens=9, messages=HELLO)
    assert tool.stop_reason == "tool_use"
    assert tool.content[1].input == {"location": "Paris"}


async def test_text_reply_streams_text_and_usage(
    server: RecordingServer, client: anthropic.AsyncAnthropic
) -> None:
    text = "The quick brown fox jumps over the lazy dog, twice."
    server.queue(
        TextReply(
            text,
            input_tokens=120,
            output_tokens=14,
            cache_read_input_tokens=100,
            cache_creation_input_tokens=20,
            chunk_size=10,
        )
    )
    async with client.messages.stream(model="claude-opus-4-7", max_tokens=99, messages=HELLO) as stream:
        pieces = [piece async for piece in stream.text_stream]
        message = await stream.get_final_message()
    assert "".join(pieces) == text
    assert len(pieces) == 6
    assert message.model == "claude-opus-4-7"
    assert message.stop_reason == "end_turn"
    usage = message.usage
    assert (usage.input_tokens, usage.output_tokens) == (120, 14)
    assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (100, 20)
    assert usage.cache_creation.ephemeral_5m_input_tokens == 20


async def test_text_reply_estimates_tokens_without_streaming(
    server: RecordingServer, client: anthropic.AsyncAnthropic
) -> None:
    text = "x" * 400
    server.queue(TextReply(text, model="claude-fable-5-1", stop_reason="max_tokens"))
    message = await client.messages.create(model=MODEL, max_tokens=9, messages=HELLO)
    assert message.content[0].text == text
    assert message.model == "claude-fable-5-1"
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 100
    assert message.usage.input_tokens == estimate_input_tokens(server.requests[-1].json)


async def test_tool_use_reply_json_reassembles(
    server: RecordingServer, client: anthropic.AsyncAnthropic
) -> None:
    tool_input = {"path": "chapter-1.md", "lines": ["It was a dark", "and stormy night"], "n": 3}
    server.queue(
        ToolUseReply("save_file", tool_input, text="Saving it.", tool_id="toolu_1", json_chunk_size=7)
    )
    async with client.messages.stream(model=MODEL, max_tokens=99, messages=HELLO) as stream:
        partials = [event.partial_json async for event in stream if event.type == "input_json"]
        message = await stream.get_final_message()
    assert json.loads("".join(partials)) == tool_input
    assert len(partials) > 5
    assert message.stop_reason == "tool_use"
    assert message.content[0].text == "Saving it."
    tool = message.content[1]
    assert (tool.type, tool.id, tool.name, tool.input) == ("tool_use", "toolu_1", "save_file", tool_input)


async def test_rate_limit_raises_with_retry_after(
    server: RecordingServer, client: anthropic.AsyncAnthropic
) -> None:
    server.queue(HttpError.rate_limited(retry_after=3))
    with pytest.raises(anthropic.RateLimitError) as caught:
        await client.messages.create(model=MODEL, max_tokens=9, messages=HELLO)
    assert caught.value.response.headers["retry-after"] == "3"
    assert caught.value.body["error"]["type"] == "rate_limit_error"
    assert caught.value.request_id == caught.value.body["request_id"]


async def test_sdk_retries_after_rate_limit(server: RecordingServer) -> None:
    server.queue(HttpError.rate_limited(retry_after=0), TextReply("After the wait."))
    async with anthropic.AsyncAnthropic(api_key=KEY, base_url=server.base_url, max_retries=1) as sdk:
        message = await sdk.messages.create(model=MODEL, max_tokens=9, messages=HELLO)
    assert message.content[0].text == "After the wait."
    retries = [r.headers["x-stainless-retry-count"] for r in server.message_requests]
    assert retries == ["0", "1"]


async def test_overloaded_raises(server: RecordingServer, client: anthropic.AsyncAnthropic) -> None:
    server.queue(HttpError.overloaded())
    with pytest.raises(anthropic.OverloadedError) as caught:
        await client.messages.create(model=MODEL, max_tokens=9, messages=HELLO, stream=True)
    assert caught.value.status_code == 529


def test_http_error_times_answers_consecutive_requests(server: RecordingServer) -> None:
    server.queue(HttpError.overloaded(times=2), TextReply("ok"))
    body = {"model": MODEL, "max_tokens": 9, "messages": HELLO}
    statuses = [post(server, "/v1/messages", body)[0] for _ in range(4)]
    assert statuses == [529, 529, 200, 200]
    assert server.pending == 0


async def test_error_mid_stream_raises_after_text(
    server: RecordingServer, client: anthropic.AsyncAnthropic
) -> None:
    server.queue(ErrorMidStream(text_before="Once upon a time"))
    stream = await client.messages.create(model=MODEL, max_tokens=9, messages=HELLO, stream=True)
    texts: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as caught:
        async for event in stream:
            if event.type == "content_block_delta":
                texts.append(event.delta.text)
    assert "".join(texts) == "Once upon a time"
    assert type(caught.value) is anthropic.APIStatusError  # not OverloadedError
    assert caught.value.status_code == 200
    assert caught.value.body["error"]["type"] == "overloaded_error"


async def test_drop_mid_stream_breaks_the_read_after_the_text_so_far(
    server: RecordingServer, client: anthropic.AsyncAnthropic
) -> None:
    server.queue(DropMidStream(text_before="Once upon a time"))
    stream = await client.messages.create(model=MODEL, max_tokens=9, messages=HELLO, stream=True)
    texts: list[str] = []
    # The SDK wraps a failed body read in APIConnectionError, but the transport's own error comes
    # through when the break surfaces elsewhere in the read: both seen here, for the same drop.
    lost = (httpx2.RemoteProtocolError, anthropic.APIConnectionError)
    with pytest.raises(lost, match="incomplete chunked read"):
        async for event in stream:
            if event.type == "content_block_delta":
                texts.append(event.delta.text)
    assert "".join(texts) == "Once upon a time"
    # The pool recovers: the next request on the same client works.
    server.queue(TextReply("Again."))
    message = await client.messages.create(model=MODEL, max_tokens=9, messages=HELLO)
    assert message.content[0].text == "Again."


async def test_drop_without_streaming_is_a_connection_error(
    server: RecordingServer, client: anthropic.AsyncAnthropic
) -> None:
    server.queue(DropMidStream())
    with pytest.raises(anthropic.APIConnectionError):
        await client.messages.create(model=MODEL, max_tokens=9, messages=HELLO)


async def test_wrong_key_is_rejected() -> None:
    with RecordingServer(api_key="sk-right") as srv:
        async with anthropic.AsyncAnthropic(api_key="sk-wrong", base_url=srv.base_url, max_retries=0) as sdk:
            with pytest.raises(anthropic.AuthenticationError) as caught:
                await sdk.messages.create(model=MODEL, max_tokens=9, messages=HELLO)
        assert caught.value.body["error"] == {"type": "authentication_error", "message": "invalid x-api-key"}
        assert caught.value.body["request_id"].startswith("req_loopback_")
        body = {"model": MODEL, "messages": HELLO}
        assert post(srv, "/v1/messages/count_tokens", body, **{"x-api-key": "sk-right"})[0] == 200
        assert post(srv, "/v1/messages/count_tokens", body)[0] == 401
        async with anthropic.AsyncAnthropic(api_key="sk-right", base_url=srv.base_url, max_retries=0) as sdk:
            assert (await sdk.models.retrieve("claude-opus-4-7")).id == "claude-opus-4-7"


async def test_requests_are_recorded(server: RecordingServer, client: anthropic.AsyncAnthropic) -> None:
    server.queue(TextReply("one"), TextReply("two"))
    await client.messages.create(model=MODEL, max_tokens=5, system="Be brief.", messages=HELLO)
    await client.models.list()
    await client.messages.create(model=MODEL, max_tokens=6, messages=HELLO, stream=True)
    assert [(r.method, r.path) for r in server.requests] == [
        ("POST", "/v1/messages"),
        ("GET", "/v1/models"),
        ("POST", "/v1/messages"),
    ]
    first, second = server.message_requests
    assert first.json == {"model": MODEL, "max_tokens": 5, "system": "Be brief.", "messages": HELLO}
    assert json.loads(first.body) == first.json
    assert second.json["stream"] is True
    assert first.headers["authorization"] == f"Bearer {KEY}"
    assert "x-api-key" not in first.headers  # SDK 2.x sends only the Bearer header


async def test_count_tokens_and_models(server: RecordingServer, client: anthropic.AsyncAnthropic) -> None:
    messages = [{"role": "user", "content": "word " * 100}]
    count = await client.messages.count_tokens(model=MODEL, messages=messages)
    assert count.input_tokens == estimate_input_tokens({"messages": messages})
    assert 100 < count.input_tokens < 200
    page = await client.models.list(limit=2)
    assert [m.id for m in page.data] == ["claude-opus-4-7", "claude-sonnet-4-6"]
    assert page.has_more is True
    ids = [model.id async for model in client.models.list(limit=3)]
    assert ids == ["claude-opus-4-7", "claude-sonnet-4-6", "claude-haiku-4-5-20251001", "claude-fable-5-1"]
    fable = await client.models.retrieve("claude-fable-5-1")
    assert (fable.display_name, fable.type) == ("Claude Fable 5.1", "model")
    assert fable.created_at.year == 2025 and fable.max_input_tokens
    with pytest.raises(anthropic.NotFoundError):
        await client.models.retrieve("claude-nonesuch")
    status, headers, body = post(server, "/v1/nowhere", {})
    assert status == 404 and json.loads(body)["error"]["type"] == "not_found_error"
    assert json.loads(body)["request_id"] == headers["request-id"]


async def test_bad_requests_are_rejected(server: RecordingServer, client: anthropic.AsyncAnthropic) -> None:
    status, _, body = post(server, "/v1/messages", {"model": MODEL, "messages": HELLO})
    assert status == 400
    assert json.loads(body)["error"] == {
        "type": "invalid_request_error",
        "message": "max_tokens: Field required",
    }
    server.queue(HttpError.invalid_request("prompt is too long"))
    with pytest.raises(anthropic.BadRequestError, match="prompt is too long"):
        await client.messages.create(model=MODEL, max_tokens=9, messages=HELLO)


async def test_default_demo_reply_streams(server: RecordingServer, client: anthropic.AsyncAnthropic) -> None:
    said = "Please tighten my opening paragraph so that it reads faster and lands harder"
    messages = [{"role": "user", "content": [{"type": "text", "text": said}]}]
    started = time.monotonic()
    async with client.messages.stream(
        model="claude-haiku-4-5-20251001", max_tokens=99, messages=messages
    ) as stream:
        pieces = [piece async for piece in stream.text_stream]
        message = await stream.get_final_message()
    text = "".join(pieces)
    assert len(pieces) > 10 and time.monotonic() - started > 0.3  # small, paced chunks
    assert said[:60] in text and said[:61] not in text
    assert "offline demo" in text and "\n- " in text
    assert message.model == "claude-haiku-4-5-20251001"
    assert message.usage.output_tokens == len(text) // 4
    assert message.usage.input_tokens == estimate_input_tokens({"messages": messages})


def test_demo_text_quotes_tool_results_and_empty_messages() -> None:
    body = {
        "messages": [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "t",
                        "content": [{"type": "text", "text": "saved 3 lines"}],
                    }
                ],
            },
        ]
    }
    assert "saved 3 lines" in demo_text(body)
    assert "empty" in demo_text({"messages": []})


async def test_keep_alive_reuses_one_connection(
    server: RecordingServer, client: anthropic.AsyncAnthropic
) -> None:
    server.queue(TextReply("a"), TextReply("b"))
    await client.messages.create(model=MODEL, max_tokens=9, messages=HELLO)
    stream = await client.messages.create(model=MODEL, max_tokens=9, messages=HELLO, stream=True)
    assert [event.type async for event in stream][-1] == "message_stop"
    await client.messages.count_tokens(model=MODEL, messages=HELLO)
    assert server.connections_accepted == 1


async def test_chunk_delay_paces_the_stream(
    server: RecordingServer, client: anthropic.AsyncAnthropic
) -> None:
    server.queue(TextReply("abcdefghij", chunk_size=2, chunk_delay=0.02), DemoReply(chunk_delay=0))
    started = time.monotonic()
    stream = await client.messages.create(model=MODEL, max_tokens=9, messages=HELLO, stream=True)
    events = [event async for event in stream]
    assert len(events) == 10 and time.monotonic() - started >= 0.15
    started = time.monotonic()
    message = await client.messages.create(model=MODEL, max_tokens=9, messages=HELLO)
    assert "offline demo" in message.content[0].text and time.monotonic() - started < 0.5


def test_main_prints_base_url_and_serves() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "studio.loopback", "--key", "k"],
        cwd=Path(__file__).parents[1],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("ANTHROPIC_BASE_URL=http://127.0.0.1:")
        request = urllib.request.Request(first.partition("=")[2] + "/v1/models", headers={"x-api-key": "k"})
        with urllib.request.urlopen(request, timeout=20) as response:
            assert len(json.load(response)["data"]) == 4
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()


DRAFT_TOOLS = [
    {"name": name, "description": name, "input_schema": {"type": "object"}}
    for name in ("save_draft", "edit_draft")
]


async def demo_stream(
    client: anthropic.AsyncAnthropic, messages: list[dict[str, Any]], **params: Any
) -> tuple[list[str], anthropic.types.Message]:
    """The demo's reply through the SDK: the tool-input fragments and the final message."""
    async with client.messages.stream(
        model=MODEL, max_tokens=999, messages=messages, tools=DRAFT_TOOLS, **params
    ) as stream:
        partials = [event.partial_json async for event in stream if event.type == "input_json"]
        return partials, await stream.get_final_message()


async def test_demo_writes_a_draft_with_save_draft(
    server: RecordingServer, client: anthropic.AsyncAnthropic
) -> None:
    said = "Write a launch announcement for our garden app and save it"
    messages = [{"role": "user", "content": said}]
    started = time.monotonic()
    partials, message = await demo_stream(client, messages)
    assert time.monotonic() - started > 0.6  # paced: slow enough to watch the draft fill
    assert message.stop_reason == "tool_use"
    text, tool = message.content
    assert text.text.startswith("Here is a draft")
    assert (tool.name, tool.input["filename"]) == ("save_draft", "launch.md")
    content = tool.input["content"]
    assert content.startswith("# Launch announcement for our garden app\n")
    assert 20 <= len(content.splitlines()) <= 35
    assert len(partials) > 20 and max(len(p) for p in partials) <= 30
    assert json.loads("".join(partials)) == tool.input
    assert message.usage.input_tokens == estimate_input_tokens(server.message_requests[0].json)
    assert message.usage.output_tokens == len(text.text + json.dumps(tool.input)) // 4
    # The same words without the tools on offer get the text answer; without "launch", another name.
    server.default = DemoReply(chunk_delay=0)
    plain = await client.messages.create(model=MODEL, max_tokens=99, messages=messages)
    assert "offline demo" in plain.content[0].text and plain.stop_reason == "end_turn"
    _, other = await demo_stream(client, [{"role": "user", "content": "Draft a note on bees"}])
    assert other.content[1].input["filename"] == "demo-draft.md"


async def test_demo_confirms_a_saved_draft(server: RecordingServer, client: anthropic.AsyncAnthropic) -> None:
    messages = [
        {"role": "user", "content": "Write an announcement and save it"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Here is a draft…"},
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "save_draft",
                    "input": {"filename": "launch.md", "content": "# Launch\n"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "content": "Saved drafts/launch.md: 2 words, 9 bytes.",
                }
            ],
        },
    ]
    partials, message = await demo_stream(client, messages)
    assert partials == [] and message.stop_reason == "end_turn"
    assert message.content[0].text.startswith(
        "Saved — the draft is open in the editor. Ask me to tighten a paragraph"
    )


async def test_demo_tightens_a_line_of_the_draft_with_edit_draft(
    server: RecordingServer, client: anthropic.AsyncAnthropic
) -> None:
    draft = (
        "# Notes\n\nShort line here.\n"
        "This is the longest line of all, and it goes on for quite a few words here.\n"
        "This is a repeated line that is even longer than the longest line above it.\n"
        "This is a repeated line that is even longer than the longest line above it.\n"
    )
    shown = draft_sync.document("full text", "notes.md", draft, 1)
    ask = [
        {"role": "user", "content": [shown, {"type": "text", "text": "Please tighten the draft a little"}]}
    ]
    server.default = DemoReply(chunk_delay=0)
    _, message = await demo_stream(client, ask)
    assert message.stop_reason == "tool_use"
    tool = message.content[1]
    assert tool.name == "edit_draft"
    assert tool.input == {
        "old_text": "This is the longest line of all, and it goes on for quite a few words here.",
        "new_text": "This is the longest line of all, and it.",
    }
    assert draft.count(tool.input["old_text"]) == 1
    # The demo reads the changes the app sends after a full text, as Claude would.
    longer = draft.replace(
        "Short line here.",
        "Now this short line has grown to be the longest line of every line in these notes.",
    )
    changed = draft_sync.document("changes", "notes.md", draft_sync.diff_lines(draft, longer), 2)
    _, again = await demo_stream(
        client, [{"role": "user", "content": [shown, changed, *ask[0]["content"][1:]]}]
    )
    assert (
        again.content[1].input["old_text"]
        == "Now this short line has grown to be the longest line of every line in these notes."
    )
    # With no draft shown there is nothing to tighten: "draft" asks for a new one.
    _, fresh = await demo_stream(client, [{"role": "user", "content": "Please tighten the draft a little"}])
    assert fresh.content[1].name == "save_draft"

    answered = [
        *ask,
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": tool.id, "name": tool.name, "input": tool.input}],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": tool.id, "content": "Replaced 76 characters with 41."}
            ],
        },
    ]
    _, done = await demo_stream(client, answered)
    assert done.stop_reason == "end_turn" and done.content[0].text.startswith("Done — one line")


async def test_simulated_prompt_cache_writes_then_reads() -> None:
    """Automatic usage: the first request writes its marked prefix, the next one reads it."""
    long_system = "You are a careful editor. " * 400  # about 2,600 tokens at four characters each
    cache = {"type": "ephemeral", "ttl": "5m"}
    with RecordingServer() as server:
        client = anthropic.AsyncAnthropic(api_key="sk-ant-test", base_url=server.base_url, max_retries=0)
        server.queue(TextReply("One."), TextReply("Two."), TextReply("Three."))
        messages: list[dict] = [{"role": "user", "content": [{"type": "text", "text": "first"}]}]
        usages = []
        for follow_up in ("second", "third", None):
            reply = await client.messages.create(
                model="claude-sonnet-4-6",
                max_tokens=50,
                cache_control=cache,
                system=[{"type": "text", "text": long_system, "cache_control": cache}],
                messages=messages,
            )
            usages.append(reply.usage)
            if follow_up:
                messages = [
                    *messages,
                    {"role": "assistant", "content": reply.content[0].text},
                    {"role": "user", "content": [{"type": "text", "text": follow_up}]},
                ]
        await client.close()
    first, second, third = usages
    assert first.cache_creation_input_tokens > 2000 and first.cache_read_input_tokens == 0
    assert second.cache_read_input_tokens >= first.cache_creation_input_tokens
    assert third.cache_read_input_tokens > second.cache_read_input_tokens
    assert first.cache_creation.ephemeral_5m_input_tokens == first.cache_creation_input_tokens


async def test_each_model_has_a_cache_of_its_own() -> None:
    """As in the API: switching model misses the cache the other model wrote."""
    # About 5,200 tokens: over Opus 4.7's minimum of 4,096 as well as Sonnet 4.6's.
    long_system = [
        {"type": "text", "text": "You are a careful editor. " * 800, "cache_control": {"type": "ephemeral"}}
    ]
    with RecordingServer() as server:
        client = anthropic.AsyncAnthropic(api_key="sk-ant-test", base_url=server.base_url, max_retries=0)
        server.queue(TextReply("One."), TextReply("Two."), TextReply("Three."))
        usages = []
        for model in ("claude-sonnet-4-6", "claude-opus-4-7", "claude-sonnet-4-6"):
            reply = await client.messages.create(
                model=model, max_tokens=50, system=long_system, messages=[{"role": "user", "content": "hi"}]
            )
            usages.append(reply.usage)
        await client.close()
    sonnet, opus, sonnet_again = usages
    assert sonnet.cache_creation_input_tokens > 2000
    assert opus.cache_read_input_tokens == 0 and opus.cache_creation_input_tokens > 2000
    assert sonnet_again.cache_read_input_tokens == sonnet.cache_creation_input_tokens


async def test_short_prefixes_are_not_cached() -> None:
    with RecordingServer() as server:
        client = anthropic.AsyncAnthropic(api_key="sk-ant-test", base_url=server.base_url, max_retries=0)
        server.queue(TextReply("One."), TextReply("Two."))
        for _ in range(2):
            reply = await client.messages.create(
                model="claude-sonnet-4-6",
                max_tokens=50,
                cache_control={"type": "ephemeral"},
                messages=[{"role": "user", "content": "short"}],
            )
            assert reply.usage.cache_read_input_tokens == 0
            assert reply.usage.cache_creation_input_tokens == 0
        await client.close()
