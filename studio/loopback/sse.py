"""Server-sent-event encoding for the loopback Messages API, and the rough token estimates.

Only encoding ships: decoding captured streams (to replay them) is for the tests alone, in
``tests/fakeapi.py``.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

_ids = itertools.count(1)

_WORD_START = re.compile(r"(?<=\s)(?=\S)")


def next_id(prefix: str) -> str:
    """A process-unique id such as ``msg_loopback_7``, so ids never collide across servers."""
    return f"{prefix}_loopback_{next(_ids)}"


def dumps(data: Any) -> str:
    """Compact JSON with raw UTF-8, as the API writes it."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def encode_event(name: str, data: dict[str, Any]) -> bytes:
    """One SSE event; both lines are needed, since the SDK drops events without ``event:``."""
    return f"event: {name}\ndata: {dumps(data)}\n\n".encode()


# Input tokens after the last block: the request's own framing, never cached (the API reports a few).
REQUEST_TAIL = 3


def _listed(value: Any) -> list[Any]:
    """A field that may be a list of blocks, or a string standing for one text block."""
    if isinstance(value, str):
        return [value]
    return value if isinstance(value, list) else []


def prefix_blocks(body: dict[str, Any]) -> list[tuple[str, Any]]:
    """The blocks a request's input is made of, in cache order (tools, system, then messages),
    each with its message's role ("" outside the messages)."""
    blocks: list[tuple[str, Any]] = [("", tool) for tool in _listed(body.get("tools"))]
    blocks += [("", part) for part in _listed(body.get("system"))]
    for message in _listed(body.get("messages")):
        if isinstance(message, dict):
            role = str(message.get("role", ""))
            blocks += [(role, part) for part in _listed(message.get("content"))]
    return blocks


def block_json(block: Any) -> str:
    """A block as the cache compares and measures it: compact JSON without its ``cache_control``."""
    plain = {k: v for k, v in block.items() if k != "cache_control"} if isinstance(block, dict) else block
    return dumps(plain)


def estimate_input_tokens(body: Any) -> int:
    """About one token per four characters of each block's JSON, plus the request's framing. The
    blocks' sizes are the prompt cache's too, so cached and uncached parts add up to this."""
    if not isinstance(body, dict):
        return 1
    return sum(len(block_json(block)) for _, block in prefix_blocks(body)) // 4 + REQUEST_TAIL


def estimate_output_tokens(text: str) -> int:
    """About one token per four characters of generated text; at least 1."""
    return max(1, len(text) // 4)


def last_user_text(body: Any) -> str:
    """The text of the last user message, whether its content is a string or a list of blocks."""
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return _content_text(message.get("content"))
    return ""


def _content_text(content: Any) -> str:
    """Join the text found in a content value: text blocks and tool_result contents."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts: list[str] = []
    for block in content:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text":
            texts.append(str(block.get("text", "")))
        elif block.get("type") == "tool_result":
            texts.append(_content_text(block.get("content")))
    return " ".join(text for text in texts if text)


def char_chunks(text: str, size: int) -> list[str]:
    """Fixed-size pieces of ``text`` (at least one character each)."""
    size = max(1, size)
    return [text[i : i + size] for i in range(0, len(text), size)]


def word_chunks(text: str, words: int = 3) -> list[str]:
    """Pieces of a few words each, whitespace kept, so they join back to ``text``."""
    pieces = [piece for piece in _WORD_START.split(text) if piece]
    return ["".join(pieces[i : i + words]) for i in range(0, len(pieces), max(1, words))]
