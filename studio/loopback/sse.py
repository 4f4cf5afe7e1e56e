"""Server-sent-event encoding and decoding for the loopback Messages API.

Generated replies and captured fixtures both go through here, so a streaming and a
non-streaming request for the same script describe the same message.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from typing import Any

_ids = itertools.count(1)

# Split points just after an event's terminating blank line, in any of the three line-end styles.
_EVENT_END = re.compile(rb"(?<=\n\n)|(?<=\r\n\r\n)|(?<=\r\r)")
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


def split_events(raw: bytes) -> list[bytes]:
    """Cut a captured stream after each blank line; the pieces concatenate to ``raw`` exactly."""
    return [piece for piece in _EVENT_END.split(raw) if piece]


def parse_events(raw: bytes) -> list[tuple[str | None, str]]:
    """Decode ``(event, data)`` pairs, flushing a last event that lacks its blank line."""
    events: list[tuple[str | None, str]] = []
    name: str | None = None
    data: list[str] = []
    for line in [*raw.decode("utf-8").splitlines(), ""]:
        if not line:
            if name is not None or data:
                events.append((name, "\n".join(data)))
            name, data = None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    return events


def accumulate_message(raw: bytes) -> dict[str, Any]:
    """Rebuild the final Message JSON from a captured stream, for non-streaming requests.

    Deltas are applied in order; usage starts from ``message_start`` and each field in
    ``message_delta`` replaces it, because the API reports cumulative figures there.
    """
    message: dict[str, Any] = {}
    partial_json: dict[int, str] = {}
    for name, data in parse_events(raw):
        if not data or name in ("ping", "error", None):
            continue
        event = json.loads(data)
        kind = event.get("type")
        if kind == "message_start":
            message = copy.deepcopy(event["message"])
            message.setdefault("content", [])
        elif kind == "content_block_start":
            message["content"].append(copy.deepcopy(event["content_block"]))
        elif kind == "content_block_delta":
            _apply_delta(message["content"][event["index"]], event["delta"], event["index"],
                         partial_json)
        elif kind == "message_delta":
            message.update({k: v for k, v in event.get("delta", {}).items()})
            usage = message.setdefault("usage", {})
            usage.update({k: v for k, v in event.get("usage", {}).items() if v is not None})
    for index, text in partial_json.items():
        message["content"][index]["input"] = _parse_json_object(text)
    return message


def _apply_delta(block: dict[str, Any], delta: dict[str, Any], index: int,
                 partial_json: dict[int, str]) -> None:
    """Fold one content_block_delta into its block."""
    kind = delta.get("type")
    if kind == "text_delta":
        block["text"] = block.get("text", "") + delta.get("text", "")
    elif kind == "input_json_delta":
        partial_json[index] = partial_json.get(index, "") + delta.get("partial_json", "")
    elif kind == "thinking_delta":
        block["thinking"] = block.get("thinking", "") + delta.get("thinking", "")
    elif kind == "signature_delta":
        block["signature"] = delta.get("signature", "")
    elif kind == "citations_delta":
        block.setdefault("citations", []).append(delta.get("citation"))


def _parse_json_object(text: str) -> dict[str, Any]:
    """Tool input as a dict; an empty or broken input (a cut-off stream) becomes ``{}``."""
    try:
        value = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def estimate_input_tokens(body: Any) -> int:
    """About one token per four characters of system, messages and tools, as JSON; at least 1."""
    if not isinstance(body, dict):
        return 1
    parts = {key: body[key] for key in ("system", "messages", "tools") if key in body}
    return max(1, len(dumps(parts)) // 4)


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
