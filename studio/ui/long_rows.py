"""One row of a very long line, drawn from that row's own text.

Textual's TextArea._render_line builds a whole line as a rich Text and divides it into all its rows
to draw one of them: for a 1 MB line that is 0.12 s a row, seconds a screen, on every key press.
Rows of lines that wrap onto more than LONG_LINE_ROWS rows are drawn here instead, from a slice of
the line, with the styles Textual gives them and in the same order (the cursor's line, the
selection, syntax highlights, the cursor and its matching bracket). Anything this does not cover
(tabs, line numbers, an inline suggestion, no soft wrap, highlights on a line that is not ASCII)
stays with Textual, as does every line shorter than that.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widgets import TextArea

LONG_LINE_ROWS = 16  # below this, dividing the whole line costs less than a frame's share


def render_row(area: TextArea, y: int, shown: Callable[[str], str]) -> Strip | None:
    """Row `y` of the widget (scrolled) if it belongs to a long line, else None (Textual draws
    it). `shown` turns document text into the characters drawn, one for one."""
    wrapped = area.wrapped_document
    row = area.scroll_offset.y + y
    info = wrapped._offset_to_line_info
    if not area.soft_wrap or area.show_line_numbers or area.suggestion or row >= len(info):
        return None
    line_index, section = info[row]
    offsets = wrapped.get_offsets(line_index)
    if len(offsets) < LONG_LINE_ROWS:
        return None
    line = area.document[line_index]
    highlights = area._highlights.get(line_index) if area._highlights else None
    if "\t" in line or (highlights and not line.isascii()):
        return None  # tab stops, or highlights given in UTF-8 bytes: Textual's own way
    begin = offsets[section - 1] if section else 0
    last = section == len(offsets)
    end = len(line) if last else offsets[section]
    text = Text(shown(line[begin:end]), end="", no_wrap=True)
    if last:
        text.set_length(end - begin + 1)  # room for the cursor after the last character

    def paint(style: Style | None, start: int = 0, stop: int | None = None) -> None:
        """Style columns [start, stop) of the line, as far as they fall in this row."""
        low, high = max(start - begin, 0), len(text) if stop is None else min(stop - begin, len(text))
        if style is not None and low < high:
            text.stylize(style, low, high)

    theme = area._theme
    selection = area.selection
    start, cursor = selection
    cursor_row, cursor_column = cursor
    (top_row, top_column), (bottom_row, bottom_column) = sorted(selection)
    has_cursor = area._has_cursor
    cursor_line_style = (
        theme.cursor_line_style if theme and area.highlight_cursor_line and has_cursor else None
    )
    if cursor_row == line_index:
        paint(cursor_line_style)
    if start != cursor and top_row <= line_index <= bottom_row and theme:
        paint(
            theme.selection_style,
            top_column if line_index == top_row else 0,
            bottom_column if line_index == bottom_row else len(line),
        )
    if highlights and theme:
        for first, stop, name in highlights:
            paint(
                theme.syntax_styles.get(name), first, stop or None
            )  # Textual: no end, or 0, is the line's end
    bracket = area._matching_bracket_location
    brackets = has_cursor and area.match_cursor_bracket and bracket is not None and start == cursor
    bracket_style = theme.bracket_matching_style if theme else None
    if cursor_row == line_index:
        if brackets:
            paint(bracket_style, cursor_column, cursor_column + 1)
        if area._draw_cursor and theme:
            paint(theme.cursor_style, cursor_column, cursor_column + 1)
    if brackets and bracket is not None and bracket[0] == line_index:
        paint(bracket_style, bracket[1], bracket[1] + 1)

    strip = Strip(text.render(area.app.console), cell_length=text.cell_len)
    if cursor_row == line_index and area.highlight_cursor_line:
        line_style = cursor_line_style
    else:
        line_style = theme.base_style if theme else None
    strip = strip.extend_cell_length(
        area.scrollable_content_region.size.width - area.gutter_width, line_style
    )
    base_style = theme.base_style if theme and theme.base_style is not None else area.rich_style
    return strip.apply_style(base_style)
