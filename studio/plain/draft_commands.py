"""The open draft from the line mode: /save NAME, /draft, /draft show, and unsaved text at quit.

There is no editor here: the draft changes through Claude's save_draft (already on disk) and
edit_draft (not saved until /save). Names go through the same policy as in the studio, so a name
outside the drafts folder is refused in the same words."""

from __future__ import annotations

from studio.core.drafts import DraftConflict, DraftError, count_words
from studio.core.recovery import RecoveryStore
from studio.core.workspace import Workspace
from studio.plain.line_input import LineInput
from studio.plain.output import Output


def describe(workspace: Workspace) -> str:
    """'launch.md · 212 words · saved': what /draft answers."""
    draft = workspace.draft
    if draft.name is None and not draft.text:
        return "none yet: ask Claude to write one (it saves it with save_draft)."
    state = "not saved (/save saves it)" if draft.dirty else "saved"
    return f"{draft.title} · {count_words(draft.text)} words · {state}"


def show(workspace: Workspace, out: Output) -> None:
    """/draft show: the whole text, each line labelled."""
    draft = workspace.draft
    if not draft.text:
        out.say("draft", describe(workspace))
        return
    out.say("draft", draft.text)


def save(workspace: Workspace, name: str | None, lines: LineInput, out: Output) -> bool:
    """Save the open draft (under `name`, or its own name); asks before overwriting another file
    or one changed on disk since. True if it was saved."""
    draft, store = workspace.draft, workspace.store
    if not draft.text:
        out.say("studio", "There is no draft to save yet: ask Claude to write one.")
        return False
    name = name or draft.name
    if name is None:
        out.say("studio", "The draft has no name yet: /save NAME saves it, e.g. /save launch.md.")
        return False
    try:
        name = store.normalise(name)
        same_file = name == draft.name
        if (
            not same_file
            and store.stamp(name) is not None
            and lines.choose(f"{name} already exists in the drafts folder. Replace it?", ["Replace"]) is None
        ):
            return False
        try:
            saved = store.save(name, draft.text, expected=draft.stamp if same_file else None)
        except DraftConflict as conflict:
            question = f"{conflict} Overwrite it with the draft's text?"
            if lines.choose(question, ["Overwrite"]) is None:
                return False
            saved = store.save(name, draft.text, overwrite_changed=True)
    except DraftError as exc:
        out.say("studio", str(exc))
        return False
    draft.name, draft.saved_text, draft.stamp = saved.name, draft.text, saved.stamp
    out.say("draft", f"saved {saved.name} ({saved.words} words)")
    return True


def before_quitting(workspace: Workspace, recovery: RecoveryStore, lines: LineInput, out: Output) -> bool:
    """Unsaved text (Claude's edits) is never dropped silently: at a terminal, ask; from a pipe,
    keep it as a recovery copy, which the full-screen studio offers back. False: keep writing."""
    draft = workspace.draft
    if not draft.dirty or not draft.text.strip():
        return True
    if lines.interactive:
        answer = lines.choose(
            f"{draft.title} has unsaved changes. Save before quitting?",
            ["Save", "Quit without saving", "Keep writing"],
        )
        if answer == 0:
            return save(workspace, None, lines, out)  # no name yet: it says /save NAME
        if answer == 1:
            return True
        if answer == 2:
            return False
    keep_unsaved(workspace, recovery, out)
    return True


def keep_unsaved(workspace: Workspace, recovery: RecoveryStore, out: Output) -> None:
    """The draft's unsaved text as a recovery copy (none if it is saved)."""
    draft = workspace.draft
    if not draft.dirty or not draft.text.strip():
        return
    try:
        recovery.write(draft.name, draft.text, drafts_root=workspace.store.root)
    except (OSError, DraftError) as exc:
        out.say("studio", f"The unsaved changes to {draft.title} could not be kept ({exc}).")
        return
    out.say(
        "studio",
        f"{draft.title} has unsaved changes: kept as a recovery copy, which `studio` (full "
        "screen) offers back.",
    )
