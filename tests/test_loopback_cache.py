"""The loopback's simulated prompt cache against the API's documented rules.

Mostly ``PromptCache.account`` on hand-built request bodies (fast); the SDK over HTTP where the
server's part matters (the 400 for a fifth breakpoint, the usage it reports, a swapped clock).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from studio.loopback import LoopbackServer, TextReply
from studio.loopback.cache import CacheUsage, PromptCache
from studio.loopback.sse import estimate_input_tokens

KEY = "sk-ant-test"
SONNET_45 = "claude-sonnet-4-5"
EMPTY_TEXT_BLOCK = len('{"type":"text","text":""}')
FIVE_MINUTES = {"type": "ephemeral"}
ONE_HOUR = {"type": "ephemeral", "ttl": "1h"}


class Clock:
    """A clock the test moves by hand: entries expire without sleeping."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def text(tokens: int, mark: dict[str, str] | None = None, letter: str = "a") -> dict[str, Any]:
    """A text block the cache measures at exactly ``tokens`` (four characters of its JSON each)."""
    block: dict[str, Any] = {"type": "text", "text": letter * (4 * tokens - EMPTY_TEXT_BLOCK)}
    if mark is not None:
        block["cache_control"] = mark
    return block


def note(number: int, mark: dict[str, str] | None = None) -> dict[str, Any]:
    """A short block, to make the prefix many blocks long."""
    block: dict[str, Any] = {"type": "text", "text": f"note {number}"}
    if mark is not None:
        block["cache_control"] = mark
    return block


def body(
    system: list[dict[str, Any]],
    *messages: tuple[str, str | list[dict[str, Any]]],
    model: str = SONNET_45,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "model": model,
        "max_tokens": 50,
        "system": system,
        "messages": [{"role": role, "content": content} for role, content in messages],
        **extra,
    }


def user(*blocks: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    return ("user", list(blocks))


def assistant(*blocks: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    return ("assistant", list(blocks))


def adds_up(request: dict[str, Any], usage: CacheUsage) -> bool:
    return usage.input_tokens + usage.cache_read + usage.cache_creation == estimate_input_tokens(request)


# --- reads reach back 20 blocks from a breakpoint, no further --------------------------------------


@pytest.mark.parametrize(
    ("blocks_after", "found"), [(18, True), (19, True), (20, False), (21, False), (40, False)]
)
def test_a_hit_is_found_within_20_blocks_of_a_breakpoint_and_missed_beyond(
    blocks_after: int, found: bool
) -> None:
    """The system's entry is block 0; the breakpoint is ``blocks_after`` blocks later."""
    cache = PromptCache()
    written = cache.account(body([text(1500, FIVE_MINUTES)], user(note(0))))
    assert written.cache_creation == 1500
    later = [note(n) for n in range(1, blocks_after)] + [note(blocks_after, FIVE_MINUTES)]
    usage = cache.account(body([text(1500)], user(*later)))
    assert usage.cache_read == (1500 if found else 0)
    if not found:
        assert usage.cache_creation > 1500  # the whole prefix, written anew


def test_another_breakpoint_within_reach_finds_what_the_last_one_cannot() -> None:
    cache = PromptCache()
    cache.account(body([text(1500, FIVE_MINUTES)], user(note(0))))
    far = body([text(1500, FIVE_MINUTES)], user(*[note(n) for n in range(1, 30)], note(30, FIVE_MINUTES)))
    usage = cache.account(far)
    assert usage.cache_read == 1500 and usage.cache_creation > 0


def test_the_longest_prefix_in_reach_is_read() -> None:
    cache = PromptCache()
    cache.account(body([text(1500, FIVE_MINUTES), text(600, FIVE_MINUTES)], user(note(0))))
    usage = cache.account(body([text(1500), text(600)], user(note(0, FIVE_MINUTES))))
    assert usage.cache_read == 2100


def test_tools_come_first_so_a_changed_tool_misses_the_system_entry() -> None:
    tool = {"name": "save_draft", "description": "Save.", "input_schema": {"type": "object"}}
    cache = PromptCache()
    cache.account(body([text(1500, FIVE_MINUTES)], user(note(0)), tools=[tool]))
    same = cache.account(body([text(1500, FIVE_MINUTES)], user(note(0)), tools=[tool]))
    changed_tool = {**tool, "description": "Save the draft."}
    changed = cache.account(body([text(1500, FIVE_MINUTES)], user(note(0)), tools=[changed_tool]))
    assert same.cache_read > 1500 and changed.cache_read == 0


# --- the model's minimum --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "minimum"),
    [
        ("claude-opus-4-7", 4096),
        ("claude-opus-4-6", 4096),
        ("claude-opus-4-5-20251101", 4096),
        ("claude-opus-4-8", 4096),  # a later Opus 4.x
        ("claude-haiku-4-5", 4096),
        ("claude-sonnet-4-6", 2048),
        ("claude-sonnet-4-5-20250929", 1024),
        ("claude-opus-4-1-20250805", 1024),
        ("claude-opus-4-20250514", 1024),
        ("claude-opus-4-0", 1024),
        ("claude-sonnet-4-20250514", 1024),
        ("claude-unknown-9", 1024),
    ],
)
def test_a_prefix_is_written_from_the_models_minimum_on(model: str, minimum: int) -> None:
    cache = PromptCache()
    short = body([text(minimum - 1, FIVE_MINUTES)], user(note(0)), model=model)
    assert cache.account(short).cache_creation == 0
    assert cache.account(short).cache_read == 0  # nothing written, nothing to read
    enough = body([text(minimum, FIVE_MINUTES)], user(note(0)), model=model)
    assert cache.account(enough).cache_creation == minimum
    assert cache.account(enough).cache_read == minimum


def test_haiku_caches_nothing_at_3000_tokens_where_sonnet_45_does() -> None:
    cache = PromptCache()
    haiku = cache.account(body([text(3000, FIVE_MINUTES)], user(note(0)), model="claude-haiku-4-5"))
    sonnet = cache.account(body([text(3000, FIVE_MINUTES)], user(note(0)), model=SONNET_45))
    assert (haiku.cache_creation, haiku.cache_read) == (0, 0)
    assert sonnet.cache_creation == 3000


def test_a_breakpoint_under_the_minimum_folds_into_the_next_written_one() -> None:
    usage = PromptCache().account(body([text(500, FIVE_MINUTES), text(700, ONE_HOUR)], user(note(0))))
    assert (usage.creation_5m, usage.creation_1h) == (0, 1200)


# --- TTLs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("read_at_4_minutes", "hit_at_6_minutes"), [(True, True), (False, False)])
def test_a_hit_keeps_the_entry_alive_for_another_five_minutes(
    read_at_4_minutes: bool, hit_at_6_minutes: bool
) -> None:
    clock = Clock()
    cache = PromptCache(clock=clock)
    request = body([text(1500, FIVE_MINUTES)], user(note(0)))
    cache.account(request)
    if read_at_4_minutes:
        clock.now = 240
        assert cache.account(request).cache_read == 1500
    clock.now = 360
    assert (cache.account(request).cache_read == 1500) is hit_at_6_minutes


def test_an_entry_expires_five_minutes_after_its_last_use() -> None:
    clock = Clock()
    cache = PromptCache(clock=clock)
    request = body([text(1500, FIVE_MINUTES)], user(note(0)))
    cache.account(request)
    clock.now = 299
    assert cache.account(request).cache_read == 1500
    clock.now = 299 + 300
    missed = cache.account(request)
    assert missed.cache_read == 0 and missed.creation_5m == 1500


def test_a_one_hour_breakpoint_writes_an_entry_that_lives_an_hour() -> None:
    clock = Clock()
    cache = PromptCache(clock=clock)
    request = body([text(1500, ONE_HOUR)], user(note(0)))
    written = cache.account(request)
    assert (written.creation_5m, written.creation_1h) == (0, 1500)
    clock.now = 3599
    assert cache.account(request).cache_read == 1500
    clock.now = 3599 + 3600
    assert cache.account(request).creation_1h == 1500  # expired: written again


def test_each_written_segment_counts_under_the_ttl_of_the_breakpoint_ending_it() -> None:
    request = body([text(1500, ONE_HOUR), text(600, FIVE_MINUTES)], user(note(0)))
    usage = PromptCache().account(request)
    assert (usage.creation_1h, usage.creation_5m) == (1500, 600)
    assert adds_up(request, usage)


# --- the usage arithmetic -------------------------------------------------------------------------


def test_usage_adds_up_to_the_requests_estimate_whatever_was_read_or_written() -> None:
    cache = PromptCache()
    requests = [
        body([text(1500)], user(note(0))),  # no breakpoint
        body([text(500, FIVE_MINUTES)], user(note(0))),  # under the minimum
        body([text(1500, FIVE_MINUTES)], user(note(0))),  # a write
        body([text(1500, FIVE_MINUTES)], user(note(0))),  # a read
        body(
            [text(1500, FIVE_MINUTES)],
            user(note(0)),
            assistant(note(1)),
            user(text(900)),
            cache_control=FIVE_MINUTES,
        ),
        body([text(1500, letter="b")], ("user", "plain string content"), cache_control=ONE_HOUR),
    ]
    usages = [cache.account(request) for request in requests]
    assert all(adds_up(request, usage) for request, usage in zip(requests, usages, strict=True))
    assert [u.cache_read > 0 for u in usages] == [False, False, False, True, True, False]
    assert usages[4].cache_creation > 900  # from the read point to the top-level breakpoint
    assert usages[5].creation_1h > 1500


def test_input_tokens_are_what_follows_the_last_breakpoint_read_or_written() -> None:
    request = body([text(1500, FIVE_MINUTES)], user(text(800)))
    cache = PromptCache()
    first, second = cache.account(request), cache.account(request)
    assert first.input_tokens == second.input_tokens == estimate_input_tokens(request) - 1500
    assert second.input_tokens >= 800


# --- the multi-turn pattern: the breakpoint moves to the last block each turn ---------------------


def test_moving_the_breakpoint_later_reads_the_previous_turns_prefix() -> None:
    cache = PromptCache()
    system = [text(1500, FIVE_MINUTES)]
    first = cache.account(body(system, user(text(300, FIVE_MINUTES))))
    assert (first.cache_read, first.cache_creation) == (0, 1800)
    second = cache.account(body(system, user(text(300)), assistant(text(100)), user(text(200, FIVE_MINUTES))))
    assert (second.cache_read, second.cache_creation) == (1800, 300)
    third = cache.account(
        body(
            system,
            user(text(300)),
            assistant(text(100)),
            user(text(200)),
            assistant(text(50)),
            user(text(50, FIVE_MINUTES)),
        )
    )
    assert (third.cache_read, third.cache_creation) == (2100, 100)


def test_a_top_level_cache_control_moves_with_the_conversation() -> None:
    cache = PromptCache()
    system = [text(1500, FIVE_MINUTES)]
    cache.account(body(system, user(text(300)), cache_control=FIVE_MINUTES))
    usage = cache.account(body(system, user(text(300)), assistant(text(100)), cache_control=FIVE_MINUTES))
    assert (usage.cache_read, usage.cache_creation) == (1800, 100)


# --- through the server and the real SDK ----------------------------------------------------------


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(api_key=KEY, default=TextReply("Fine.")) as srv:
        yield srv


def marked_system(count: int) -> list[dict[str, Any]]:
    return [{"type": "text", "text": f"Part {n}.", "cache_control": FIVE_MINUTES} for n in range(count)]


@pytest.mark.parametrize(
    ("system", "top_level", "found"),
    [
        (marked_system(5), False, 5),
        (marked_system(4), True, 5),  # the top-level one counts as one of the four
        (marked_system(4), False, None),
        (marked_system(3), True, None),
    ],
)
async def test_more_than_four_breakpoints_is_a_bad_request(
    server: LoopbackServer, system: list[dict[str, Any]], top_level: bool, found: int | None
) -> None:
    extra: dict[str, Any] = {"cache_control": FIVE_MINUTES} if top_level else {}
    async with anthropic.AsyncAnthropic(api_key=KEY, base_url=server.base_url, max_retries=0) as client:
        create = client.messages.create(
            model=SONNET_45,
            max_tokens=50,
            system=system,
            messages=[{"role": "user", "content": "hi"}],
            **extra,
        )
        if found is None:
            assert (await create).content[0].type == "text"
            return
        with pytest.raises(anthropic.BadRequestError) as raised:
            await create
    assert raised.value.status_code == 400
    assert isinstance(raised.value.body, dict)
    assert raised.value.body["error"] == {
        "type": "invalid_request_error",
        "message": f"A maximum of 4 blocks with cache_control may be provided. Found {found}.",
    }


async def test_the_reported_usage_splits_writes_by_ttl(server: LoopbackServer) -> None:
    system = [text(1500, ONE_HOUR), text(600, FIVE_MINUTES)]
    async with anthropic.AsyncAnthropic(api_key=KEY, base_url=server.base_url, max_retries=0) as client:
        sent: dict[str, Any] = {
            "model": SONNET_45,
            "max_tokens": 50,
            "system": system,
            "messages": [{"role": "user", "content": "hi"}],
        }
        first = (await client.messages.create(**sent)).usage
        second = (await client.messages.create(**sent)).usage
    assert first.cache_creation is not None
    assert (
        first.cache_creation.ephemeral_1h_input_tokens,
        first.cache_creation.ephemeral_5m_input_tokens,
    ) == (
        1500,
        600,
    )
    assert first.cache_creation_input_tokens == 2100 and first.cache_read_input_tokens == 0
    assert second.cache_read_input_tokens == 2100 and second.cache_creation_input_tokens == 0
    total = estimate_input_tokens({k: sent[k] for k in ("system", "messages")})
    assert first.input_tokens + 2100 == second.input_tokens + 2100 == total


async def test_a_cache_swapped_in_with_a_fake_clock_is_the_one_the_server_uses(
    server: LoopbackServer,
) -> None:
    clock = Clock()
    server.prompt_cache = PromptCache(clock=clock)
    system = [text(1500, FIVE_MINUTES)]
    async with anthropic.AsyncAnthropic(api_key=KEY, base_url=server.base_url, max_retries=0) as client:
        usages = []
        for now in (0, 200, 501):  # read at 200 keeps it to 500; at 501 it has expired
            clock.now = now
            reply = await client.messages.create(
                model=SONNET_45, max_tokens=50, system=system, messages=[{"role": "user", "content": "hi"}]
            )
            usages.append((reply.usage.cache_read_input_tokens, reply.usage.cache_creation_input_tokens))
    assert usages == [(0, 1500), (1500, 0), (0, 1500)]
