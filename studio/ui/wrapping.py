"""Soft wrap for the draft editor that stays fast on a 1 MB line and on 30,000 lines.

Replaces Textual's WrappedDocument (textual.document._wrapped_document), which TextArea builds
for every document, because of what it costs on big drafts: it wraps a line with a Python loop
over its words (0.13 s for a 1 MB line), rewraps the whole edited line on each key press, finds
one row of a line by cutting the whole line into rows (rich's Text.divide: 0.12 s), and sums the
heights of all lines each time it is asked. QuickWrap keeps Textual's data layout (TextArea reads
`_offset_to_line_info` itself) and its results, and changes how they are computed:

- a line that fits is measured once; a long line of one-cell characters without tabs is wrapped
  by one regular expression, at C speed, with the breaks Textual's loop would choose: a row ends
  at the last word start that fits in the width, or is folded at the width when none does;
- an edit inside one line is rewrapped from the row before it, until the breaks meet the old ones
  again (a break depends only on the text after the one before it);
- a row is a slice found by bisection; the height is counted, not summed.

Lines with tabs, control characters, or characters wider or narrower than one cell are wrapped by
Textual's own compute_wrap_offsets, as before.
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from rich.cells import get_character_cell_size
from textual._cells import cell_len, cell_width_to_column_index
from textual._wrap import compute_wrap_offsets
from textual.document._document import Location
from textual.document._wrapped_document import WrappedDocument
from textual.expand_tabs import expand_tabs_inline, get_tab_widths
from textual.geometry import Offset, clamp

_UNUSUAL = re.compile(r"[^\x20-\x7e]")  # anything but printable ASCII: measured one by one
_UNUSUAL_IN_TEXT = re.compile(r"[^\x20-\x7e\r\n]")  # the same, across lines


@cache
def _row(width: int) -> re.Pattern[str]:
    """A row from where the match starts: as much as fits that ends where a word starts."""
    return re.compile(rf"(?s).{{0,{width - 1}}}\s(?=\S)")


def one_cell_each(line: str, unusual: re.Pattern[str] = _UNUSUAL) -> bool:
    """True if every character of the line takes exactly one cell (no tab, no control, no wide
    or combining character): then a line's width is its length."""
    return all(get_character_cell_size(c) == 1 for c in set(unusual.findall(line)))


def breaks_from(line: str, width: int, start: int = 0) -> Iterator[int]:
    """Where rows after `start` (itself a row start) begin, for a line of one-cell characters.
    The same breaks as textual._wrap.compute_wrap_offsets, without a step per word."""
    row, end = _row(width), len(line)
    while start + width < end:
        found = row.match(line, start)
        start = found.end() if found else start + width
        yield start


def wrap_offsets(line: str, width: int, tab_width: int) -> list[int]:
    """Where Textual would break this line at this width (0: no wrapping)."""
    if not width or (len(line) <= width and "\t" not in line and cell_len(line) <= width):
        return []
    if one_cell_each(line):
        return list(breaks_from(line, width))
    tabs = get_tab_widths(line, tab_width)
    return compute_wrap_offsets(line, width, tab_width, precomputed_tab_sections=tabs)


_NO_TABS: list[int] = [0]  # what get_tab_widths gives a line without tabs (shared: only read)
_EMPTY: list[int] = []


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Rows are a tuple each: while tens of thousands are made, the garbage collector would walk
    the whole heap again and again (measured: 4/5 of the time of wrapping 1 MB of paragraphs)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _tab_widths(line: str, tab_width: int) -> list[int]:
    if "\t" not in line:
        return _NO_TABS if line else _EMPTY
    return [w for _, w in get_tab_widths(line, tab_width)]


class QuickWrap(WrappedDocument):
    """The document as rows: which rows each line has, and which line each row belongs to."""

    def wrap(self, width: int, tab_width: int | None = None) -> None:
        same_tabs = not tab_width or tab_width == self._tab_width
        if width == self._width and same_tabs and getattr(self, "_seen", None) == self.document.lines:
            return  # TextArea asks again after building it, and on each resize
        self._width = width
        if tab_width:
            self._tab_width = tab_width
        lines = list(self.document.lines)
        self._seen = lines  # each line as last wrapped: an edit is compared against it
        self._narrow_line: str | None = None  # a line known to be all one-cell characters
        with _collector_paused():
            if width and one_cell_each(self.document.text, _UNUSUAL_IN_TEXT):  # most drafts: measured once
                self._narrow_line = max(lines, key=len)
                self._wrap_offsets = [
                    list(breaks_from(line, width)) if len(line) > width else [] for line in lines
                ]
                self._tab_width_cache = [_NO_TABS if line else _EMPTY for line in lines]
            else:
                self._wrap_offsets = [wrap_offsets(line, width, self._tab_width) for line in lines]
                self._tab_width_cache = [_tab_widths(line, self._tab_width) for line in lines]
            self._offset_to_line_info, self._line_index_to_offsets = _rows(self._wrap_offsets, 0, 0)

    @property
    def height(self) -> int:
        return len(self._offset_to_line_info)

    def wrap_range(self, start: Location, old_end: Location, new_end: Location) -> None:
        """Rewrap after an edit: only the lines it touched, and within one line only the rows
        that changed. Rows below move only if the edit changed how many rows there are."""
        old_max, new_max = len(self._line_index_to_offsets) - 1, self.document.line_count - 1
        first = clamp(start[0], 0, min(old_max, new_max))
        top, old_bottom = sorted((first, clamp(old_end[0], 0, old_max)))
        new_bottom = max(first, clamp(new_end[0], 0, new_max))
        lines = self.document.lines[top : new_bottom + 1]
        width, tab_width = self._width, self._tab_width
        if top == old_bottom == new_bottom and width:
            offsets = [self._rewrapped(top, lines[0], start[1] if start[0] == top else 0)]
        else:
            offsets = [wrap_offsets(line, width, tab_width) for line in lines]
        old_rows = sum(len(o) + 1 for o in self._wrap_offsets[top : old_bottom + 1])
        self._seen[top : old_bottom + 1] = lines
        self._wrap_offsets[top : old_bottom + 1] = offsets
        self._tab_width_cache[top : old_bottom + 1] = [_tab_widths(line, tab_width) for line in lines]
        row_shift = sum(len(o) + 1 for o in offsets) - old_rows
        line_shift = new_bottom - old_bottom
        if not row_shift and not line_shift:
            return  # the same rows, each still showing the same line
        with _collector_paused():
            self._move_rows(top, old_bottom, offsets, old_rows, row_shift, line_shift)

    def _move_rows(
        self,
        top: int,
        old_bottom: int,
        offsets: list[list[int]],
        old_rows: int,
        row_shift: int,
        line_shift: int,
    ) -> None:
        """The rows of the edited lines anew, and those below moved down or up."""
        y = self._line_index_to_offsets[top][0]
        if top == old_bottom and not line_shift:  # one line grew or shrank: only its last rows
            kept, count = min(old_rows, old_rows + row_shift), old_rows + row_shift
            self._offset_to_line_info[y + kept : y + old_rows] = [(top, s) for s in range(kept, count)]
            line_rows = [list(range(y, y + count))]
        else:
            info, line_rows = _rows(offsets, top, y)
            info_below = self._offset_to_line_info[y + old_rows :]
            if line_shift:
                info_below = [(line + line_shift, section) for line, section in info_below]
            self._offset_to_line_info[y:] = info + info_below
        rows_below = self._line_index_to_offsets[old_bottom + 1 :]
        if row_shift:
            rows_below = [[row + row_shift for row in rows] for rows in rows_below]
        self._line_index_to_offsets[top:] = line_rows + rows_below

    def _rewrapped(self, index: int, line: str, column: int) -> list[int]:
        """The breaks of one edited line, the text before `column` unchanged."""
        width, old_line, old = self._width, self._seen[index], self._wrap_offsets[index]
        known = old_line is self._narrow_line  # then only the rewrapped part needs measuring
        if not known and not one_cell_each(line):
            return wrap_offsets(line, width, self._tab_width)
        restart = max(bisect_right(old, column) - 1, 0)  # the row before the edit's may change
        new = old[:restart]
        start = end = new[-1] if new else 0
        shift = len(line) - len(old_line)
        for end in breaks_from(line, width, start):
            new.append(end)
            i = bisect_left(old, end - shift)
            if (
                end > column
                and i < len(old)
                and old[i] == end - shift
                and line[end:] == old_line[end - shift :]
            ):
                new += [b + shift for b in old[i + 1 :]]  # the rest is as it was, moved
                break
        else:
            end = len(line)
        if known and not one_cell_each(line[start:end]):
            self._narrow_line = None
            return wrap_offsets(line, width, self._tab_width)
        self._narrow_line = line
        return new

    def get_sections(self, line_index: int) -> list[str]:
        line, offsets = self.document[line_index], self._wrap_offsets[line_index]
        starts = [0, *offsets]
        return [line[a:b] for a, b in zip(starts, [*offsets, len(line)], strict=True)]

    def _section(self, line_index: int, section: int) -> tuple[int, str]:
        """One row of a line: where it starts in the line, and its text."""
        line, offsets = self.document[line_index], self._wrap_offsets[line_index]
        begin = offsets[section - 1] if section else 0
        return begin, line[begin : offsets[section] if section < len(offsets) else len(line)]

    def location_to_offset(self, location: Location) -> Offset:
        line_index, column = location
        line_index = clamp(line_index, 0, len(self._line_index_to_offsets))
        section = bisect_right(self.get_offsets(line_index), column)
        begin, text = self._section(line_index, section)
        x = cell_len(expand_tabs_inline(text[: column - begin], self._tab_width))
        return Offset(x, self._line_index_to_offsets[line_index][section])

    def get_target_document_column(self, line_index: int, x_offset: int, y_offset: int) -> int:
        sections = len(self._wrap_offsets[line_index]) + 1
        section = y_offset + sections if y_offset < 0 else y_offset
        begin, text = self._section(line_index, section)
        column = begin + cell_width_to_column_index(text, x_offset, self._tab_width)
        if section != sections - 1:  # only the last row has room after its last character
            column = min(column, begin + len(text) - 1)
        return column


def _rows(
    offsets: list[list[int]], first_line: int, first_row: int
) -> tuple[list[tuple[int, int]], list[list[int]]]:
    """For lines with these breaks: (line, section) of each row, and the rows of each line."""
    info: list[tuple[int, int]] = []
    line_rows: list[list[int]] = []
    y = first_row
    for line, breaks in enumerate(offsets, first_line):
        if breaks:
            count = len(breaks) + 1
            info.extend((line, section) for section in range(count))
            line_rows.append(list(range(y, y + count)))
            y += count
        else:
            info.append((line, 0))
            line_rows.append([y])
            y += 1
    return info, line_rows
