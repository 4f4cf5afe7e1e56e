"""Tools Claude may call. Each has a JSON schema and a function from its input to a result text."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class ToolError(Exception):
    """A tool refused its input; the message goes back to Claude as an error tool_result."""


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    schema: dict[str, Any]
    run: Callable[[dict[str, Any]], str]

    def definition(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "input_schema": self.schema}


def _format_as_list(args: dict[str, Any]) -> str:
    items = args.get("items")
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ToolError("`items` must be a list of strings")
    return "\n".join(f"{n}. {item.strip()}" for n, item in enumerate(items, start=1))


def _word_count(args: dict[str, Any]) -> str:
    text = args.get("text")
    if not isinstance(text, str):
        raise ToolError("`text` must be a string")
    words = len(re.findall(r"\S+", text))
    return f"{words} words, {len(text)} characters"


BUILTIN_TOOLS: tuple[Tool, ...] = (
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
        "Count the words and characters in a text.",
        {
            "type": "object",
            "properties": {"text": {"type": "string"}},
            "required": ["text"],
        },
        _word_count,
    ),
)


class ToolBox:
    """The tools offered in a request, in a stable order (a stable prefix is what caching needs)."""

    def __init__(self, tools: tuple[Tool, ...] = BUILTIN_TOOLS):
        self._tools = {tool.name: tool for tool in tools}

    def definitions(self) -> list[dict[str, Any]]:
        return [tool.definition() for tool in self._tools.values()]

    def call(self, name: str, args: dict[str, Any]) -> tuple[str, bool]:
        """Run a tool: (result text, is_error). Never raises: every tool_use needs an answer."""
        tool = self._tools.get(name)
        if tool is None:
            known = ", ".join(self._tools) or "none"
            return f"Unknown tool {name!r}. Available tools: {known}.", True
        try:
            return tool.run(args), False
        except ToolError as exc:
            return f"{name} refused: {exc}", True
