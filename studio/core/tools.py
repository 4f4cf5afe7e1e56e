"""Tools Claude may call. Each has a JSON schema and a function from its input to a ToolOutcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from studio.core.drafts import count_words
from studio.core.workspace import Workspace


class ToolError(Exception):
    """A tool refused its input; the message goes back to Claude as an error tool_result."""


@dataclass(frozen=True)
class DraftChange:
    """What a tool did to the draft, for the UI to show: a saved file, or one replaced passage."""

    kind: Literal["saved", "edited"]
    name: str | None
    text: str
    old: str = ""
    new: str = ""
    start: int = 0
    before_name: str | None = None
    before_text: str = ""
    before_dirty: bool = False
    replaced_key: str | None = None  # save_draft wrote over another draft, kept under this key
    replaced_words: int = 0


@dataclass(frozen=True)
class ToolOutcome:
    text: str
    is_error: bool = False
    change: DraftChange | None = None


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    schema: dict[str, Any]
    run: Callable[[dict[str, Any], Workspace | None], ToolOutcome]
    needs_workspace: bool = False
    stream_input: bool = False

    def definition(self) -> dict[str, Any]:
        definition: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "input_schema": self.schema,
        }
        if self.stream_input:
            # Fine-grained streaming: long text arrives as it is written, not in one late burst.
            definition["eager_input_streaming"] = True
        return definition


def string_arg(args: dict[str, Any], key: str, *, optional: bool = False) -> str | None:
    """The string argument `key`, or a ToolError Claude can read."""
    value = args.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ToolError(f"`{key}` must be a string")
    return value


def _format_as_list(args: dict[str, Any], _: Workspace | None) -> ToolOutcome:
    items = args.get("items")
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ToolError("`items` must be a list of strings")
    return ToolOutcome("\n".join(f"{n}. {item.strip()}" for n, item in enumerate(items, start=1)))


def _word_count(args: dict[str, Any], workspace: Workspace | None) -> ToolOutcome:
    text = string_arg(args, "text", optional=True)
    if text is None:
        if workspace is None:
            raise ToolError("`text` is required")
        text = workspace.draft.text
    return ToolOutcome(f"{count_words(text)} words, {len(text)} characters")


TEXT_TOOLS: tuple[Tool, ...] = (
    Tool(
        "format_as_list",
        "Turn a list of strings into a numbered Markdown list.",
        {
            "type": "object",
            "properties": {"items": {"type": "array", "items": {"type": "string"}}},
            "required": ["items"],
        },
        _format_as_list,
    ),
    Tool(
        "get_word_count",
        "Count the words and characters in a text; without `text`, in the writer's current draft.",
        {"type": "object", "properties": {"text": {"type": "string"}}},
        _word_count,
    ),
)


class ToolBox:
    """The tools offered in a request, in a stable order (a stable prefix is what caching needs)."""

    def __init__(self, tools: tuple[Tool, ...] = TEXT_TOOLS, workspace: Workspace | None = None):
        self.workspace = workspace
        self._tools = {t.name: t for t in tools if workspace is not None or not t.needs_workspace}

    def definitions(self) -> list[dict[str, Any]]:
        return [tool.definition() for tool in self._tools.values()]

    def call(self, name: str, args: dict[str, Any]) -> ToolOutcome:
        """Run a tool. Never raises: every tool_use needs an answer, refusals included."""
        tool = self._tools.get(name)
        if tool is None:
            known = ", ".join(self._tools) or "none"
            return ToolOutcome(f"Unknown tool {name!r}. Available tools: {known}.", is_error=True)
        try:
            return tool.run(args, self.workspace)
        except ToolError as exc:
            return ToolOutcome(f"{name} refused: {exc}", is_error=True)
