"""The draft editor. The writer types here; Claude's writing streams in and lands as one undo step."""

from __future__ import annotations

import time

from rich.text import Text
from textual.content import Content
from textual.document._document import Document
from textual.document._history import EditHistory
from textual.widgets import TextArea
from textual.widgets.text_area import Selection

from studio.core.visible import visible, visible_same_length

PREVIEW_INTERVAL = 0.05  # seconds between repaints of streaming text: fast enough to read as live

# Characters Textual's document reads as line breaks (str.splitlines) and would write back as "\n":
# a lone CR, VT, FF, FS, GS, RS, NEL, U+2028/9. While in the editor they are held as private-use
# stand-ins, one for one, so `text` gives the writer's bytes back unchanged and offsets stay valid.
_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_HOLD = {ord(c): 0xF700 + i for i, c in enumerate(_BREAKS)}
_GIVE = {held: c for c, held in _HOLD.items()}


class DraftEditor(TextArea):
    def __init__(self, language: str | None = "markdown", **kwargs: object) -> None:
        super().__init__(language=language, soft_wrap=True, **kwargs)  # type: ignore[arg-type]
        self._before_preview: str | None = None
        self._kept_history: EditHistory | None = None
        self._last_paint = 0.0

    @property  # type: ignore[override]
    def text(self) -> str:
        """The document exactly as the writer's file holds it (see _BREAKS)."""
        return self.document.text.translate(_GIVE)

    @text.setter
    def text(self, value: str) -> None:
        self.load_text(value)

    def load_text(self, text: str) -> None:
        super().load_text(text.translate(_HOLD))

    def get_text_range(self, start: tuple[int, int], end: tuple[int, int]) -> str:
        return super().get_text_range(start, end).translate(_GIVE)

    @property
    def previewing(self) -> bool:
        """True while Claude's text streams in: the writer's own text is set aside, not lost."""
        return self._before_preview is not None

    def show_title(self, name: str | None, dirty: bool, note: str = "") -> None:
        """Content, not str: a str title is parsed as markup, and a draft may be named a[/b].md."""
        self.border_title = Content(visible(f"Draft · {name or 'untitled'}" + (" ●" if dirty else "")))
        self.border_subtitle = Content(visible(note))

    def get_line(self, line_index: int) -> Text:
        """A line as shown: control characters drawn visibly (ESC as ␛), never sent to the
        terminal. One character for one, so the cursor and selection (placed by character
        offset) stay where they belong; the document and the file keep the writer's bytes."""
        line = self.document.get_line(line_index).translate(_GIVE)
        return Text(visible_same_length(line), end="", no_wrap=True)  # Text() would drop BEL, CR

    def _scratch_history(self) -> EditHistory:
        h = self.history
        return EditHistory(h.max_checkpoints, h.checkpoint_timer, h.checkpoint_max_characters)

    def preview(self, text: str, *, force: bool = False) -> None:
        """Show text Claude is still writing. Read-only meanwhile; repaints are rate-limited."""
        if self._before_preview is None:
            self._before_preview = self.text
            self._kept_history = self.history
            self.history = self._scratch_history()
            self.read_only = True
        now = time.monotonic()
        if not force and now - self._last_paint < PREVIEW_INTERVAL:
            return
        self._last_paint = now
        self.load_text(text)
        self.move_cursor(self.document.end)

    def end_preview(self) -> str:
        """Put the writer's text and undo history back; returns that text."""
        before = self._before_preview
        if before is None:
            return self.text
        self.load_text(before)
        assert self._kept_history is not None
        self.history = self._kept_history
        self._before_preview = self._kept_history = None
        self.read_only = False
        return before

    def open_text(self, text: str) -> None:
        """A different document: fresh text, fresh undo history."""
        self.end_preview()
        self.load_text(text)
        self.move_cursor((0, 0))

    def replace_all(self, text: str) -> None:
        """Claude rewrote this document: one undo step brings the previous text back."""
        self.end_preview()
        if text == self.text:
            return
        self.history.checkpoint()
        self.replace(text.translate(_HOLD), (0, 0), self.document.end)
        self.history.checkpoint()

    def replace_passage(self, start: int, old: str, new: str) -> None:
        """Claude changed one passage: one undo step; the new text is left selected to show it."""
        self.end_preview()
        doc = self.document
        assert isinstance(doc, Document)  # a TextArea without a wrapped or custom document
        begin = doc.get_location_from_index(start)
        end = doc.get_location_from_index(start + len(old))
        self.history.checkpoint()
        result = self.replace(new.translate(_HOLD), begin, end, maintain_selection_offset=False)
        self.history.checkpoint()
        self.selection = Selection(begin, result.end_location)
        self.scroll_cursor_visible(center=True)
