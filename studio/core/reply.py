"""Builds one reply from the raw stream events, keeping what the SDK's own accumulator would throw away.

We accumulate ourselves (instead of `messages.stream()`) because the SDK raises in the middle of the
stream when a tool's input is not valid JSON; here a broken tool call becomes an error tool_result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from jiter import from_json

from studio.core.events import ApiStopReason, Event, TextDelta, ToolInputDelta
from studio.core.growing import GrowingText
from studio.core.usage import TokenUsage


@dataclass
class ToolUse:
    id: str
    name: str
    json: GrowingText = field(default_factory=GrowingText)  # the input's JSON as streamed so far
    parsed_length: int = 0  # json.length at the last partial parse
    finished: bool = False
    input: dict[str, Any] | None = None
    error: str | None = None

    @property
    def json_text(self) -> str:
        """The input's JSON as streamed so far."""
        return self.json.text

    def finish(self) -> None:
        """Parse the whole input once the block ends; broken JSON is recorded, never executed."""
        self.finished = True
        try:
            value = json.loads(self.json_text) if self.json_text.strip() else {}
        except json.JSONDecodeError as exc:
            self.error = f"its input was not valid JSON ({exc.msg} at character {exc.pos})"
            return
        if not isinstance(value, dict):
            self.error = "its input was not a JSON object"
            return
        self.input = value


@dataclass
class ReplyBuilder:
    """Feed raw events in order; read the reply's blocks, usage and stop reason at the end."""

    blocks: list[GrowingText | ToolUse | dict[str, Any]] = field(default_factory=list)  # dict: ignored
    usage: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    stop_reason: ApiStopReason | None = None
    stop_details: dict[str, Any] | None = None

    def feed(self, event: Any) -> list[Event]:
        kind = event.type
        if kind == "message_start":
            self.model = event.message.model
            self._merge_usage(event.message.usage)
        elif kind == "content_block_start":
            block = event.content_block
            if block.type == "tool_use":
                self.blocks.append(ToolUse(block.id, block.name))
            elif block.type == "text":
                self.blocks.append(GrowingText(block.text or ""))
            else:
                self.blocks.append({"type": block.type, "ignored": True})
        elif kind == "content_block_delta":
            return self._delta(event.index, event.delta)
        elif kind == "content_block_stop":
            block = self._block(event.index)
            if isinstance(block, ToolUse):
                block.finish()
        elif kind == "message_delta":
            self.stop_reason = event.delta.stop_reason
            details = getattr(event.delta, "stop_details", None)
            self.stop_details = _as_dict(details)
            self._merge_usage(event.usage)
        return []

    def _block(self, index: int) -> GrowingText | ToolUse | dict[str, Any] | None:
        return self.blocks[index] if 0 <= index < len(self.blocks) else None

    def _delta(self, index: int, delta: Any) -> list[Event]:
        block = self._block(index)
        if delta.type == "text_delta" and isinstance(block, GrowingText):
            block.append(delta.text)
            return [TextDelta(delta.text)] if delta.text else []
        if delta.type == "input_json_delta" and isinstance(block, ToolUse):
            block.json.append(delta.partial_json)
            # Re-parsing the whole input on every fragment is quadratic (0.6 s for a 200 KB
            # draft): parse again only once it has grown by a twentieth since the last parse.
            if block.json.length - block.parsed_length <= block.parsed_length // 20:
                return []
            block.parsed_length = block.json.length
            try:
                partial = from_json(block.json_text.encode(), partial_mode="trailing-strings")
            except ValueError:
                return []
            if isinstance(partial, dict):
                return [ToolInputDelta(block.id, block.name, partial)]
        return []

    def _merge_usage(self, usage: Any) -> None:
        """Usage in message_delta is cumulative: its figures replace those of message_start."""
        for key, value in (_as_dict(usage) or {}).items():
            if value is not None:
                self.usage[key] = value

    @property
    def token_usage(self) -> TokenUsage:
        return TokenUsage.from_api(self.usage)

    @property
    def tool_uses(self) -> list[ToolUse]:
        return [b for b in self.blocks if isinstance(b, ToolUse)]

    @property
    def text(self) -> str:
        return "".join(b.text for b in self.blocks if isinstance(b, GrowingText))

    def text_blocks(self) -> list[dict[str, Any]]:
        """Non-empty text so far: what a stopped reply leaves in the history."""
        return [
            {"type": "text", "text": b.text} for b in self.blocks if isinstance(b, GrowingText) and b.text
        ]

    def content_blocks(self) -> list[dict[str, Any]]:
        """The assistant message to keep: text and tool calls (broken inputs sent back as {})."""
        content: list[dict[str, Any]] = []
        for block in self.blocks:
            if isinstance(block, ToolUse):
                content.append(
                    {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input or {}}
                )
            elif isinstance(block, GrowingText) and block.text:
                content.append({"type": "text", "text": block.text})
        return content


def _as_dict(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return value
    return value.model_dump()
