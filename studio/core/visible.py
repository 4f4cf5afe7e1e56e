"""Text from outside studio (replies, error messages, tool calls, file and model names) is shown,
never obeyed: a terminal acts on control characters and reorders text around bidi controls, so an
escape sequence in a reply could set the title, fill the clipboard or clear the screen."""

from __future__ import annotations

import re

# Bidi embeddings/overrides, isolates and marks: they reorder what is shown around them.
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
SEPARATORS = "\u2028\u2029"  # line and paragraph separators: invisible breaks

# Every character a terminal may act on: C0 (tab and newline aside), DEL and C1.
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _tables() -> tuple[dict[int, str], dict[int, str]]:
    """(readable, one character for one): C0 as Control Pictures (ESC -> ␛), DEL as ␡; C1 and bidi
    controls by code point (⟨U+009B⟩), or as � where the width of the text must not change."""
    readable: dict[int, str] = {c: chr(0x2400 + c) for c in range(0x20) if c not in (0x09, 0x0A)}
    readable[0x7F] = "\u2421"
    for c in [*range(0x80, 0xA0), *map(ord, BIDI + SEPARATORS)]:
        readable[c] = f"⟨U+{c:04X}⟩"
    same_length = {c: (s if len(s) == 1 else "\ufffd") for c, s in readable.items()}
    return readable, same_length


_READABLE, _SAME_LENGTH = _tables()


def visible(text: str) -> str:
    """`text` with every control and bidi character replaced by a visible stand-in (␛, ␍,
    ⟨U+202E⟩); tab and newline are kept. Cheap when there is nothing to replace."""
    return text.translate(_READABLE)


def visible_same_length(text: str) -> str:
    """Like `visible`, but one character for one, so positions in the text stay valid (the editor
    places its cursor and selection by character offset)."""
    return text.translate(_SAME_LENGTH)


def without_controls(text: str) -> str:
    """`text` with C0 (tab and newline aside), DEL and C1 characters removed: the last line of
    defence, for text that reached a rendered line without going through `visible`."""
    return CONTROLS.sub("", text)
