"""A stand-in for the API's prompt cache, so the demo and tests see writes, then reads.

Like the real one: the cacheable prefix runs tools, then system, then messages; a request may
mark breakpoints (`cache_control` on blocks, or one top-level `cache_control` for the last block);
a prefix is read from the cache if a previous request to the same model wrote exactly the same
prefix (any earlier block boundary counts, as the API looks back for hits) within its TTL;
prefixes under 1,024 tokens are never cached. Tokens are estimated at four characters each. An
approximation, stated as one.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from .sse import estimate_input_tokens

MIN_CACHEABLE_TOKENS = 1024
# The API's two cache lifetimes. Spelled out here, not imported: the demo server uses nothing of studio.
Ttl = Literal["5m", "1h"]
TTL_SECONDS: dict[Ttl, float] = {"5m": 300.0, "1h": 3600.0}


@dataclass(frozen=True)
class CacheUsage:
    input_tokens: int
    cache_read: int
    cache_creation: int
    ttl: Ttl = "5m"


def _blocks(body: dict[str, Any]) -> list[tuple[dict[str, Any], bool]]:
    """Every block of the prefix in cache order, with whether it carries a breakpoint."""
    blocks: list[tuple[dict[str, Any], bool]] = []
    for tool in body.get("tools") or []:
        blocks.append((tool, "cache_control" in tool))
    system = body.get("system")
    if isinstance(system, str):
        system = [{"type": "text", "text": system}]
    for block in system or []:
        blocks.append((block, "cache_control" in block))
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        for block in content or []:
            blocks.append(({"role": message.get("role"), **block}, "cache_control" in block))
    if body.get("cache_control") and blocks:
        blocks[-1] = (blocks[-1][0], True)
    return blocks


def _ttl(body: dict[str, Any]) -> Ttl:
    marks = [body.get("cache_control") or {}]
    marks += [b.get("cache_control") or {} for b in body.get("system") or [] if isinstance(b, dict)]
    return "1h" if any(m.get("ttl") == "1h" for m in marks) else "5m"


@dataclass
class PromptCache:
    """Thread-safe: the server answers requests on several threads."""

    entries: dict[str, float] = field(default_factory=dict)  # prefix hash -> expiry time
    lock: threading.Lock = field(default_factory=threading.Lock)

    def account(self, body: dict[str, Any], now: float | None = None) -> CacheUsage:
        now = time.monotonic() if now is None else now
        blocks = _blocks(body)
        hashes, sizes = [], []
        # Each model has a cache of its own: the same prefix sent to another model is a miss.
        digest, chars = hashlib.sha256(str(body.get("model", "")).encode()), 0
        for block, _ in blocks:
            plain = {k: v for k, v in block.items() if k != "cache_control"}
            text = json.dumps(plain, sort_keys=True, ensure_ascii=False)
            digest.update(text.encode())
            chars += len(text)
            hashes.append(digest.hexdigest())
            sizes.append(chars // 4)
        total = estimate_input_tokens(body)  # the same figure the server reports without caching
        breakpoints = [i for i, (_, marked) in enumerate(blocks) if marked]
        ttl = _ttl(body)
        with self.lock:
            read_at = max((i for i, h in enumerate(hashes) if self.entries.get(h, 0) > now), default=-1)
            read = sizes[read_at] if read_at >= 0 else 0
            if read_at >= 0:
                self.entries[hashes[read_at]] = now + TTL_SECONDS[ttl]  # a hit refreshes it
            written_to = max((i for i in breakpoints if i > read_at), default=-1)
            created = 0
            if written_to >= 0 and sizes[written_to] >= MIN_CACHEABLE_TOKENS:
                created = sizes[written_to] - read
                for i in breakpoints:
                    if sizes[i] >= MIN_CACHEABLE_TOKENS:
                        self.entries.setdefault(hashes[i], 0)
                        self.entries[hashes[i]] = max(self.entries[hashes[i]], now + TTL_SECONDS[ttl])
        if read < MIN_CACHEABLE_TOKENS:
            read = 0
        read, created = min(read, total), min(created, max(0, total - read))
        return CacheUsage(max(1, total - read - created), read, created, ttl)
