"""The tools that work on the writer's draft: save it to disk, change one passage of it."""

from __future__ import annotations

from typing import Any

from studio.core.drafts import DraftError
from studio.core.tools import TEXT_TOOLS, DraftChange, Tool, ToolError, ToolOutcome, string_arg
from studio.core.workspace import Workspace


def _workspace(workspace: Workspace | None) -> Workspace:
    if workspace is None:
        raise ToolError("no drafts folder is open")
    return workspace


def save_draft(args: dict[str, Any], workspace: Workspace | None) -> ToolOutcome:
    """Write a whole draft into the drafts folder (atomically) and open it in the editor."""
    ws = _workspace(workspace)
    filename, content = string_arg(args, "filename"), string_arg(args, "content")
    assert filename is not None and content is not None
    draft = ws.draft
    try:
        name = ws.store.normalise(filename)
        # Overwriting the open draft: refuse if someone else changed the file since it was read.
        expected = draft.stamp if name == draft.name else None
        saved = ws.store.save(name, content, expected=expected)
    except DraftError as exc:
        raise ToolError(str(exc)) from exc
    before = (draft.name, draft.text, draft.dirty)
    draft.name, draft.text, draft.saved_text, draft.stamp = saved.name, content, content, saved.stamp
    return ToolOutcome(
        f"Saved drafts/{saved.name}: {saved.words} words, {saved.bytes} bytes. "
        "It is open in the writer's editor.",
        change=DraftChange("saved", saved.name, content, before_name=before[0],
                           before_text=before[1], before_dirty=before[2]),
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
        raise ToolError("`old_text` was not found in the draft; quote it exactly as it stands "
                        "(the current draft is in the system prompt)")
    if count > 1:
        raise ToolError(f"`old_text` appears {count} times; include more surrounding text so it "
                        "matches exactly once")
    start = draft.text.index(old)
    before = (draft.name, draft.text, draft.dirty)
    draft.text = draft.text[:start] + new + draft.text[start + len(old):]
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
