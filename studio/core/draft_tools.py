"""The tools that work on the writer's draft: save it to disk, change one passage of it."""

from __future__ import annotations

from typing import Any

from studio.core.drafts import DiskStamp, DraftError, count_words
from studio.core.tools import TEXT_TOOLS, DraftChange, Tool, ToolError, ToolOutcome, string_arg
from studio.core.workspace import Workspace


def _workspace(workspace: Workspace | None) -> Workspace:
    if workspace is None:
        raise ToolError("no drafts folder is open")
    return workspace


def _keep_replaced(ws: Workspace, name: str) -> tuple[str, int, DiskStamp] | None:
    """Before writing over a draft that is not the open one: keep its text (key, words, stamp)."""
    if not ws.store.resolve(name).exists():
        return None
    if ws.versions is None:
        raise ToolError(f"drafts/{name} already exists and is not the open draft; choose a new name")
    try:
        text, stamp = ws.store.read(name)
        key = ws.versions.keep(name, text, drafts_root=ws.store.root)
    except DraftError as exc:
        raise ToolError(
            f"drafts/{name} already exists and its text could not be kept, so it was "
            f"not replaced ({exc}); choose a new name"
        ) from exc
    return key, count_words(text), stamp


def save_draft(args: dict[str, Any], workspace: Workspace | None) -> ToolOutcome:
    """Write a whole draft into the drafts folder (atomically) and open it in the editor. Writing
    over another existing draft keeps its text first, so the writer can bring it back."""
    ws = _workspace(workspace)
    filename, content = string_arg(args, "filename"), string_arg(args, "content")
    assert filename is not None and content is not None
    draft = ws.draft
    replaced = None
    try:
        name = ws.store.normalise(filename)
        if name == draft.name:  # the open draft: refuse if someone else changed the file since
            saved = ws.store.save(name, content, expected=draft.stamp)
        else:
            replaced = _keep_replaced(ws, name)
            saved = ws.store.save(name, content, expected=replaced[2] if replaced else None)
    except DraftError as exc:
        if replaced is not None and ws.versions is not None:
            ws.versions.discard(replaced[0])  # nothing was replaced after all
        raise ToolError(str(exc)) from exc
    before = (draft.name, draft.text, draft.dirty)
    draft.name, draft.text, draft.saved_text, draft.stamp = saved.name, content, content, saved.stamp
    told = ""
    if replaced is not None:
        told = (
            f" It replaced the existing drafts/{saved.name} ({replaced[1]} words); the writer "
            "was told and can bring the previous version back with one key."
        )
    return ToolOutcome(
        f"Saved drafts/{saved.name}: {saved.words} words, {saved.bytes} bytes. "
        f"It is open in the writer's editor.{told}",
        change=DraftChange(
            "saved",
            saved.name,
            content,
            before_name=before[0],
            before_text=before[1],
            before_dirty=before[2],
            replaced_key=replaced[0] if replaced else None,
            replaced_words=replaced[1] if replaced else 0,
        ),
    )


def edit_draft(args: dict[str, Any], workspace: Workspace | None) -> ToolOutcome:
    """Replace one exact passage of the open draft; the writer sees the change and can undo it."""
    draft = _workspace(workspace).draft
    old, new = string_arg(args, "old_text"), string_arg(args, "new_text")
    assert old is not None and new is not None
    if not old:
        raise ToolError("`old_text` is empty; quote the exact passage to replace")
    count = draft.text.count(old)
    if count == 0:
        raise ToolError(
            "`old_text` was not found in the draft; quote it exactly as it stands "
            "(from the draft's latest version shown to you)"
        )
    if count > 1:
        raise ToolError(
            f"`old_text` appears {count} times; include more surrounding text so it matches exactly once"
        )
    start = draft.text.index(old)
    before = (draft.name, draft.text, draft.dirty)
    draft.text = draft.text[:start] + new + draft.text[start + len(old) :]
    return ToolOutcome(
        f"Replaced {len(old)} characters with {len(new)} in {draft.title}. The change is shown to "
        "the writer (who can undo it) and not yet saved.",
        change=DraftChange("edited", draft.name, draft.text, old, new, start, *before),
    )


DRAFT_TOOLS: tuple[Tool, ...] = (
    Tool(
        "save_draft",
        "Save a complete draft as a file in the writer's drafts folder and open it in the editor. "
        "Use a short file name such as launch.md. The content replaces the whole file.",
        {
            "type": "object",
            "properties": {
                "filename": {"type": "string", "description": "e.g. launch.md (Markdown)"},
                "content": {"type": "string", "description": "the full text of the draft"},
            },
            "required": ["filename", "content"],
        },
        save_draft,
        needs_workspace=True,
        stream_input=True,
    ),
    Tool(
        "edit_draft",
        "Replace one exact passage of the writer's current draft. `old_text` must match the "
        "draft exactly once (copy it from the draft, with enough context to be unique).",
        {
            "type": "object",
            "properties": {
                "old_text": {"type": "string", "description": "the exact passage to replace"},
                "new_text": {"type": "string", "description": "what replaces it"},
            },
            "required": ["old_text", "new_text"],
        },
        edit_draft,
        needs_workspace=True,
        stream_input=True,
    ),
)

ALL_TOOLS: tuple[Tool, ...] = DRAFT_TOOLS + TEXT_TOOLS
