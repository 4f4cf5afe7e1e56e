"""The draft the writer is working on, as the engine sees it: name, text, and what is on disk.

The UI copies the editor's text here before each turn (one way: UI -> engine); tools change it and
report the change back as an event, which the UI applies to the editor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.core.drafts import DiskStamp, DraftStore
from studio.core.recovery import ReplacedVersions


@dataclass
class Draft:
    name: str | None = None
    text: str = ""
    saved_text: str = ""
    stamp: DiskStamp | None = None

    @property
    def title(self) -> str:
        return self.name or "untitled"

    @property
    def dirty(self) -> bool:
        return self.text != self.saved_text


@dataclass
class Workspace:
    """What the draft tools work on: the open draft, the folder drafts are saved in, and where the
    drafts a save_draft replaces are kept (without it, such a save is refused)."""

    store: DraftStore
    versions: ReplacedVersions | None = None
    draft: Draft = field(default_factory=Draft)
