"""QuickWrap against Textual's own WrappedDocument: the same rows for the same text, before and
after edits, and the same places for the cursor. Soft wrap must look as it did; only faster."""

from __future__ import annotations

import random

import pytest
from textual.document._document import Document
from textual.document._wrapped_document import WrappedDocument
from textual.geometry import Offset

from studio.ui.wrapping import QuickWrap

WORDS = ["a", "to", "the", "draft", "studio", "writes", "—", "“quoted”", "café", "x" * 30, "  ", "end."]
ODD = ["\t", "日本", "e\u0301", "\x07", "\uf700"]  # a tab, wide, combining, a control, a held break


def prose(rng: random.Random, words: int, odd: bool) -> str:
    """Words, spaces and newlines; with `odd`, the characters that take Textual's own wrapping."""
    pool = WORDS + (ODD if odd else [])
    parts = []
    for _ in range(words):
        parts.append(rng.choice(pool))
        parts.append(rng.choice([" ", " ", " ", "  ", "\n", ""]))
    return "".join(parts)


def same_rows(quick: QuickWrap, textual: WrappedDocument) -> None:
    assert quick._wrap_offsets == textual._wrap_offsets
    assert quick._offset_to_line_info == textual._offset_to_line_info
    assert quick._line_index_to_offsets == textual._line_index_to_offsets
    assert quick._tab_width_cache == textual._tab_width_cache
    assert quick.height == textual.height


@pytest.mark.parametrize("odd", [False, True], ids=["one-cell", "tabs-wide-controls"])
@pytest.mark.parametrize("width", [1, 7, 40, 97])
def test_rows_are_textuals_rows(width: int, odd: bool) -> None:
    rng = random.Random(width * 2 + odd)
    for _ in range(30):
        text = prose(rng, rng.randint(0, 400), odd)
        document = Document(text)
        same_rows(QuickWrap(document, width, 4), WrappedDocument(document, width, 4))


def test_one_long_line_wraps_as_textual_wraps_it() -> None:
    rng = random.Random(7)
    line = prose(rng, 20_000, odd=False).replace("\n", " ")
    document = Document(line)
    same_rows(QuickWrap(document, 83, 4), WrappedDocument(document, 83, 4))


@pytest.mark.parametrize("odd", [False, True], ids=["one-cell", "tabs-wide-controls"])
def test_after_edits_the_rows_are_those_of_a_fresh_wrap(odd: bool) -> None:
    """Typing, deleting and pasting (one line and many) in long lines and short: each edit's
    rows, rewrapped only where it touched, equal a whole new wrap of the text."""
    rng = random.Random(11 + odd)
    text = prose(rng, 3000, odd).replace("\n", " ", 2500)  # a few long lines among short ones
    document = Document(text)
    quick = QuickWrap(document, 50, 4)
    for _ in range(300):
        row = rng.randrange(document.line_count)
        column = rng.randint(0, len(document[row]))
        end = (row, min(len(document[row]), column + rng.choice([0, 0, 1, 5, 80])))
        if rng.random() < 0.1 and row + 1 < document.line_count:
            end = (row + 1, rng.randint(0, len(document[row + 1])))
        inserted = rng.choice(["", "x", " ", "word ", "\n", "new\nlines\n", prose(rng, 30, odd), "y" * 120])
        result = document.replace_range((row, column), end, inserted)
        quick.wrap_range((row, column), end, result.end_location)
        same_rows(quick, WrappedDocument(document, 50, 4))


def test_cursor_places_are_textuals() -> None:
    """Where a location is drawn, and which location a click or an arrow key lands on, as Textual
    has them (without BEL, which Textual's rows drop and so count differently)."""
    rng = random.Random(3)
    document = Document(prose(rng, 2000, odd=True).replace("\x07", ""))
    quick, textual = QuickWrap(document, 37, 4), WrappedDocument(document, 37, 4)
    for row in range(document.line_count):
        for column in range(0, len(document[row]) + 1, 3):
            assert quick.location_to_offset((row, column)) == textual.location_to_offset((row, column))
    for y in range(textual.height + 2):
        for x in (0, 5, 36, 60):
            assert quick.offset_to_location(Offset(x, y)) == textual.offset_to_location(Offset(x, y))
    for row in range(document.line_count):
        assert quick.get_sections(row) == textual.get_sections(row)
        for section in range(-1, len(quick.get_offsets(row)) + 1):
            for x in (0, 3, 40):
                expected = textual.get_target_document_column(row, x, section)
                assert quick.get_target_document_column(row, x, section) == expected


def test_typing_in_one_long_line_then_a_wide_character_and_a_tab() -> None:
    """Key after key in the same long line (only the rewrapped rows are measured then), then
    characters that change how the line must be measured, then taken out again."""
    rng = random.Random(5)
    document = Document(prose(rng, 6000, odd=False).replace("\n", " "))
    quick = QuickWrap(document, 61, 4)
    column = 5000
    for typed in ["a", "b", " ", "c", "日本", "d", "\t", "e", "\x07", " ", "word", " "] + ["z"] * 40:
        result = document.replace_range((0, column), (0, column), typed)
        quick.wrap_range((0, column), (0, column), result.end_location)
        column = result.end_location[1]
        same_rows(quick, WrappedDocument(document, 61, 4))
    while column > 4990:  # backspace over all of it
        result = document.replace_range((0, column - 1), (0, column), "")
        quick.wrap_range((0, column - 1), (0, column), result.end_location)
        column -= 1
        same_rows(quick, WrappedDocument(document, 61, 4))


def test_one_long_line_streamed_in_keeps_textuals_rows() -> None:
    """Claude's save_draft on one line, as the preview shows it: pieces appended to the end of
    the same line, each rewrapping only that line's last rows, then a piece taken off again."""
    rng = random.Random(9)
    text = prose(rng, 8000, odd=False).replace("\n", " ")
    document = Document("")
    quick = QuickWrap(document, 73, 4)
    shown = 0
    while shown < len(text):
        piece = text[shown : shown + rng.randint(1, 3000)]
        result = document.replace_range(document.end, document.end, piece)
        quick.wrap_range((0, shown), (0, shown), result.end_location)
        shown += len(piece)
        same_rows(quick, WrappedDocument(document, 73, 4))
    result = document.replace_range((0, shown - 500), document.end, "")
    quick.wrap_range((0, shown - 500), (0, shown), result.end_location)
    same_rows(quick, WrappedDocument(document, 73, 4))
