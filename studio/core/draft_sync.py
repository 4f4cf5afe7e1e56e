"""How Claude sees the writer's draft: versions kept in the conversation, so the cache survives edits.

A draft in the system prompt would make every change (a typed word, Claude's own edit) a cache
miss for the whole conversation after it. Instead each version Claude needs is added, once, to the
newest user message as a document block: the full text, or only what changed since the version
before (a unified diff of lines), with the full text again once the changes sent pile up. Earlier
messages never change, so the conversation before them stays a cache hit.

What Claude has seen is never remembered beside the conversation: it is rebuilt from the messages
(documents, and Claude's own successful save_draft and edit_draft calls), the same way a test
rebuilds it from a request. A refused exchange that is rolled back, or a reopened conversation,
therefore needs no bookkeeping, and anything that does not rebuild exactly is sent again in full.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal

Block = dict[str, Any]
Message = dict[str, Any]
Kind = Literal["full text", "changes", "empty"]

# Changes go as a diff until those sent since the last full text reach this share of the draft's
# length; then the full text goes again (0: every change sends the full text).
REFRESH_AT = 0.5
CONTEXT_LINES = 1  # unchanged lines shown around each change, so it can be found
EMPTY_DATA = "(empty)"  # a document's text may not be empty

GUIDE = (
    "The writer's draft sits in an editor beside this conversation. Its text reaches you as "
    'documents whose context starts "studio draft, version N", placed in the writer\'s messages '
    "(and after tool results) whenever it has changed: either its full text, or the changes since "
    "the version before as a unified diff of lines (a line starting with a space is unchanged, "
    "'-' removed, '+' added). The highest version is the draft as it stands now; earlier ones "
    "are history. Your own save_draft and edit_draft calls change it too, and are not sent back "
    "to you. Use edit_draft to change a passage, quoting the current text exactly; save_draft to "
    "write the whole text. If no draft has been shown, the editor is empty."
)

_CONTEXT = re.compile(r"studio draft, version (\d+), (full text|changes|empty):")
_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")


class DiffError(ValueError):
    """A diff that does not apply to the text it claims to change."""


@dataclass(frozen=True)
class Seen:
    """The draft as the conversation shows it to Claude: name and text (None when unknown or
    never shown), the last version number, and the characters of changes since the last full text."""

    name: str | None = None
    text: str | None = None
    version: int = 0
    since_full: int = 0


def is_draft_block(block: Block) -> bool:
    return _kind(block) is not None


def _kind(block: Block) -> str | None:
    """A draft document's kind ("full text", "changes", "empty"); None for any other block."""
    context = block.get("context")
    found = _CONTEXT.match(context) if block.get("type") == "document" and isinstance(context, str) else None
    return found.group(2) if found else None


def document(kind: Kind, name: str, data: str, version: int) -> Block:
    explain = {
        "full text": f"the writer's draft {name} as it stands now",
        "changes": f"what changed in {name} since version {version - 1}; apply it to that version",
        "empty": f"{name} is now empty",
    }[kind]
    return {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": data},
        "title": name,
        "context": f"studio draft, version {version}, {kind}: {explain}.",
    }


def seen(messages: list[Message]) -> Seen:
    """Rebuild the draft Claude was last shown, from documents and successful draft tool calls."""
    state = Seen()
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    for message in messages[_last_whole(messages) :]:
        for block in message.get("content") or []:
            kind = block.get("type")
            if kind == "tool_use" and isinstance(block.get("input"), dict):
                calls[block["id"]] = (block["name"], block["input"])
            elif kind == "tool_result" and not block.get("is_error"):
                call = calls.pop(block.get("tool_use_id"), None)
                if call is not None:
                    state = _after_tool(state, *call)
            elif is_draft_block(block):
                state = _after_document(state, block)
    return state


def _last_whole(messages: list[Message]) -> int:
    """The last message with a whole version (full text, or empty): nothing before it counts, so
    the diffs of a long conversation are not applied again on every request and every estimate."""
    for at in range(len(messages) - 1, -1, -1):
        for block in messages[at].get("content") or []:
            if _kind(block) in ("full text", "empty"):
                return at
    return 0


def _after_tool(state: Seen, name: str, args: dict[str, Any]) -> Seen:
    if name == "save_draft" and isinstance(args.get("content"), str):
        return Seen(str(args.get("filename")), args["content"], state.version)
    if name == "edit_draft" and state.text is not None:
        old, new = args.get("old_text"), args.get("new_text")
        if not (isinstance(old, str) and isinstance(new, str) and old and state.text.count(old) == 1):
            return Seen(state.name, None, state.version)  # it worked, but not on what we know
        return Seen(state.name, state.text.replace(old, new, 1), state.version, state.since_full)
    return state


def _after_document(state: Seen, block: Block) -> Seen:
    found = _CONTEXT.match(block["context"])
    assert found is not None  # is_draft_block
    version, kind = int(found.group(1)), found.group(2)
    name, data = str(block.get("title")), str((block.get("source") or {}).get("data", ""))
    if kind == "full text":
        return Seen(name, data, version)
    if kind == "empty":
        return Seen(name, "", version)
    if state.text is None or name != state.name:
        return Seen(name, None, version)
    try:
        return Seen(name, apply_diff(state.text, data), version, state.since_full + len(data))
    except DiffError:
        return Seen(name, None, version)


def update(messages: list[Message], name: str, text: str, refresh: float = REFRESH_AT) -> Block | None:
    """The document that brings Claude's view of the draft up to `text`, or None if it is current.

    Whitespace alone counts as empty (a document needs some text). A draft never shown that is
    still empty needs nothing: the guide says so."""
    text = text if text.strip() else ""
    state = seen(messages)
    if state.text == text and (state.name == name or not text):
        return None
    version = state.version + 1
    if not text:
        never_shown = state.text is None and state.name is None
        return None if never_shown else document("empty", name, EMPTY_DATA, version)
    if state.text and state.name == name:
        changes = diff_lines(state.text, text)
        if len(changes) < len(text) and state.since_full + len(changes) <= refresh * len(text):
            return document("changes", name, changes, version)
    return document("full text", name, text, version)


def attach(message: Message, block: Block) -> None:
    """Put `block` after the message's tool results and earlier documents, before the writer's text."""
    content = message["content"]
    at = max((i + 1 for i, b in enumerate(content) if b.get("type") != "text"), default=0)
    content.insert(at, block)


def diff_lines(old: str, new: str) -> str:
    """A unified diff of the lines of `old` and `new` (split on newlines only, so any other
    character, a carriage return included, stays inside its line and survives the round trip)."""
    a, b = old.split("\n"), new.split("\n")
    out: list[str] = []
    for group in SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(CONTEXT_LINES):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(f"@@ -{_span(i1, i2)} +{_span(j1, j2)} @@")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                out += [" " + line for line in a[a1:a2]]
                continue
            out += ["-" + line for line in a[a1:a2]]
            out += ["+" + line for line in b[b1:b2]]
    return "\n".join(out)


def _span(start: int, stop: int) -> str:
    """A hunk's range as `diff -u` writes it: 1-based, and the line before when it is empty."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + (1 if length else 0)},{length}"


def apply_diff(old: str, changes: str) -> str:
    """`old` with `changes` (from `diff_lines`) applied; DiffError if they do not fit it."""
    a, out, at = old.split("\n"), [], -1
    for line in changes.split("\n"):
        hunk = _HUNK.fullmatch(line)
        if hunk:
            at = max(at, 0)
            start, length = int(hunk.group(1)), int(hunk.group(2) or 1)
            begin = start if length == 0 else start - 1
            if begin < at or begin > len(a):
                raise DiffError(f"hunk {line!r} is out of order or out of range")
            out += a[at:begin]
            at = begin
            continue
        tag, body = line[:1], line[1:]
        if at < 0:
            raise DiffError("the changes do not start with a hunk")
        if tag in (" ", "-"):
            if at >= len(a) or a[at] != body:
                raise DiffError(f"line {at + 1} is not {body[:40]!r}")
            at += 1
        if tag in (" ", "+"):
            out.append(body)
        elif tag != "-":
            raise DiffError(f"not a diff line: {line[:40]!r}")
    return "\n".join(out + a[at:])
