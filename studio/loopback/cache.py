"""A stand-in for the API's prompt cache, close enough to judge what a request layout costs.

The rules followed are the API's documented ones. The cacheable prefix runs tools, then system,
then messages. ``cache_control`` on a block is a breakpoint; a top-level ``cache_control`` puts
one on the last block (and counts as one of the four a request may have). An entry is written
only at a breakpoint, only when the prefix up to it reaches the model's minimum, and lives for
its breakpoint's ``ttl`` from when it was last written or read. A request reads the longest
prefix that an earlier request to the same model wrote, looking at each breakpoint and the 19
blocks before it: a hit further back than that from every breakpoint is missed, as in the API.

Where this is an approximation:

- Tokens are four characters of each block's compact JSON (``cache_control`` left out), the
  server's estimate of the whole request being their sum plus a few for its framing, which is
  all that follows a breakpoint on the last block; not Claude's tokenizer.
- Blocks are compared by their JSON (and role), not by what the model sees. ``cache_control``
  is not part of what is compared, so moving a breakpoint does not invalidate anything.
- Sonnet 4.6's minimum is the stricter of two sources (see ``MIN_CACHEABLE_TOKENS``).
- Best effort where the API documents nothing: a breakpoint at or before the point read writes
  nothing; when written segments end at breakpoints of different TTLs, each segment counts under
  the TTL of the breakpoint that ends it; a top-level ``cache_control`` defers to a breakpoint
  already on the last block; expired entries are dropped only when next looked up or rewritten.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .sse import block_json, estimate_input_tokens, prefix_blocks

# The API's two cache lifetimes. Spelled out here, not imported: the demo server uses nothing of studio.
Ttl = Literal["5m", "1h"]
TTL_SECONDS: dict[Ttl, float] = {"5m": 300.0, "1h": 3600.0}
MAX_BREAKPOINTS = 4
LOOKBACK_BLOCKS = 20  # the block at a breakpoint and the 19 before it

# The shortest prefix each model caches, by model id prefix: the first that matches wins, so the
# dated and alias ids of Opus 4 and 4.1 come before the catch-all for later Opus 4.x models.
# Sources: Anthropic's prompt-caching docs, except Sonnet 4.6, which they put at 1,024: the SDK's
# issue #1194 reports that caching only starts at 2,048 there, and the stricter figure is used.
MIN_CACHEABLE_TOKENS: tuple[tuple[str, int], ...] = (
    ("claude-sonnet-4-6", 2048),
    ("claude-sonnet-4-5", 1024),
    ("claude-sonnet-4", 1024),
    ("claude-haiku-4-5", 4096),
    ("claude-opus-4-0", 1024),  # the alias of Opus 4
    ("claude-opus-4-1", 1024),
    ("claude-opus-4-2025", 1024),  # Opus 4's dated id, claude-opus-4-20250514
    ("claude-opus-4-", 4096),  # Opus 4.5, 4.6, 4.7 and later 4.x
)
UNKNOWN_MODEL_MINIMUM = 1024


def minimum_tokens(model: str) -> int:
    """The shortest prefix ``model`` caches; shorter ones are neither written nor read."""
    return next(
        (tokens for prefix, tokens in MIN_CACHEABLE_TOKENS if model.startswith(prefix)), UNKNOWN_MODEL_MINIMUM
    )


@dataclass(frozen=True)
class CacheUsage:
    """How one request's input splits, as the API reports it; the parts add up to the total."""

    input_tokens: int
    cache_read: int = 0
    creation_5m: int = 0
    creation_1h: int = 0

    @property
    def cache_creation(self) -> int:
        """Every token written, whatever its TTL."""
        return self.creation_5m + self.creation_1h


@dataclass(frozen=True)
class _Block:
    """One block of the prefix: what identifies it, its size, and its breakpoint's TTL if marked."""

    key: str
    chars: int
    ttl: Ttl | None


@dataclass
class _Entry:
    ttl: Ttl
    expires: float


def _ttl(mark: Any) -> Ttl | None:
    """The TTL of a ``cache_control`` value, or None when there is no breakpoint."""
    if not isinstance(mark, dict):
        return None
    return "1h" if mark.get("ttl") == "1h" else "5m"


def _block(role: str, block: Any) -> _Block:
    """A block measured and keyed without its ``cache_control``, which is not content."""
    text = block_json(block)
    mark = block.get("cache_control") if isinstance(block, dict) else None
    return _Block(f"{role}\0{text}", len(text), _ttl(mark))


def _explicit_blocks(body: dict[str, Any]) -> list[_Block]:
    """Every block of the prefix in cache order (tools, system, then messages), as marked."""
    return [_block(role, block) for role, block in prefix_blocks(body)]


def _prefix_blocks(body: dict[str, Any]) -> list[_Block]:
    """The prefix's blocks with the top-level ``cache_control``, if any, on the last one."""
    blocks = _explicit_blocks(body)
    top = _ttl(body.get("cache_control"))
    if top is not None and blocks and blocks[-1].ttl is None:
        blocks[-1] = _Block(blocks[-1].key, blocks[-1].chars, top)
    return blocks


def count_breakpoints(body: dict[str, Any]) -> int:
    """The breakpoints a request asks for, a top-level ``cache_control`` counted as one."""
    marked = sum(block.ttl is not None for block in _explicit_blocks(body))
    return marked + (_ttl(body.get("cache_control")) is not None)


def _hashes(model: str, blocks: list[_Block]) -> list[str]:
    """The cumulative hash at each block boundary; seeded with the model, as each has its own cache."""
    digest = hashlib.sha256(model.encode())
    hashes = []
    for block in blocks:
        digest.update(block.key.encode())
        hashes.append(digest.hexdigest())
    return hashes


def _sizes(blocks: list[_Block]) -> list[int]:
    """The prefix's size in tokens at each block boundary."""
    sizes, chars = [], 0
    for block in blocks:
        chars += block.chars
        sizes.append(chars // 4)
    return sizes


def _looked_at(marks: list[tuple[int, Ttl]]) -> set[int]:
    """The block boundaries the API checks for a hit: each breakpoint and the 19 blocks before it."""
    return {i for mark, _ in marks for i in range(max(0, mark - LOOKBACK_BLOCKS + 1), mark + 1)}


def _creation(sizes: list[int], read: int, written: list[tuple[int, Ttl]]) -> dict[Ttl, int]:
    """Tokens written past the read point, each segment under the TTL of the breakpoint ending it."""
    creation: dict[Ttl, int] = {"5m": 0, "1h": 0}
    start = read
    for i, ttl in written:
        creation[ttl] += sizes[i] - start
        start = sizes[i]
    return creation


@dataclass
class PromptCache:
    """Thread-safe: the server answers requests on several threads.

    ``clock`` tells the time in seconds; a benchmark may swap it to expire entries without sleeping.
    """

    clock: Callable[[], float] = time.monotonic
    entries: dict[str, _Entry] = field(default_factory=dict, init=False, repr=False)  # by prefix hash
    lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def account(self, body: dict[str, Any]) -> CacheUsage:
        """Read and write the cache as the API would for ``body``, and report the usage."""
        model = str(body.get("model", ""))
        blocks = _prefix_blocks(body)
        hashes, sizes = _hashes(model, blocks), _sizes(blocks)
        marks = [(i, block.ttl) for i, block in enumerate(blocks) if block.ttl is not None]
        minimum = minimum_tokens(model)
        with self.lock:
            now = self.clock()
            read_at = self._read(hashes, marks, now)
            written = [(i, ttl) for i, ttl in marks if i > read_at and sizes[i] >= minimum]
            for i, ttl in written:
                self.entries[hashes[i]] = _Entry(ttl, now + TTL_SECONDS[ttl])
        read = sizes[read_at] if read_at >= 0 else 0
        creation = _creation(sizes, read, written)
        cached = sizes[written[-1][0]] if written else read
        total = estimate_input_tokens(body)  # the same figure the server reports without caching
        return CacheUsage(total - cached, read, creation["5m"], creation["1h"])

    def _read(self, hashes: list[str], marks: list[tuple[int, Ttl]], now: float) -> int:
        """The last block of the longest prefix found within reach of a breakpoint (-1: none).

        Called with the lock held. A hit keeps the entry alive for its TTL from now.
        """
        found = [i for i in _looked_at(marks) if self._alive(hashes[i], now)]
        if not found:
            return -1
        entry = self.entries[hashes[max(found)]]
        entry.expires = now + TTL_SECONDS[entry.ttl]
        return max(found)

    def _alive(self, key: str, now: float) -> bool:
        """Whether an unexpired entry exists for ``key``; an expired one is dropped."""
        entry = self.entries.get(key)
        if entry is not None and entry.expires <= now:
            del self.entries[key]
            return False
        return entry is not None
