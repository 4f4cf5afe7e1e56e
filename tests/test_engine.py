"""The engine through the real SDK against the loopback server: every captured stream, every fault."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import anthropic
import httpx2
import pytest
from conftest import TEST_KEY, fixture_names
from fakeapi import DropMidStream, ErrorMidStream, HttpError, RecordingServer, Replay

from studio.core import draft_sync
from studio.core.catalog import Catalog
from studio.core.conversation import Conversation
from studio.core.drafts import DraftStore
from studio.core.engine import Engine, EngineConfig
from studio.core.errors import describe_failure
from studio.core.events import (
    CostReported,
    Event,
    TextDelta,
    ToolFinished,
    ToolInputDelta,
    TurnDone,
    TurnFailed,
)
from studio.core.workspace import Workspace
from studio.loopback import TextReply, ToolUseReply

MODEL = "claude-sonnet-4-6"


_engines: list[Engine] = []


@pytest.fixture(autouse=True)
async def _close_engines() -> AsyncIterator[None]:
    """Close every client a test opened, on the loop that opened it."""
    yield
    while _engines:
        await _engines.pop().aclose()


def make_engine(server: RecordingServer, **config: object) -> Engine:
    defaults: dict[str, object] = {
        "api_key": TEST_KEY,
        "base_url": server.base_url,
        "system_prompt": "Be brief.",
        "max_retries": 0,
    }
    defaults.update(config)
    engine = Engine(EngineConfig(**defaults), Catalog.builtin())  # type: ignore[arg-type]
    _engines.append(engine)
    return engine


async def run(engine: Engine, conversation: Conversation, model: str = MODEL) -> list[Event]:
    return [event async for event in engine.run_turn(conversation, model)]


def text_of(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def ask(text: str) -> Conversation:
    conversation = Conversation()
    conversation.add_user(text)
    return conversation


def test_every_fixture_is_covered() -> None:
    """A new captured stream must get a test here: this list is the whole set."""
    assert fixture_names() == [
        "basic_response.txt",
        "incomplete_partial_json_response.txt",
        "message_delta_fields_response.txt",
        "refusal_response.txt",
        "tool_use_invalid_json_response.txt",
        "tool_use_response.txt",
    ]


async def test_basic_response(server: RecordingServer, fixtures_dir: Path) -> None:
    server.queue(Replay(fixtures_dir / "basic_response.txt"))
    conversation = ask("Say hello")
    events = await run(make_engine(server), conversation)
    assert text_of(events) == "Hello there!"
    assert isinstance(events[-1], TurnDone) and events[-1].stop_reason == "end_turn"
    cost = next(e.cost for e in events if isinstance(e, CostReported))
    assert (cost.usage.input, cost.usage.output) == (11, 6)
    assert cost.usd == pytest.approx((11 * 3 + 6 * 15) / 1e6)
    assert conversation.messages[-1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "Hello there!"}],
    }
    body = server.message_requests[0].json
    assert body["model"] == MODEL and body["stream"] is True
    cache = {"type": "ephemeral", "ttl": "5m"}
    assert body["system"] == [{"type": "text", "text": "Be brief.", "cache_control": cache}]
    assert "cache_control" not in body  # breakpoints are placed, not left to the API
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Say hello", "cache_control": cache}]}
    ]


async def test_usage_in_message_delta_replaces_message_start(
    server: RecordingServer, fixtures_dir: Path
) -> None:
    server.queue(Replay(fixtures_dir / "message_delta_fields_response.txt"))
    events = await run(make_engine(server), ask("hi"))
    cost = next(e.cost for e in events if isinstance(e, CostReported))
    u = cost.usage
    assert (u.input, u.output, u.cache_read, u.cache_write_5m, u.cache_write_1h) == (40, 8, 7, 12, 0)
    assert u.web_searches == 1
    # Priced as the requested model: $3 in, $15 out, $0.30 cache read, $3.75 5m write; $10/1000 searches.
    expected = (40 * 3 + 8 * 15 + 7 * 0.30 + 12 * 3.75) / 1e6 + 0.01
    assert cost.usd == pytest.approx(expected)
    assert text_of(events) == "Hello there!"


async def test_refusal_is_reported_and_left_out_of_history(
    server: RecordingServer, fixtures_dir: Path
) -> None:
    server.queue(Replay(fixtures_dir / "refusal_response.txt"))
    conversation = ask("something refused")
    events = await run(make_engine(server), conversation)
    done = events[-1]
    assert isinstance(done, TurnDone) and done.stop_reason == "refusal"
    assert done.notice and "declined" in done.notice and "cyber" in done.notice
    assert conversation.messages == []


async def test_unknown_tool_gets_an_error_result_and_the_turn_goes_on(
    server: RecordingServer, fixtures_dir: Path
) -> None:
    server.queue(Replay(fixtures_dir / "tool_use_response.txt"), TextReply("I have no weather tool."))
    conversation = ask("Weather in Paris?")
    events = await run(make_engine(server), conversation)
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert len(finished) == 1 and finished[0].is_error and "Unknown tool 'get_weather'" in finished[0].result
    assert finished[0].input == {"location": "Paris"}
    second = server.message_requests[1].json["messages"]
    assert second[1]["content"][-1]["type"] == "tool_use"
    result = second[2]["content"][0]
    assert result["type"] == "tool_result" and result["is_error"] is True
    assert result["tool_use_id"] == second[1]["content"][-1]["id"]
    assert isinstance(events[-1], TurnDone)
    assert "I have no weather tool." in text_of(events)


async def test_invalid_tool_json_is_never_executed(server: RecordingServer, fixtures_dir: Path) -> None:
    server.queue(Replay(fixtures_dir / "tool_use_invalid_json_response.txt"), TextReply("Sorry."))
    conversation = ask("Weather?")
    events = await run(make_engine(server), conversation)
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert len(finished) == 1 and finished[0].is_error
    assert finished[0].input is None and "not valid JSON" in finished[0].result
    assert isinstance(events[-1], TurnDone)
    # Every tool_use in the history has its tool_result.
    sent = server.message_requests[1].json["messages"]
    assert sent[2]["content"][0]["tool_use_id"] == sent[1]["content"][-1]["id"]


async def test_tool_input_cut_by_max_tokens_is_not_executed(
    server: RecordingServer, fixtures_dir: Path
) -> None:
    server.queue(Replay(fixtures_dir / "incomplete_partial_json_response.txt"))
    conversation = ask("Write my tax guide to taxes.txt")
    events = await run(make_engine(server), conversation)
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert len(finished) == 1 and finished[0].is_error
    assert "Not executed" in finished[0].result
    done = events[-1]
    assert isinstance(done, TurnDone) and done.stop_reason == "max_tokens" and done.can_continue
    assert any(isinstance(e, ToolInputDelta) for e in events)
    # The history stays valid: the next user message joins the pending tool_result turn.
    conversation.add_user("continue")
    assert [m["role"] for m in conversation.messages] == ["user", "assistant", "user"]
    assert conversation.messages[-1]["content"][0]["type"] == "tool_result"


async def test_builtin_tools_run_over_several_rounds(server: RecordingServer) -> None:
    server.queue(
        ToolUseReply("format_as_list", {"items": ["plot", "pace"]}, text="Listing."),
        ToolUseReply("get_word_count", {"text": "one two three"}),
        TextReply("Done: two items, three words."),
    )
    events = await run(make_engine(server), ask("List and count"))
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert [(f.name, f.result, f.is_error) for f in finished] == [
        ("format_as_list", "1. plot\n2. pace", False),
        ("get_word_count", "3 words, 13 characters", False),
    ]
    assert len(server.message_requests) == 3
    assert isinstance(events[-1], TurnDone)
    assert [t["name"] for t in server.message_requests[0].json["tools"]] == [
        "format_as_list",
        "get_word_count",
    ]


async def test_tool_loop_is_capped(server: RecordingServer) -> None:
    server.queue(*[ToolUseReply("get_word_count", {"text": "x"}) for _ in range(3)])
    events = await run(make_engine(server, max_tool_rounds=2), ask("loop"))
    assert isinstance(events[-1], TurnFailed) and events[-1].kind == "tool_loop"
    assert len(server.message_requests) == 2


async def test_multi_turn_sends_the_history(server: RecordingServer) -> None:
    server.queue(TextReply("First answer."), TextReply("Second answer."))
    engine = make_engine(server)
    conversation = ask("one")
    await run(engine, conversation)
    conversation.add_user("two")
    await run(engine, conversation)
    sent = server.message_requests[1].json["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[1]["content"][0]["text"] == "First answer."


async def test_max_tokens_offers_to_continue(server: RecordingServer) -> None:
    server.queue(TextReply("A long answer that", stop_reason="max_tokens"))
    events = await run(make_engine(server, max_tokens=5), ask("long"))
    done = events[-1]
    assert isinstance(done, TurnDone) and done.can_continue
    assert done.notice and "5-token" in done.notice
    assert server.message_requests[0].json["max_tokens"] == 5


@pytest.mark.parametrize(
    ("reply", "title", "kind"),
    [
        (HttpError.rate_limited(retry_after=7), "Rate limited (429)", "rate_limit"),
        (HttpError.overloaded(), "Claude is overloaded (529)", "overloaded"),
        (HttpError.unauthorized(), "Invalid API key (401)", "auth"),
        (HttpError.invalid_request("messages: bad"), "Request refused (400)", "bad_request"),
    ],
)
async def test_http_errors_keep_the_user_message(
    server: RecordingServer, reply: HttpError, title: str, kind: str
) -> None:
    server.queue(reply)
    conversation = ask("hello")
    events = await run(make_engine(server), conversation)
    failed = events[-1]
    assert isinstance(failed, TurnFailed) and failed.title == title and failed.kind == kind
    assert conversation.pending_user_turn()
    if kind == "rate_limit":
        assert failed.retry_after == 7 and "7 s" in failed.detail
    assert TEST_KEY not in failed.detail


async def test_sdk_retries_overload_then_succeeds(server: RecordingServer) -> None:
    server.queue(HttpError.overloaded(), TextReply("Made it."))
    events = await run(make_engine(server, max_retries=1), ask("hi"))
    assert text_of(events) == "Made it."
    assert len(server.message_requests) == 2


async def test_retry_after_failure_resends_the_same_turn(server: RecordingServer) -> None:
    server.queue(HttpError.overloaded(), TextReply("Second try worked."))
    engine = make_engine(server)
    conversation = ask("hello")
    await run(engine, conversation)
    events = await run(engine, conversation)
    assert text_of(events) == "Second try worked."
    assert server.message_requests[0].body == server.message_requests[1].body


async def test_error_event_mid_stream(server: RecordingServer) -> None:
    server.queue(ErrorMidStream(text_before="Half a sent"))
    conversation = ask("hello")
    events = await run(make_engine(server), conversation)
    assert text_of(events) == "Half a sent"
    failed = events[-1]
    assert isinstance(failed, TurnFailed) and failed.kind == "stream_error"
    assert "overloaded_error" in failed.detail
    assert conversation.pending_user_turn()


async def test_dropped_connection_mid_stream(server: RecordingServer) -> None:
    server.queue(DropMidStream(text_before="Cut off"))
    conversation = ask("hello")
    events = await run(make_engine(server), conversation)
    assert text_of(events) == "Cut off"
    failed = events[-1]
    assert isinstance(failed, TurnFailed) and failed.kind == "dropped"
    assert conversation.pending_user_turn()


@pytest.mark.parametrize("mid_reply", [True, False])
def test_a_lost_connection_is_a_dropped_reply_once_the_reply_began(mid_reply: bool) -> None:
    """Depending on where the read broke, the SDK raises its own APIConnectionError or the
    transport's error mid-stream (seen on CI): once text has come, both are a dropped reply."""
    lost = anthropic.APIConnectionError(request=httpx2.Request("POST", "http://127.0.0.1/v1/messages"))
    failure = describe_failure(lost, model="claude-sonnet-4-6", mid_reply=mid_reply)
    if mid_reply:
        assert (failure.kind, failure.title) == ("dropped", "The connection dropped mid-reply")
    else:
        assert (failure.kind, failure.title) == ("connection", "Cannot reach the API")


async def test_unreachable_server() -> None:
    engine = Engine(
        EngineConfig(api_key=TEST_KEY, base_url="http://127.0.0.1:9", max_retries=0), Catalog.builtin()
    )
    _engines.append(engine)
    events = await run(engine, ask("hello"))
    assert isinstance(events[-1], TurnFailed) and events[-1].kind == "connection"


async def test_unknown_model_404(server: RecordingServer) -> None:
    server.queue(HttpError(404, "not_found_error", "model: claude-nope"))
    events = await run(make_engine(server), ask("hi"), model="claude-nope")
    failed = events[-1]
    assert isinstance(failed, TurnFailed) and failed.kind == "model"
    # The engine names what to do; the front end names the key (from the live keymap).
    assert failed.remedy == "other_model" and "F2" not in failed.detail


async def test_unknown_model_price_is_unknown_not_zero(server: RecordingServer) -> None:
    server.queue(TextReply("hi", model="claude-fable-5-1"))
    events = await run(make_engine(server), ask("hi"), model="claude-fable-5-1")
    cost = next(e.cost for e in events if isinstance(e, CostReported))
    assert cost.usd is None


async def test_stop_ends_the_reply_keeps_the_text_and_reports_its_cost(server: RecordingServer) -> None:
    server.queue(TextReply("word " * 200, input_tokens=1000, chunk_size=5, chunk_delay=0.01))
    conversation = ask("long please")
    stop = asyncio.Event()
    events: list[Event] = []
    async for event in make_engine(server).run_turn(conversation, MODEL, stop):
        events.append(event)
        if len([e for e in events if isinstance(e, TextDelta)]) == 5:
            stop.set()
    done = events[-1]
    assert isinstance(done, TurnDone) and done.stop_reason == "stopped"
    assert text_of(events) == "word " * 5
    cost = next(e.cost for e in events if isinstance(e, CostReported))
    assert cost.estimated and cost.usage.input == 1000 and cost.usage.output == 7  # 25 chars / 4
    assert conversation.messages[-1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "word " * 5}],
    }


async def test_stop_while_the_server_is_silent(server: RecordingServer) -> None:
    server.queue(TextReply("late", chunk_delay=5.0))
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.3, stop.set)
    started = asyncio.get_running_loop().time()
    events = [e async for e in make_engine(server).run_turn(ask("hi"), MODEL, stop)]
    assert asyncio.get_running_loop().time() - started < 2.0
    assert isinstance(events[-1], TurnDone) and events[-1].stop_reason == "stopped"


async def test_cancelling_keeps_the_partial_text(server: RecordingServer) -> None:
    server.queue(TextReply("word " * 200, chunk_size=5, chunk_delay=0.01))
    conversation = ask("long please")
    engine = make_engine(server)
    seen: list[str] = []

    async def consume() -> None:
        async for event in engine.run_turn(conversation, MODEL):
            if isinstance(event, TextDelta):
                seen.append(event.text)

    task = asyncio.create_task(consume())
    while len(seen) < 5:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    kept = conversation.messages[-1]
    assert kept["role"] == "assistant"
    assert kept["content"][0]["text"].startswith("word word")
    assert len(kept["content"][0]["text"]) < len("word " * 200)


async def test_check_key(server: RecordingServer) -> None:
    engine = make_engine(server)
    assert await engine.check_key(TEST_KEY) is None
    failure = await engine.check_key("sk-ant-wrong-FAKE-key2")
    assert failure is not None and failure.kind == "auth"


async def test_list_models(server: RecordingServer) -> None:
    listed = await make_engine(server).list_models()
    ids = [model["id"] for model in listed]
    assert "claude-sonnet-4-6" in ids and "claude-fable-5-1" in ids


def draft_engine(
    server: RecordingServer, tmp_path: Path, text: str = "", name: str | None = None, **config: object
) -> tuple[Engine, Workspace]:
    workspace = Workspace(DraftStore(tmp_path / "drafts", max_bytes=2000))
    workspace.draft.name, workspace.draft.text = name, text
    engine = make_engine(server, **config)
    engine = Engine(engine.config, engine.catalog, workspace)
    _engines.append(engine)
    return engine, workspace


async def test_save_draft_writes_the_file_and_answers_claude(server: RecordingServer, tmp_path: Path) -> None:
    content = "# Launch\n\nWe ship today.\n"
    server.queue(
        ToolUseReply("save_draft", {"filename": "launch.md", "content": content}, text="Saving."),
        TextReply("Saved it."),
    )
    engine, workspace = draft_engine(server, tmp_path)
    events = await run(engine, ask("Write a launch note and save it as launch.md"))
    partials = [e.partial for e in events if isinstance(e, ToolInputDelta)]
    assert any(0 < len(p.get("content", "")) < len(content) for p in partials), "text streamed"
    finished = next(e for e in events if isinstance(e, ToolFinished))
    assert not finished.is_error and finished.change is not None
    assert (tmp_path / "drafts" / "launch.md").read_text() == content
    assert workspace.draft.name == "launch.md" and not workspace.draft.dirty
    result = server.message_requests[1].json["messages"][2]["content"][0]
    assert result["content"] == (
        "Saved drafts/launch.md: 5 words, 25 bytes. It is open in the writer's editor."
    )
    # Claude's own save is how it knows the draft: the next request adds no copy of it.
    after = server.message_requests[1].json["messages"]
    assert draft_sync.seen(after) == draft_sync.Seen("launch.md", content, 0)
    assert not any(draft_sync.is_draft_block(b) for m in after for b in m["content"])
    tools = {t["name"]: t for t in server.message_requests[0].json["tools"]}
    assert list(tools) == ["save_draft", "edit_draft", "format_as_list", "get_word_count"]
    assert tools["save_draft"]["eager_input_streaming"] is True


@pytest.mark.parametrize(
    "filename", ["../escape.md", "/etc/passwd", ".env", "notes/../../x.md", "x.sh", "CON.md", "a\u0000b.md"]
)
async def test_save_draft_refuses_paths_outside_the_folder(
    server: RecordingServer, tmp_path: Path, filename: str
) -> None:
    server.queue(ToolUseReply("save_draft", {"filename": filename, "content": "pwned"}), TextReply("Sorry."))
    engine, workspace = draft_engine(server, tmp_path)
    before = sorted(p for p in tmp_path.rglob("*"))
    events = await run(engine, ask("save it"))
    finished = next(e for e in events if isinstance(e, ToolFinished))
    assert finished.is_error and finished.change is None and "save_draft refused" in finished.result
    assert sorted(p for p in tmp_path.rglob("*")) == before
    assert not (tmp_path / "escape.md").exists()
    assert workspace.draft.name is None
    sent = server.message_requests[1].json["messages"][2]["content"][0]
    assert sent["is_error"] is True


async def test_save_draft_over_the_size_limit_is_refused(server: RecordingServer, tmp_path: Path) -> None:
    server.queue(
        ToolUseReply("save_draft", {"filename": "big.md", "content": "x" * 5000}), TextReply("Too big.")
    )
    engine, _ = draft_engine(server, tmp_path)
    events = await run(engine, ask("save"))
    finished = next(e for e in events if isinstance(e, ToolFinished))
    assert finished.is_error and "over the limit" in finished.result
    assert not (tmp_path / "drafts" / "big.md").exists()


async def test_edit_draft_replaces_one_passage(server: RecordingServer, tmp_path: Path) -> None:
    text = "First paragraph stays.\n\nThe second paragraph is long and rambling and slow.\n"
    server.queue(
        ToolUseReply("edit_draft", {"old_text": "long and rambling and slow", "new_text": "brisk"}),
        TextReply("Tightened."),
    )
    engine, workspace = draft_engine(server, tmp_path, text=text, name="essay.md")
    workspace.draft.saved_text = text
    events = await run(engine, ask("tighten the second paragraph"))
    finished = next(e for e in events if isinstance(e, ToolFinished))
    assert finished.change is not None and finished.change.kind == "edited"
    assert workspace.draft.text == "First paragraph stays.\n\nThe second paragraph is brisk.\n"
    assert workspace.draft.dirty
    shown = server.message_requests[0].json["messages"][0]["content"][0]
    assert shown["title"] == "essay.md" and shown["source"]["data"] == text
    assert shown["context"].startswith("studio draft, version 1, full text:")
    # Claude's edit is applied to what it was shown; the round after it needs no new copy.
    after = server.message_requests[1].json["messages"]
    assert draft_sync.seen(after).text == workspace.draft.text
    assert sum(draft_sync.is_draft_block(b) for m in after for b in m["content"]) == 1


@pytest.mark.parametrize(
    ("old", "why"), [("not in the draft", "was not found"), ("the", "appears 2 times"), ("", "is empty")]
)
async def test_edit_draft_needs_a_unique_exact_passage(
    server: RecordingServer, tmp_path: Path, old: str, why: str
) -> None:
    server.queue(ToolUseReply("edit_draft", {"old_text": old, "new_text": "x"}), TextReply("ok"))
    engine, workspace = draft_engine(server, tmp_path, text="the cat and the hat")
    events = await run(engine, ask("edit"))
    finished = next(e for e in events if isinstance(e, ToolFinished))
    assert finished.is_error and why in finished.result
    assert workspace.draft.text == "the cat and the hat"


async def test_word_count_defaults_to_the_draft(server: RecordingServer, tmp_path: Path) -> None:
    server.queue(ToolUseReply("get_word_count", {}), TextReply("Four."))
    engine, _ = draft_engine(server, tmp_path, text="one two three four")
    events = await run(engine, ask("how long is it?"))
    finished = next(e for e in events if isinstance(e, ToolFinished))
    assert finished.result == "4 words, 18 characters"


def sse(*events: dict) -> str:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)


def two_tool_calls() -> str:
    """One reply holding two tool_use blocks, as the API streams it."""

    def tool(index: int, tool_id: str, name: str, args: dict) -> list[dict]:
        return [
            {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "tool_use", "id": tool_id, "name": name, "input": {}},
            },
            {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "input_json_delta", "partial_json": json.dumps(args)},
            },
            {"type": "content_block_stop", "index": index},
        ]

    return sse(
        {
            "type": "message_start",
            "message": {
                "id": "msg_two",
                "type": "message",
                "role": "assistant",
                "content": [],
                "model": MODEL,
                "stop_reason": None,
                "usage": {"input_tokens": 50, "output_tokens": 1},
            },
        },
        *tool(0, "toolu_a", "format_as_list", {"items": ["x", "y"]}),
        *tool(1, "toolu_b", "get_word_count", {"text": "a b c"}),
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 30}},
        {"type": "message_stop"},
    )


async def test_several_tool_calls_in_one_reply(server: RecordingServer, tmp_path: Path) -> None:
    """Each call gets its tool_result, in order, in one user message."""
    stream = tmp_path / "two_tools.txt"
    stream.write_text(two_tool_calls())
    server.queue(Replay(stream), TextReply("Done."))
    engine, _ = draft_engine(server, tmp_path)
    events = await run(engine, ask("go"))
    assert [(e.name, e.result) for e in events if isinstance(e, ToolFinished)] == [
        ("format_as_list", "1. x\n2. y"),
        ("get_word_count", "3 words, 5 characters"),
    ]
    results = server.message_requests[1].json["messages"][2]["content"]
    assert [r["tool_use_id"] for r in results] == ["toolu_a", "toolu_b"]
    assert isinstance(events[-1], TurnDone)


def canonical(part: object) -> bytes:
    """How the SDK writes JSON on the wire (compact, UTF-8): lets us look for exact bytes."""
    return json.dumps(part, separators=(",", ":"), ensure_ascii=False).encode()


def unmarked(part: object) -> object:
    """`part` without its cache_control marks: they are not part of what the cache matches."""
    if isinstance(part, list):
        return [unmarked(item) for item in part]
    if isinstance(part, dict):
        return {k: unmarked(v) for k, v in part.items() if k != "cache_control"}
    return part


async def test_each_request_extends_the_last_byte_for_byte_while_the_draft_changes(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(TextReply("One."), TextReply("Two."), TextReply("Three."))
    essay = "# Essay\n" + "".join(f"\nParagraph {n} says something of its own.\n" for n in range(20))
    engine, workspace = draft_engine(server, tmp_path, text=essay, name="essay.md")
    conversation = ask("first")
    await run(engine, conversation)
    for n, text in enumerate(("second", "third"), start=2):
        workspace.draft.text = workspace.draft.text.replace(
            f"Paragraph {n} says", f"Paragraph {n} now says"
        )  # the writer types
        conversation.add_user(text)
        await run(engine, conversation)
    bodies = [r.body for r in server.message_requests]
    parsed = [json.loads(b) for b in bodies]
    cache = {"type": "ephemeral", "ttl": "5m"}
    for before, after, raw in zip(parsed, parsed[1:], bodies[1:], strict=False):
        assert canonical(after["tools"]) == canonical(before["tools"]) and canonical(before["tools"]) in raw
        assert canonical(after["system"]) == canonical(before["system"]) and canonical(after["system"]) in raw
        sent = unmarked(before["messages"])
        assert unmarked(after["messages"])[: len(sent)] == sent, "what was sent is never rewritten"
    for body in parsed:
        assert "cache_control" not in body
        marks = [
            (m, b)
            for m, message in enumerate(body["messages"])
            for b in message["content"]
            if "cache_control" in b
        ]
        last = len(body["messages"]) - 1
        assert [m for m, _ in marks] == [
            m for m in (last - 2, last) if m >= 0
        ]  # where the last request ended, and the end
        assert all(b["cache_control"] == cache for _, b in marks)
        assert [b.get("cache_control") for b in body["system"]] == [None, cache]  # persona, then the guide
        assert body["system"][1]["text"] == draft_sync.GUIDE
    # The second and third requests send only what changed, and Claude's view is the editor's text.
    kinds = [
        b["context"].split(":")[0]
        for p in parsed
        for b in p["messages"][-1]["content"]
        if b["type"] == "document"
    ]
    assert kinds == [
        "studio draft, version 1, full text",
        "studio draft, version 2, changes",
        "studio draft, version 3, changes",
    ]
    assert draft_sync.seen(parsed[-1]["messages"]).text == workspace.draft.text


async def test_cache_ttl_one_hour(server: RecordingServer) -> None:
    server.queue(TextReply("ok"))
    await run(make_engine(server, cache_ttl="1h"), ask("hi"))
    body = server.message_requests[0].json
    hour = {"type": "ephemeral", "ttl": "1h"}
    assert body["system"][-1]["cache_control"] == hour
    assert body["messages"][-1]["content"][-1]["cache_control"] == hour


async def test_count_tokens_sends_the_next_request(server: RecordingServer, tmp_path: Path) -> None:
    engine, _ = draft_engine(server, tmp_path, text="draft text")
    conversation = ask("first")
    count = await engine.count_tokens(conversation, MODEL, typed="and what I am typing")
    assert count > 0
    sent = next(r for r in server.requests if r.path.startswith("/v1/messages/count_tokens")).json
    assert sent["messages"][-1]["content"][-1]["text"] == "and what I am typing"
    assert "max_tokens" not in sent and sent["model"] == MODEL
    assert conversation.messages == [{"role": "user", "content": [{"type": "text", "text": "first"}]}]


async def test_a_full_context_window_is_explained(server: RecordingServer) -> None:
    server.queue(TextReply("Partial", stop_reason="model_context_window_exceeded"))
    events = await run(make_engine(server), ask("hi"))
    done = events[-1]
    assert isinstance(done, TurnDone) and not done.can_continue
    assert done.notice and "context window" in done.notice
