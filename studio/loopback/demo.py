"""Canned content of the offline demo: the replies (text, or draft tool calls) and the model catalogue."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .paging import cursor_page
from .sse import last_user_text

QUOTE_LENGTH = 60

# Served by GET /v1/models; the last one is in no price list, to exercise unknown models.
MODELS: list[dict[str, Any]] = [
    {
        "id": "claude-opus-4-7",
        "display_name": "Claude Opus 4.7",
        "line": "opus",
        "created_at": "2025-11-24T00:00:00Z",
        "max_input_tokens": 1_000_000,
        "max_tokens": 128_000,
    },
    {
        "id": "claude-sonnet-4-6",
        "display_name": "Claude Sonnet 4.6",
        "line": "sonnet",
        "created_at": "2025-09-29T00:00:00Z",
        "max_input_tokens": 1_000_000,
        "max_tokens": 64_000,
    },
    {
        "id": "claude-haiku-4-5-20251001",
        "display_name": "Claude Haiku 4.5",
        "line": "haiku",
        "created_at": "2025-10-01T00:00:00Z",
        "max_input_tokens": 200_000,
        "max_tokens": 64_000,
    },
    {
        "id": "claude-fable-5-1",
        "display_name": "Claude Fable 5.1",
        "line": "fable",
        "created_at": "2025-12-01T00:00:00Z",
        "max_input_tokens": 200_000,
        "max_tokens": 32_000,
    },
]


def model_entry(model: dict[str, Any]) -> dict[str, Any]:
    """One ModelInfo object as the API writes it."""
    return {
        "type": "model",
        **model,
        "lifecycle": "active",
        "deprecated_at": None,
        "retires_at": None,
        "capabilities": None,
    }


def find_model(model_id: str) -> dict[str, Any] | None:
    """The catalogue entry with this id, if any."""
    return next((model_entry(m) for m in MODELS if m["id"] == model_id), None)


def models_page(limit: int, after_id: str | None, before_id: str | None) -> dict[str, Any]:
    """One page of the catalogue, cursor-paginated like the API (newest first order kept)."""
    return cursor_page([model_entry(m) for m in MODELS], limit, after_id, before_id)


def demo_text(body: Any) -> str:
    """A few Markdown paragraphs that quote the last user message."""
    said = " ".join(last_user_text(body).split())
    quote = said[:QUOTE_LENGTH] + ("…" if len(said) > QUOTE_LENGTH else "")
    opening = f"You wrote: *“{quote}”*" if quote else "Your message arrived empty."
    return (
        "## Hello from the demo\n\n"
        f"{opening}\n\n"
        "This reply comes from the studio's **offline demo server**, a small stand-in for the "
        "Claude API that runs on this machine. Nothing left your computer.\n\n"
        "Here you can:\n\n"
        "- write and edit as usual,\n"
        "- watch replies stream in a few words at a time,\n"
        "- ask it to *write and save* a draft, then to *tighten* it,\n"
        "- see how token usage and prompt caching are reported.\n\n"
        "To talk to Claude, start the studio with your `ANTHROPIC_API_KEY`, without `--demo` "
        "and without `ANTHROPIC_BASE_URL` pointing here."
    )


# -- the draft tools: the demo writes, saves and tightens a draft when the app offers the tools ----

SAVE_WORDS = re.compile(r"\b(?:save|draft|write|announcement)", re.IGNORECASE)
EDIT_WORDS = re.compile(r"\b(?:tighten|edit)", re.IGNORECASE)
FILE_NAME = re.compile(r"\b[\w-]+\.(?:md|markdown|txt)\b")
DIFF_HUNK = re.compile(r"^@@ [^\n]* @@\n?", re.MULTILINE)
FILLER = {"please", "can", "could", "you", "write", "draft", "me", "a", "an", "the", "us", "some"}
STOP = {"and", "then", "save", "as", "in", "into", "to"}
TOPIC_WORDS = 10  # up to the first "and", "save", "as" ...: the phrase the writer named
QUOTE_WORDS = 6

DRAFT_TEMPLATE = """\
# {title}

_Written by the studio's offline demo from: “{quote}”._

This draft is about “{topic}”: the short version first, then the details.

## What is new

- It does the one thing people asked for most, and it does it well.
- It fits in with the tools you already use every day.
- It is ready today, with nothing to install or set up.

## Why it matters

Most people told us the hardest part was starting, so we took that first step away for you.
The first hour now goes into the work itself, not into the setup around it.

## How to try it

1. Open the studio and start a new draft.
2. Ask for a first version, then change it line by line.
3. Save it when it reads right: the file lands in the drafts folder.

## What comes next

We will keep listening and keep the changes small and steady.
Tell us what works, what does not, and what you would change first.

— The team
"""


@dataclass(frozen=True)
class DemoPlan:
    """What the demo answers: some text, then maybe one tool call (name, input)."""

    text: str
    tool: tuple[str, dict[str, Any]] | None = None


def demo_plan(body: Any) -> DemoPlan:
    """Save a draft, tighten a line, confirm a tool's result, or else the friendly text answer."""
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list) or not messages:
        return DemoPlan(demo_text(body))
    last = messages[-1]
    if not isinstance(last, dict) or last.get("role") != "user" or "save_draft" not in _offered(body):
        return DemoPlan(demo_text(body))
    if _tool_results(last):
        result = _draft_tool_result(messages)
        return DemoPlan(_confirmation(*result) if result else demo_text(body))
    said = last_user_text(body)
    draft = current_draft(messages)
    line = _line_to_tighten(draft) if EDIT_WORDS.search(said) else None
    if line is not None and "edit_draft" in _offered(body):
        return DemoPlan(
            "Here is a tighter version of one line…",
            ("edit_draft", {"old_text": line, "new_text": _shorter(line)}),
        )
    if SAVE_WORDS.search(said):
        filename = _filename(said)
        return DemoPlan(
            f"Here is a draft… I am writing it into drafts/{filename}.",
            ("save_draft", {"filename": filename, "content": demo_draft(said)}),
        )
    return DemoPlan(demo_text(body))


def demo_draft(said: str) -> str:
    """A ~25-line Markdown draft whose title and topic come from the first words of `said`."""
    words = [word for word in (w.strip(".,;:!?\"'“”") for w in said.split()) if word]
    while words and words[0].lower() in FILLER:
        words.pop(0)
    topic_words: list[str] = []
    for word in words[:TOPIC_WORDS]:
        if word.lower() in STOP or FILE_NAME.fullmatch(word):
            break
        topic_words.append(word)
    topic = " ".join(topic_words) or "something new"
    quote = " ".join(said.split()[:QUOTE_WORDS]) + ("…" if len(said.split()) > QUOTE_WORDS else "")
    return DRAFT_TEMPLATE.format(title=topic[0].upper() + topic[1:], topic=topic, quote=quote)


def _offered(body: dict[str, Any]) -> set[str]:
    """The names of the tools the request offers."""
    return {str(tool.get("name")) for tool in body.get("tools") or [] if isinstance(tool, dict)}


def _filename(said: str) -> str:
    """The file name the user gave, else launch.md for a launch, else demo-draft.md."""
    named = FILE_NAME.search(said)
    if named:
        return named.group(0)
    return "launch.md" if "launch" in said.lower() else "demo-draft.md"


def _tool_results(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    return (
        [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]
        if isinstance(content, list)
        else []
    )


def _draft_tool_result(messages: list[Any]) -> tuple[str, str, bool] | None:
    """(tool name, result text, is_error) when the last message answers a draft tool call."""
    names: dict[str, str] = {}
    previous = messages[-2] if len(messages) > 1 and isinstance(messages[-2], dict) else {}
    for block in previous.get("content") or []:
        if isinstance(block, dict) and block.get("type") == "tool_use":
            names[str(block.get("id"))] = str(block.get("name"))
    for result in _tool_results(messages[-1]):
        name = names.get(str(result.get("tool_use_id")), "")
        if name in ("save_draft", "edit_draft"):
            text = last_user_text({"messages": [{"role": "user", "content": [result]}]})
            return name, text, bool(result.get("is_error"))
    return None


def _confirmation(name: str, result: str, is_error: bool) -> str:
    if is_error:
        return f"That did not work: {result}"
    if name == "save_draft":
        return (
            "Saved — the draft is open in the editor. Ask me to tighten a paragraph, or edit "
            "it yourself and press Ctrl+S."
        )
    return (
        "Done — one line is shorter now. The change is selected in the editor; Ctrl+Z "
        "undoes it, Ctrl+S saves it."
    )


def current_draft(messages: list[Any]) -> str:
    """The draft as the app last showed it: its latest full text, then the changes and the demo's
    own tool calls after it, applied the simple way. Written apart from the app's own reader, so
    the demo does not agree with it by construction."""
    text, calls = "", {}
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        for block in content if isinstance(content, list) else []:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_use":
                calls[block.get("id")] = block
            elif block.get("type") == "tool_result" and not block.get("is_error"):
                text = _after_call(text, calls.get(block.get("tool_use_id")) or {})
            elif block.get("type") == "document" and str(block.get("context", "")).startswith("studio draft"):
                data, context = str((block.get("source") or {}).get("data", "")), str(block["context"])
                if ", changes:" in context:
                    text = _patched(text, data)
                else:
                    text = "" if ", empty:" in context else data
    return text


def _after_call(text: str, call: dict[str, Any]) -> str:
    args = call.get("input")
    if not isinstance(args, dict):
        return text
    if call.get("name") == "save_draft":
        return str(args.get("content", text))
    if call.get("name") == "edit_draft":
        return text.replace(str(args.get("old_text")), str(args.get("new_text")), 1)
    return text


def _patched(text: str, diff: str) -> str:
    """Each hunk's old lines (kept and removed) replaced by its new lines (kept and added)."""
    for hunk in DIFF_HUNK.split(diff)[1:]:
        lines = hunk.split("\n")
        old = "\n".join(line[1:] for line in lines if line[:1] in (" ", "-"))
        new = "\n".join(line[1:] for line in lines if line[:1] in (" ", "+"))
        text = text.replace(old, new, 1)
    return text


def _line_to_tighten(draft: str) -> str | None:
    """The longest line of four words or more that occurs exactly once in the draft (None if none)."""
    lines = [line for line in draft.splitlines() if len(line.split()) >= 4 and draft.count(line) == 1]
    return max(lines, key=len, default=None)


def _shorter(line: str) -> str:
    """The first half of the line's words, ending with a full stop."""
    words, indent = line.split(), line[: len(line) - len(line.lstrip())]
    return indent + " ".join(words[: (len(words) + 1) // 2]).rstrip(",;:—-.") + "."
