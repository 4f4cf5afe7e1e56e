"""The draft editor. The writer types here; Claude's writing streams in and lands as one undo step.

Built for drafts of a megabyte, in paragraphs or on one line: soft wrap is QuickWrap (wrapping.py),
rows of very long lines are drawn from their own text (long_rows.py), Markdown is highlighted only
while a draft is small enough to reparse at each key press, the document's text is joined once per
change, a taller text changes the scrolling, not the screen's layout, and Claude's streaming text is
appended to what is shown (then kept when the tool lands), not reloaded whole.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual._tree_sitter import TREE_SITTER, get_language
from textual.content import Content
from textual.document._document import Document, DocumentBase, EditResult, Location
from textual.document._document_navigator import DocumentNavigator
from textual.document._edit import Edit
from textual.document._history import EditHistory
from textual.document._syntax_aware_document import SyntaxAwareDocument, SyntaxAwareDocumentError
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import TextArea
from textual.widgets.text_area import Selection

from studio.core.visible import visible, visible_same_length
from studio.ui.long_rows import render_row
from studio.ui.wrapping import QuickWrap

PREVIEW_INTERVAL = 0.05  # seconds between repaints of streaming text: fast enough to read as live
# Above this many characters a draft is shown without Markdown colours: tree-sitter's reparse and
# the highlight query over the whole document grow with it (19 ms a key press at 200 KB).
HIGHLIGHT_LIMIT = 64 * 1024

# Characters Textual's document reads as line breaks (str.splitlines) and would write back as "\n":
# a lone CR, VT, FF, FS, GS, RS, NEL, U+2028/9. While in the editor they are held as private-use
# stand-ins, one for one, so `text` gives the writer's bytes back unchanged and offsets stay valid.
_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_HOLD = {ord(c): 0xF700 + i for i, c in enumerate(_BREAKS)}
_GIVE = {held: c for c, held in _HOLD.items()}
_HELD = [chr(held) for held in _GIVE]


def _given(text: str) -> str:
    """The writer's bytes back; a text with nothing held is returned as it is. Checked with `in`,
    which is instant on ASCII and Latin-1 text (no character that high can be in it), 1 ms a MB
    otherwise: translate takes 40."""
    if text.isascii() or not any(held in text for held in _HELD):
        return text
    return text.translate(_GIVE)


class _Joined(DocumentBase):
    """A document whose text is joined once per change, not on every read: the editor, the draft
    pane and TextArea's own render_line read it several times a key press."""

    _joined: str | None = None

    @property
    def text(self) -> str:
        if self._joined is None:
            self._joined = super().text  # type: ignore[safe-super]
        return self._joined

    def replace_range(self, start: Location, end: Location, text: str) -> EditResult:
        self._joined = None
        return super().replace_range(start, end, text)  # type: ignore[safe-super]


class _Plain(_Joined, Document):
    pass


class _Markdown(_Joined, SyntaxAwareDocument):
    pass


class DraftEditor(TextArea):
    def __init__(self, language: str | None = "markdown", **kwargs: object) -> None:
        super().__init__(language=language, soft_wrap=True, **kwargs)  # type: ignore[arg-type]
        self._before_preview: str | None = None
        self._kept_history: EditHistory | None = None
        self._previewed: str | None = None  # the streaming text on screen now
        self._selection_before_preview = Selection()
        self._last_paint = 0.0
        self._given_from, self._given = "", ""

    @property  # type: ignore[override]
    def text(self) -> str:
        """The document exactly as the writer's file holds it (see _BREAKS)."""
        joined = self.document.text
        if joined is not self._given_from:
            self._given_from, self._given = joined, _given(joined)
        return self._given

    @text.setter
    def text(self, value: str) -> None:
        self.load_text(value)

    def load_text(self, text: str) -> None:
        super().load_text(text.translate(_HOLD))

    def get_text_range(self, start: tuple[int, int], end: tuple[int, int]) -> str:
        return _given(super().get_text_range(start, end))

    def _set_document(self, text: str, language: str | None) -> None:
        """Textual's, but wrapped by QuickWrap, and Markdown only up to HIGHLIGHT_LIMIT."""
        self._highlight_query = None
        document: DocumentBase = _Plain(text)
        grammar = (
            get_language(language) if TREE_SITTER and language and len(text) <= HIGHLIGHT_LIMIT else None
        )
        if language and grammar is not None:
            try:
                document = _Markdown(text, grammar)
            except SyntaxAwareDocumentError:
                pass
            else:
                self._highlight_query = document.prepare_query(self._get_builtin_highlight_query(language))
        self.document = document
        self.wrapped_document = QuickWrap(document, self._coming_wrap_width(document), self.indent_width)
        self.navigator = DocumentNavigator(self.wrapped_document)
        self._build_highlight_map()
        self.move_cursor((0, 0))
        self._refresh_size()  # already wrapped: Textual wraps again here, at the old width

    def _coming_wrap_width(self, document: DocumentBase) -> int:
        """The width rows will have once `document` is shown: narrower by the scrollbar if it has
        more lines than the editor has rows (else Textual wraps it all twice, before and after
        the scrollbar appears)."""
        width = self.wrap_width
        if (
            width
            and not self.show_vertical_scrollbar
            and self.styles.overflow_y == "auto"
            and document.line_count > self.scrollable_content_region.height
        ):
            width = max(width - self.styles.scrollbar_size_vertical, 0)
        return width

    def edit(self, edit: Edit) -> EditResult:
        result = super().edit(edit)
        if self._highlight_query is not None and len(self.document.text) > HIGHLIGHT_LIMIT:
            self._plain_from_now()
        return result

    def _plain_from_now(self) -> None:
        """The draft outgrew HIGHLIGHT_LIMIT (a paste, Claude's text): the same text and undo
        history, without Markdown colours, and the cursor where it was."""
        selection, scroll = self.selection, self.scroll_offset
        self._set_document(self.document.text, None)
        self.selection = selection
        self.scroll_to(scroll.x, scroll.y, animate=False, immediate=True)

    def _refresh_size(self) -> None:
        """Textual's sets virtual_size, a reactive that lays out the whole screen again when it
        changes (each row Claude's streaming text adds: ~100 ms a time in this app). The editor's
        own size (1fr) does not depend on it: only its scrolling does, so update only that, as
        Widget._size_updated does when no layout is wanted."""
        if not self.soft_wrap:
            super()._refresh_size()
            return
        size = Size(0, self.wrapped_document.height)
        if size == self.virtual_size:
            self._refresh_scrollbars()
            return
        self.set_reactive(Widget.virtual_size, size)
        self._scroll_update(size)
        self.refresh()

    def _render_line(self, y: int) -> Strip:
        return render_row(self, y, _shown) or super()._render_line(y)

    @property
    def previewing(self) -> bool:
        """True while Claude's text streams in: the writer's own text is set aside, not lost."""
        return self._before_preview is not None

    def show_title(self, name: str | None, dirty: bool, note: str = "") -> None:
        """Content, not str: a str title is parsed as markup, and a draft may be named a[/b].md."""
        self.border_title = Content(visible(f"Draft · {name or 'untitled'}" + (" ●" if dirty else "")))
        self.border_subtitle = Content(visible(note))

    def get_line(self, line_index: int) -> Text:
        """A line as shown (see _shown): control characters never reach the terminal."""
        return Text(_shown(self.document.get_line(line_index)), end="", no_wrap=True)

    def _scratch_history(self) -> EditHistory:
        h = self.history
        return EditHistory(h.max_checkpoints, h.checkpoint_timer, h.checkpoint_max_characters)

    def preview(self, text: str, *, force: bool = False) -> None:
        """Show text Claude is still writing. Read-only meanwhile; repaints are rate-limited, and
        text that only grew is appended (reloading it all each time is quadratic)."""
        if self._before_preview is None:
            self._before_preview = self.text
            self._kept_history = self.history
            self._selection_before_preview = self.selection
            self.history = self._scratch_history()
            self.read_only = True
            self._previewed = None
        now = time.monotonic()
        if not force and now - self._last_paint < PREVIEW_INTERVAL:
            return
        self._last_paint = now
        shown = self._previewed
        if shown is None or not text.startswith(shown) or self._outgrows_highlighting(len(text)):
            self.load_text(text)
        elif len(text) > len(shown):
            self.insert(text[len(shown) :].translate(_HOLD), self.document.end)
        self._previewed = text
        self.move_cursor(self.document.end)

    def _outgrows_highlighting(self, length: int) -> bool:
        return self._highlight_query is not None and length > HIGHLIGHT_LIMIT

    def end_preview(self) -> str:
        """Put the writer's text and undo history back; returns that text."""
        before = self._before_preview
        if before is None:
            return self.text
        self.load_text(before)
        assert self._kept_history is not None
        self.history = self._kept_history
        self._before_preview = self._kept_history = self._previewed = None
        self.read_only = False
        return before

    def catch_up(self, text: str) -> bool:
        """True if the preview shows `text`, once the words not yet shown are appended (the
        stream is shown at most every PREVIEW_INTERVAL, and parsed every twentieth of its length)."""
        shown = self._previewed
        if shown is None or not text.startswith(shown) or self._outgrows_highlighting(len(text)):
            return False
        self.preview(text, force=True)
        return True

    def _keep_preview(self) -> str:
        """End the preview keeping the text it shows (loading a megabyte again would stall the
        screen): the writer's undo history back, editable again. Returns the writer's text."""
        before, history = self._before_preview, self._kept_history
        assert before is not None and history is not None
        self.history = history
        self._before_preview = self._kept_history = self._previewed = None
        self.read_only = False
        return before

    def open_text(self, text: str) -> None:
        """A different document: fresh text, fresh undo history."""
        if self.previewing and self.catch_up(text):
            self._keep_preview()
            self.history.clear()
            self.move_cursor((0, 0))
            self.post_message(self.Changed(self))
            return
        self.end_preview()
        self.load_text(text)
        self.move_cursor((0, 0))

    def replace_all(self, text: str) -> None:
        """Claude rewrote this document: one undo step brings the previous text back."""
        if self.previewing and self.catch_up(text):
            selection = self._selection_before_preview
            before = self._keep_preview()
            self.move_cursor((0, 0))
            if text != before:
                self._record_replacement(before, selection)
            self.post_message(self.Changed(self))
            return
        self.end_preview()
        if text == self.text:
            return
        self.history.checkpoint()
        self.replace(text.translate(_HOLD), (0, 0), self.document.end)
        self.history.checkpoint()

    def _record_replacement(self, before: str, selection: Selection) -> None:
        """The undo step that replace() records, for a replacement already on screen: `before`
        (the writer's text) became the whole document."""
        held = before.translate(_HOLD)
        edit = Edit(self.document.text, (0, 0), _Plain(held).end, maintain_selection_offset=True)
        edit._original_selection, edit._updated_selection = selection, self.selection
        edit._edit_result = EditResult(self.document.end, held)
        self.history.checkpoint()
        self.history.record(edit)
        self.history.checkpoint()

    def replace_passage(self, start: int, old: str, new: str) -> None:
        """Claude changed one passage: one undo step; the new text is left selected to show it."""
        self.end_preview()
        doc = self.document
        assert isinstance(doc, Document)  # _Plain or _Markdown
        begin = doc.get_location_from_index(start)
        end = doc.get_location_from_index(start + len(old))
        self.history.checkpoint()
        result = self.replace(new.translate(_HOLD), begin, end, maintain_selection_offset=False)
        self.history.checkpoint()
        self.selection = Selection(begin, result.end_location)
        self.scroll_cursor_visible(center=True)


def _shown(text: str) -> str:
    """Document text as drawn: the writer's characters, controls made visible (ESC as ␛), one
    for one, so the cursor and selection (placed by character offset) stay where they belong.
    Text() would drop BEL and CR; the document and the file keep the writer's bytes."""
    return visible_same_length(_given(text))
