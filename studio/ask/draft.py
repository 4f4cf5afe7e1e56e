"""`--draft F`: the file Claude works on, with the studio's draft tools and the studio's confinement.

F's folder is the drafts folder of the run (every name Claude gives goes through
`DraftStore.resolve`, so nothing outside it is written), and F is the open draft. A missing F
starts as an empty draft and is created when Claude saves it. In the studio the writer saves
the editor's text; here there is no editor, so each change Claude makes is written to disk at
once, refusing (as the studio does) to overwrite a file someone else changed meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from studio.core.drafts import DraftError, DraftStore, count_words
from studio.core.tools import DraftChange
from studio.core.visible import visible
from studio.core.workspace import Draft, Workspace


@dataclass(frozen=True)
class Touched:
    """A draft Claude changed in this run, as the --json output lists it."""

    name: str
    path: str
    change: Literal["saved", "edited"]  # as DraftChange.kind
    words: int


def drafts_folder(path: Path) -> Path:
    """The folder of F (which must exist: a typo there should not become a new tree)."""
    if path.is_dir():
        raise DraftError(f"{path} is a folder: --draft needs a file (new or existing) in it")
    folder = path.expanduser().absolute().parent
    if not folder.is_dir():
        raise DraftError(f"{folder} is not a folder: --draft needs a file in an existing folder")
    return folder.resolve()


def read_draft(store: DraftStore, path: Path) -> Draft:
    """F as a draft (read and stamped), or an empty one under its name if it is missing."""
    name = store.normalise(path.name)
    if store.stamp(name) is None:
        return Draft(name=name)
    text, stamp = store.read(name)
    return Draft(name=name, text=text, saved_text=text, stamp=stamp)


def keep_change(workspace: Workspace, change: DraftChange) -> Touched:
    """After a draft tool ran: an edit is written to disk now (save_draft has written already)."""
    store, draft = workspace.store, workspace.draft
    name = change.name or draft.title
    if change.kind == "edited" and draft.dirty and draft.name is not None:
        saved = store.save(draft.name, draft.text, expected=draft.stamp)
        draft.saved_text, draft.stamp = draft.text, saved.stamp
    return Touched(name, str(store.resolve(name)), change.kind, count_words(change.text))


def change_line(touched: Touched) -> str:
    """One line on standard error per draft tool call: `draft: saved essay.md (312 words)`."""
    return f"draft: {touched.change} {visible(touched.name)} ({touched.words:,} words)"


def refused_line(tool: str, result: str) -> str:
    """A draft tool Claude called that did not run (Claude was told why, and may try again)."""
    return f"draft: {tool} refused: {visible(' '.join(result.split()))}"


def problem_line(problem: DraftError) -> str:
    return f"draft: {visible(' '.join(str(problem).split()))}"
