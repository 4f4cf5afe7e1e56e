"""Text that grows by appending pieces, joined only when read.

`text += piece` on an attribute or a dict value copies the whole text each time: quadratic, and
seconds over a 2 MB reply (50,000 deltas) or a 900 KB save_draft's streamed JSON.
"""

from __future__ import annotations


class GrowingText:
    __slots__ = ("_parts", "length")

    def __init__(self, first: str = "") -> None:
        self._parts = [first] if first else []
        self.length = len(first)  # characters so far, without joining them

    def append(self, piece: str) -> None:
        self._parts.append(piece)
        self.length += len(piece)

    @property
    def text(self) -> str:
        """Everything so far (joined once, then kept joined)."""
        if len(self._parts) > 1:
            self._parts[:] = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""
