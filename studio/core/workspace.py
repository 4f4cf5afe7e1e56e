"""The draft the writer is working on, as the engine sees it: name, text, and what is on disk.

The UI copies the editor's text here before each turn (one way: UI -> engine); tools change it and
report the change back as an event, which the UI applies to the editor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.core.drafts import DiskStamp, DraftStore, count_words
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

    def context_block(self) -> str:
        """The draft as Claude sees it in every request. No timestamps: a stable prefix caches."""
        if not self.text.strip():
            return (
                f"The writer's draft ({self.title}) is empty. To write one, call save_draft "
                "with a filename and the full text."
            )
        state = "unsaved changes" if self.dirty else "saved"
        return (
            f"The writer's current draft is {self.title} ({count_words(self.text)} words, "
            f"{state}). It is shown in the editor beside this conversation. Use edit_draft to "
            "change a passage, save_draft to write the whole text.\n"
            f'<draft name="{self.title}">\n{self.text}\n</draft>'
        )


@dataclass
class Workspace:
    """What the draft tools work on: the open draft, the folder drafts are saved in, and where the
    drafts a save_draft replaces are kept (without it, such a save is refused)."""

    store: DraftStore
    versions: ReplacedVersions | None = None
    draft: Draft = field(default_factory=Draft)
